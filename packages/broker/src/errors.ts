/**
 * Every failure Stompbox reports has one class here, with a stable `code`
 * (listed in docs/errors.md) and the protocol's own answer set in one place:
 * the STOMP ERROR frame's `message` header comes from `message`, and
 * `fatal` says whether the connection must be closed after the ERROR frame.
 */
export class StompboxError extends Error {
  readonly code: string;
  /** STOMP 1.2: after an ERROR frame the server MUST close the connection; some errors are per-frame and recoverable (e.g. a refused SEND receipt) */
  readonly fatal: boolean;
  constructor(code: string, message: string, fatal = true) {
    super(message);
    this.name = 'StompboxError';
    this.code = code;
    this.fatal = fatal;
  }
}

export const ErrorCodes = {
  FRAME_TOO_LARGE: 'STOMPBOX_ERR_FRAME_TOO_LARGE',
  TOO_MANY_HEADERS: 'STOMPBOX_ERR_TOO_MANY_HEADERS',
  HEADER_TOO_LONG: 'STOMPBOX_ERR_HEADER_TOO_LONG',
  MALFORMED_FRAME: 'STOMPBOX_ERR_MALFORMED_FRAME',
  BAD_ESCAPE: 'STOMPBOX_ERR_BAD_ESCAPE',
  UNKNOWN_COMMAND: 'STOMPBOX_ERR_UNKNOWN_COMMAND',
  MISSING_HEADER: 'STOMPBOX_ERR_MISSING_HEADER',
  NOT_CONNECTED: 'STOMPBOX_ERR_NOT_CONNECTED',
  ALREADY_CONNECTED: 'STOMPBOX_ERR_ALREADY_CONNECTED',
  UNSUPPORTED_VERSION: 'STOMPBOX_ERR_UNSUPPORTED_VERSION',
  AUTH_FAILED: 'STOMPBOX_ERR_AUTH_FAILED',
  BAD_DESTINATION: 'STOMPBOX_ERR_BAD_DESTINATION',
  DUPLICATE_SUBSCRIPTION: 'STOMPBOX_ERR_DUPLICATE_SUBSCRIPTION',
  BAD_SELECTOR: 'STOMPBOX_ERR_BAD_SELECTOR',
  BAD_TRANSACTION: 'STOMPBOX_ERR_BAD_TRANSACTION',
  BAD_HEADER_VALUE: 'STOMPBOX_ERR_BAD_HEADER_VALUE',
  HEARTBEAT_TIMEOUT: 'STOMPBOX_ERR_HEARTBEAT_TIMEOUT',
  SLOW_CONSUMER: 'STOMPBOX_ERR_SLOW_CONSUMER',
  SHUTTING_DOWN: 'STOMPBOX_ERR_SHUTTING_DOWN',
  BAD_CONFIG: 'STOMPBOX_ERR_BAD_CONFIG',
  STORE_FAILED: 'STOMPBOX_ERR_STORE_FAILED',
  QUEUE_FULL: 'STOMPBOX_ERR_QUEUE_FULL',
  TRANSACTION_TOO_LARGE: 'STOMPBOX_ERR_TRANSACTION_TOO_LARGE',
  INTERNAL: 'STOMPBOX_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
