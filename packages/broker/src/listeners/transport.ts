/**
 * What a protocol session sees of its connection, whatever carries it (TCP, TLS,
 * WebSocket): the raw socket for the outbox, and how to close.
 */
import type { Socket } from 'node:net';

export interface Transport {
  readonly kind: 'tcp' | 'tls' | 'ws';
  readonly socket: Socket;
  readonly remote: string;
  /** Graceful close after what is buffered was flushed; `code` is a WebSocket close code. */
  close(code: number, reason: string): void;
  /** Immediate close. */
  destroy(): void;
}

/** WebSocket close codes used when a STOMP session ends (RFC 6455 §7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
} as const;
