/**
 * A transaction whose frames stay in the client until `commit()`, which queues BEGIN,
 * the frames and COMMIT as one entry of the offline queue: written together on one
 * connection, confirmed by the COMMIT's RECEIPT, written again whole if the connection
 * drops first. So no half transaction is left open on a dead connection, and `abort()`
 * needs no round trip (the broker never saw it).
 */
import { headersFromRecord } from '@stompbox/stomp-codec';
import { ClientErrorCodes, StompboxClientError } from './errors.js';
import type { Message } from './message.js';
import type { OutFrame } from './offline-queue.js';

export class Transaction {
  private frames_: OutFrame[] | undefined = [];

  constructor(
    readonly id: string,
    private readonly submit_: (frames: OutFrame[]) => Promise<void>,
  ) {}

  private add_(frame: OutFrame): void {
    if (!this.frames_) throw new StompboxClientError(ClientErrorCodes.INVALID_ARGUMENT, `transaction ${this.id} is already finished`);
    frame[1].push('transaction', this.id);
    this.frames_.push(frame);
  }

  publish(destination: string, body: string | Uint8Array = '', headers: Record<string, string> = {}): void {
    this.add_(['SEND', ['destination', destination, ...headersFromRecord(headers)], body]);
  }

  /** Acknowledges `message` when the transaction commits (STOMP 1.2 `id`; 1.0/1.1 peers get message-id). */
  ack(message: Message): void {
    this.add_(['ACK', ackHeaders(message)]);
  }

  nack(message: Message): void {
    this.add_(['NACK', ackHeaders(message)]);
  }

  commit(): Promise<void> {
    const frames = this.frames_;
    if (!frames) return Promise.reject(new StompboxClientError(ClientErrorCodes.INVALID_ARGUMENT, `transaction ${this.id} is already finished`));
    this.frames_ = undefined;
    return this.submit_([['BEGIN', ['transaction', this.id]], ...frames, ['COMMIT', ['transaction', this.id]]]);
  }

  abort(): Promise<void> {
    this.frames_ = undefined;
    return Promise.resolve();
  }
}

function ackHeaders(m: Message): string[] {
  const id = m.header('ack');
  return id !== undefined ? ['id', id] : ['message-id', m.messageId, 'subscription', m.subscription];
}
