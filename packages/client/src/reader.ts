/**
 * The client's own frame reader. The codec's StompDecoder is built for the broker's
 * hot path (one pass, a line cache, views into the chunk) and costs 2.2 KB gzipped;
 * a client receives far less and can afford a simpler reader: it keeps what arrived
 * until a frame is whole, reads the header block up to the blank line, then
 * `content-length` bytes when given (the NUL after them is skipped when it comes, and
 * not required: WeChat on iOS loses the last byte of a text message when it is NUL),
 * else the bytes up to the NUL (or to the end of a WebSocket message, `end()`).
 *
 * STOMP 1.2 §"Augmented BNF": EOL = [CR] LF; EOLs between frames are heart-beats.
 * Header values are unescaped in 1.1 and 1.2 except in CONNECTED (§"Value Encoding");
 * repeated headers are kept, in order (the first wins, see getHeader).
 * Limits: a frame (headers and body) longer than `max` bytes, or with more than 1000
 * headers, fails as soon as the bytes seen prove it. After a failure, the session
 * closes; the reader is not used again.
 */
import { utf8Decode } from './utf8.js';
import type { Frame, StompVersion } from '@stompbox/stomp-codec';

export type ReaderErrorCode = 'STOMPBOX_ERR_FRAME_TOO_LARGE' | 'STOMPBOX_ERR_TOO_MANY_HEADERS' | 'STOMPBOX_ERR_MALFORMED_FRAME' | 'STOMPBOX_ERR_BAD_ESCAPE';

/** What the reader throws: the codec's codes, so that `cause.code` reads the same. */
export class ReaderError extends Error {
  constructor(
    readonly code: ReaderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const EMPTY: Uint8Array = new Uint8Array(0);
const ESCAPES: Record<string, string> = { n: '\n', c: ':', r: '\r', '\\': '\\' };

export class FrameReader {
  version: StompVersion | undefined;
  private buf_ = EMPTY;
  /** Bytes that arrived since `buf_` was last read, kept apart until they can complete a frame. */
  private chunks_: Uint8Array[] = [];
  private size_ = 0;
  /** Bytes needed before reading again; -1: a NUL is needed. Big bodies are joined once, not per chunk. */
  private need_ = 0;

  constructor(
    private readonly onFrame_: (f: Frame) => void,
    private readonly onBeat_: () => void,
    readonly max = 10 * 1024 * 1024,
  ) {}

  push(data: Uint8Array): void {
    this.chunks_.push(data);
    this.size_ += data.length;
    if (this.need_ === -1 ? data.indexOf(0) === -1 : this.size_ < this.need_) return this.limit_(this.size_);
    this.read_(false);
  }

  /** The end of a WebSocket message: a frame still waiting for its NUL ends here. */
  end(): void {
    this.read_(true);
  }

  private read_(atEnd: boolean): void {
    const c = this.chunks_;
    if (c.length > 1) {
      const b = new Uint8Array(this.size_);
      let at = 0;
      for (const x of c) b.set(x, (at += x.length) - x.length);
      c.length = 0;
      c.push(b);
    }
    this.buf_ = c.length ? c[0] : EMPTY;
    while (this.frame_(atEnd));
    this.chunks_ = this.buf_.length ? [this.buf_] : [];
    this.size_ = this.buf_.length;
  }

  /** Reads one frame (or skips one EOL or stray NUL); false when more bytes are needed. */
  private frame_(atEnd: boolean): boolean {
    const b = this.buf_;
    this.need_ = 0;
    if (b.length === 0) return false;
    if (b[0] === 10 || b[0] === 0) {
      if (b[0] === 10) this.onBeat_();
      this.buf_ = b.subarray(1);
      return true;
    }
    if (b[0] === 13) {
      if (b.length < 2) return false;
      if (b[1] !== 10) fail('STOMPBOX_ERR_MALFORMED_FRAME', 'CR without LF');
      this.buf_ = b.subarray(1);
      return true;
    }
    // The blank line: LF followed by LF or CR LF.
    let at = -1;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) {
      if (b[i + 1] === 10) at = i + 2;
      else if (b[i + 1] === 13 && b[i + 2] === 10) at = i + 3;
      else continue;
      break;
    }
    if (at === -1) {
      this.limit_(b.length);
      return false;
    }
    const lines = utf8Decode(b, 0, at).split(/\r?\n/);
    lines.length -= 2;
    if (lines.length > 1001) fail('STOMPBOX_ERR_TOO_MANY_HEADERS', `${lines.length - 1} headers`);
    const command = lines[0];
    const esc = this.version !== undefined && this.version !== '1.0' && command !== 'CONNECTED';
    const headers: string[] = [];
    let length = -1;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const c = line.indexOf(':');
      if (c < 1) fail('STOMPBOX_ERR_MALFORMED_FRAME', `bad header line "${line.slice(0, 40)}"`);
      const name = esc ? unescape(line.slice(0, c)) : line.slice(0, c);
      const value = esc ? unescape(line.slice(c + 1)) : line.slice(c + 1);
      if (name === 'content-length' && length === -1) {
        if (!/^\d+$/.test(value)) fail('STOMPBOX_ERR_MALFORMED_FRAME', `bad content-length "${value}"`);
        length = Number(value);
      }
      headers.push(name, value);
    }
    let end = length === -1 ? b.indexOf(0, at) : at + length;
    this.limit_(length === -1 ? (end === -1 ? b.length : end) : end);
    if (length !== -1 ? b.length < end : end === -1 && !atEnd) {
      this.need_ = length === -1 ? -1 : end;
      return false;
    }
    if (end === -1) end = b.length;
    // A view, as the codec's Frame: valid until the next push (Message copies it).
    this.onFrame_({ command, headers, body: b.subarray(at, end) });
    this.buf_ = b.subarray(length === -1 ? end + 1 : end);
    return true;
  }

  private limit_(n: number): void {
    if (n > this.max) fail('STOMPBOX_ERR_FRAME_TOO_LARGE', `frame over ${this.max} bytes`);
  }
}

function fail(code: ReaderErrorCode, message: string): never {
  throw new ReaderError(code, message);
}

/** STOMP 1.2 §"Value Encoding": \n \c \r \\; any other escape is an error. */
function unescape(s: string): string {
  return s.indexOf('\\') === -1
    ? s
    : s.replace(/\\(.?)/g, (_, c: string) => ESCAPES[c] ?? fail('STOMPBOX_ERR_BAD_ESCAPE', `bad escape "\\${c}"`));
}
