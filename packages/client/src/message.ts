/**
 * A received MESSAGE. The body is copied out of the decoder's buffer once; its text is
 * decoded on first use (binary bodies never pay for it).
 */
import { getHeader, headersToRecord, type Frame } from '@stompbox/stomp-codec';
import { utf8Decode } from './utf8.js';
import { EPOCH, POSITION } from './recovery.js';

export interface AckOptions {
  /** Extra headers (e.g. `transaction`). */
  headers?: Record<string, string>;
  /** Wait for the broker's RECEIPT (default: resolve once written). */
  receipt?: boolean;
}

export interface MessageOwner {
  acknowledge_(message: Message, command: 'ACK' | 'NACK', options?: AckOptions): Promise<void>;
}

export class Message {
  readonly command = 'MESSAGE';
  /** Headers in wire order, flat: [name, value, ...]. */
  readonly rawHeaders: readonly string[];
  readonly binaryBody: Uint8Array;
  private text_: string | undefined;
  private record_: Record<string, string> | undefined;

  /** `session`: the connection it came on (an ack is meaningless on another one). */
  constructor(
    frame: Frame,
    readonly session_: object,
    private readonly owner_: MessageOwner,
  ) {
    this.rawHeaders = frame.headers;
    this.binaryBody = new Uint8Array(frame.body);
  }

  /** Headers as an object; the first of repeated headers wins (STOMP 1.2). */
  get headers(): Record<string, string> {
    return (this.record_ ??= headersToRecord(this.rawHeaders));
  }

  header(name: string): string | undefined {
    return getHeader(this.rawHeaders, name);
  }

  get body(): string {
    return (this.text_ ??= utf8Decode(this.binaryBody));
  }

  json<T = unknown>(): T {
    return JSON.parse(this.body) as T;
  }

  get destination(): string {
    return this.header('destination') ?? '';
  }

  get messageId(): string {
    return this.header('message-id') ?? '';
  }

  get subscription(): string {
    return this.header('subscription') ?? '';
  }

  /** Position in the destination's history (Stompbox recovery), if the broker keeps one. */
  get position(): number | undefined {
    const p = this.header(POSITION);
    return p === undefined ? undefined : Number(p);
  }

  get epoch(): string | undefined {
    return this.header(EPOCH);
  }

  /** @internal What ACK/NACK name it by: `id` in STOMP 1.2 (its `ack` header), else message-id and subscription. */
  ackHeaders_(): string[] {
    const id = this.header('ack');
    return id !== undefined ? ['id', id] : ['message-id', this.messageId, 'subscription', this.subscription];
  }

  ack(options?: AckOptions): Promise<void> {
    return this.owner_.acknowledge_(this, 'ACK', options);
  }

  nack(options?: AckOptions): Promise<void> {
    return this.owner_.acknowledge_(this, 'NACK', options);
  }
}
