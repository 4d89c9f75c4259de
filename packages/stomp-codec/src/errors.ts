/**
 * Codec failures carry a stable code so that the broker can map them onto an ERROR
 * frame (and the client onto a typed error) in one place.
 */
export type CodecErrorCode =
  | 'STOMPBOX_ERR_FRAME_TOO_LARGE'
  | 'STOMPBOX_ERR_TOO_MANY_HEADERS'
  | 'STOMPBOX_ERR_HEADER_TOO_LONG'
  | 'STOMPBOX_ERR_MALFORMED_FRAME'
  | 'STOMPBOX_ERR_BAD_ESCAPE';

export class StompCodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'StompCodecError';
    this.code = code;
  }
}
