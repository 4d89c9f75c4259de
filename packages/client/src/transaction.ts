/**
 * A transaction whose frames stay in the client until `commit()`, which queues BEGIN,
 * the frames and COMMIT as one entry of the offline queue: written together on one
 * connection, confirmed by the COMMIT's RECEIPT, written again whole if the connection
 * drops first. So no half transaction is left open on a dead connection, and `abort()`
 * needs no round trip (the broker never saw it).
 */
import { ClientErrorCodes, StompboxClientError } from './errors.js';
import type { Message } from './message.js';
import { sendFrame, type OutFrame, type SendOptions } from './offline-queue.js';

export class Transaction {
  private frames_: OutFrame[] | undefined = [];

  constructor(
    readonly id: string,
    private readonly submit_: (frames: OutFrame[]) => Promise<void>,
  ) {}

  private open_(): OutFrame[] {
    if (!this.frames_) throw new StompboxClientError(ClientErrorCodes.INVALID_ARGUMENT, `transaction ${this.id} is already finished`);
    return this.frames_;
  }

  private add_(command: string, headers: string[], body?: string | Uint8Array): void {
    this.open_().push([command, [...headers, 'transaction', this.id], body]);
  }

  /** As `client.publish`, sent at `commit()` (whose promise says when the broker has it). */
  publish(destination: string, body: string | Uint8Array = '', options: SendOptions = {}): void {
    this.add_(...sendFrame(destination, body, options));
  }

  /** Acknowledges `message` when the transaction commits (STOMP 1.2 `id`; 1.0/1.1 peers get message-id). */
  ack(message: Message): void {
    this.add_('ACK', message.ackHeaders_());
  }

  nack(message: Message): void {
    this.add_('NACK', message.ackHeaders_());
  }

  /** Rejects (as a promise) if the transaction already finished. */
  async commit(): Promise<void> {
    const frames = this.open_();
    this.frames_ = undefined;
    const tx = ['transaction', this.id];
    return this.submit_([['BEGIN', tx], ...frames, ['COMMIT', tx]]);
  }

  async abort(): Promise<void> {
    this.frames_ = undefined;
  }
}
