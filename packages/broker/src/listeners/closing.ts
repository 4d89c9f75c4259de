/**
 * How STOMP and MQTT connections end, which is the same for both: `close` once (flush
 * what is buffered, then end the transport), `shutdown` when the broker stops (the
 * protocol's own error while connected, a plain close before), and the transport
 * closing by itself. Each protocol says how it fails (`fail`) and what it releases
 * (`cleanup`, called once: the session registry's delete guards it).
 */
import type { Outbox } from './outbox.js';
import { CloseCode, type Transport } from './transport.js';
import { ErrorCodes, StompboxError } from '../errors.js';

export abstract class ClosingConnection {
  abstract readonly transport: Transport;
  abstract readonly out: Outbox;
  connected = false;
  closing = false;
  /** Why the session ended (for the clientDisconnected event). */
  protected closeReason = 'connection closed by the client';

  /** Tells the client why (ERROR frame, CONNACK or DISCONNECT reason code), then closes. */
  abstract fail(err: unknown): void;
  /** Releases subscriptions, timers and the session's registrations. */
  protected abstract cleanup(): void;

  /** Flushes what is buffered and closes the network connection. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.cleanup();
    this.out.flush();
    this.out.closed = true;
    this.transport.close(code, reason);
  }

  /** Session (context): the broker is shutting down. */
  shutdown(reason: string): void {
    if (this.closing) return;
    if (this.connected) this.fail(new StompboxError(ErrorCodes.SHUTTING_DOWN, reason));
    else this.close(CloseCode.GOING_AWAY, reason);
  }

  /** The transport closed (by either side). */
  onTransportClose(): void {
    this.closing = true;
    this.out.closed = true;
    this.cleanup();
  }
}
