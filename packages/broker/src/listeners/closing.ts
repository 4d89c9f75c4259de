/**
 * The lifecycle STOMP and MQTT connections share, kept in one place so that the two
 * cannot drift apart: the CONNECT deadline, how an error becomes the broker's own
 * (and is logged), which close code each error gets, what a slow consumer's overflow
 * does, and how a connection ends: `close` once (flush what is buffered, then end the
 * transport), `shutdown` when the broker stops (the protocol's own error while
 * connected, a plain close before), and the transport closing by itself. Each
 * protocol says how it tells the client (`fail`: an ERROR frame, a CONNACK or a
 * DISCONNECT reason code) and what it releases (`cleanup`, called once: the session
 * registry's delete guards it).
 */
import type { Outbox } from './outbox.js';
import { CloseCode, type Transport } from './transport.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * WebSocket close codes (RFC 6455 §7.4.1) for errors that are the client's to fix (a
 * policy: no point reconnecting at once) or that say the server is going; anything
 * else is a protocol error (1002).
 */
const CLOSE_FOR: Record<string, number> = {
  [ErrorCodes.AUTH_FAILED]: CloseCode.POLICY,
  [ErrorCodes.MQTT_NOT_AUTHORIZED]: CloseCode.POLICY,
  [ErrorCodes.SLOW_CONSUMER]: CloseCode.POLICY,
  [ErrorCodes.MQTT_SESSION_TAKEN_OVER]: CloseCode.POLICY,
  [ErrorCodes.FRAME_TOO_LARGE]: CloseCode.TOO_BIG,
  [ErrorCodes.MQTT_PACKET_TOO_LARGE]: CloseCode.TOO_BIG,
  [ErrorCodes.HEARTBEAT_TIMEOUT]: CloseCode.GOING_AWAY,
  [ErrorCodes.SHUTTING_DOWN]: CloseCode.GOING_AWAY,
};

export function closeCodeFor(code: string): number {
  return CLOSE_FOR[code] ?? CloseCode.PROTOCOL_ERROR;
}

export abstract class ClosingConnection {
  abstract readonly transport: Transport;
  abstract readonly out: Outbox;
  connected = false;
  closing = false;
  /** Why the session ended (for the clientDisconnected event). */
  protected closeReason = 'connection closed by the client';
  /** Messages not written because the output was full (slowConsumerPolicy = drop). */
  dropped = 0;
  private connectTimer: NodeJS.Timeout | undefined;

  /** STOMP 1.2 §CONNECT and MQTT 3.1.1 §3.1: a connection that does not connect in time is closed. */
  protected awaitConnect(ms: number, what: string): void {
    this.connectTimer = setTimeout(() => {
      if (!this.connected) this.fail(new StompboxError(ErrorCodes.NOT_CONNECTED, `no ${what} within ${ms} ms`));
    }, ms);
    this.connectTimer.unref();
  }

  /** The protocol accepted the client's CONNECT. */
  protected connectAccepted(): void {
    this.connected = true;
    this.stopConnectTimer();
  }

  private stopConnectTimer(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  /**
   * The broker's error for `err`, logged: one of ours as it is (debug), anything else as
   * an internal error whose details stay in the log, not on the wire.
   */
  protected brokerError(err: unknown, logger: Logger, session: string): StompboxError {
    if (err instanceof StompboxError) {
      logger.debug({ code: err.code, session, message: err.message }, 'session error');
      return err;
    }
    logger.error({ err, session }, 'unexpected error handling client input');
    return new StompboxError(ErrorCodes.INTERNAL, 'internal error');
  }

  /**
   * A delivery that does not need an ack found the output over its limit (only those
   * can overflow: the others stop at their window). Per `slowConsumerPolicy`: dropped
   * and counted, or the connection fails as a slow consumer. The delivery is skipped
   * either way.
   */
  protected overflowed(policy: string): void {
    if (policy === 'drop') this.dropped++;
    else this.fail(new StompboxError(ErrorCodes.SLOW_CONSUMER, `slow consumer: more than ${this.out.limit} bytes waiting to be sent`));
  }

  /** Tells the client why (ERROR frame, CONNACK or DISCONNECT reason code), then closes. */
  abstract fail(err: unknown): void;
  /** Releases subscriptions, timers and the session's registrations. */
  protected abstract cleanup(): void;

  /** Flushes what is buffered and closes the network connection. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.stopConnectTimer();
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
    this.stopConnectTimer();
    this.cleanup();
  }
}
