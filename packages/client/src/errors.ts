/**
 * One error class for everything the client reports, with a stable code (listed in
 * docs/client-errors.md; a test keeps the two in sync). An ERROR frame from the broker
 * keeps its frame, so `err.frame.headers.code` gives the broker's own code.
 */
import type { Frame } from '@stompbox/stomp-codec';

export const ClientErrorCodes = {
  /** The broker refused the login (an ERROR before CONNECTED, code STOMPBOX_ERR_AUTH_FAILED or a message saying so): no retry. */
  CONNECT_REFUSED: 'STOMPBOX_CLIENT_ERR_CONNECT_REFUSED',
  /** No CONNECTED within `connectTimeout` ms of opening the socket. */
  CONNECT_TIMEOUT: 'STOMPBOX_CLIENT_ERR_CONNECT_TIMEOUT',
  /** Every attempt allowed by `reconnect.maxAttempts` failed. */
  RECONNECT_EXHAUSTED: 'STOMPBOX_CLIENT_ERR_RECONNECT_EXHAUSTED',
  /** The broker sent an ERROR frame (for a frame with a receipt, that frame's promise rejects); before CONNECTED, retried with backoff. */
  SERVER_ERROR: 'STOMPBOX_CLIENT_ERR_SERVER_ERROR',
  /** The connection ended before an operation that cannot be replayed (an ack) completed. */
  CONNECTION_LOST: 'STOMPBOX_CLIENT_ERR_CONNECTION_LOST',
  /** Nothing heard from the broker for twice the agreed heart-beat (wall-clock time). */
  HEARTBEAT_TIMEOUT: 'STOMPBOX_CLIENT_ERR_HEARTBEAT_TIMEOUT',
  /** The offline send queue is at `offlineQueue.maxMessages` (policy `reject`) or dropped this entry (policy `drop-oldest`). */
  QUEUE_FULL: 'STOMPBOX_CLIENT_ERR_QUEUE_FULL',
  /** `disconnect()` was called: queued operations that could not be flushed reject with this. */
  DISCONNECTED: 'STOMPBOX_CLIENT_ERR_DISCONNECTED',
  /** No transport given and none found (no `uni`, `wx` or `WebSocket` global). */
  NO_TRANSPORT: 'STOMPBOX_CLIENT_ERR_NO_TRANSPORT',
  /** The broker sent bytes that are not STOMP, or a frame over `maxFrameSize` (the reader's code is in `cause`). */
  PROTOCOL: 'STOMPBOX_CLIENT_ERR_PROTOCOL',
  /** A bad argument: an empty destination, a transaction used after commit ... */
  INVALID_ARGUMENT: 'STOMPBOX_CLIENT_ERR_INVALID_ARGUMENT',
} as const;

export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];

export class StompboxClientError extends Error {
  readonly code: ClientErrorCode;
  /** The ERROR frame, when the broker sent one. */
  readonly frame: Frame | undefined;
  constructor(code: ClientErrorCode, message: string, frame?: Frame, cause?: unknown) {
    super(message, { cause });
    this.name = 'StompboxClientError';
    this.code = code;
    this.frame = frame;
  }
}
