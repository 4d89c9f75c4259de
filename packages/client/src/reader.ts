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

export interface FrameReader {
  /** Set at CONNECTED: 1.1 and 1.2 header values are unescaped. */
  version_?: StompVersion;
  push_(data: Uint8Array): void;
  /** The end of a WebSocket message: a frame still waiting for its NUL ends here. */
  end_(): void;
}

export function frameReader(onFrame: (f: Frame) => void, onBeat: () => void, max = 10 * 1024 * 1024): FrameReader {
  let buf = EMPTY;
  /** Bytes that arrived since `buf` was last read, kept apart until they can complete a frame. */
  let chunks: Uint8Array[] = [];
  let size = 0;
  /** Bytes needed before reading again; -1: a NUL is needed. Big bodies are joined once, not per chunk. */
  let need = 0;
  const limit = (n: number) => n > max && fail('STOMPBOX_ERR_FRAME_TOO_LARGE', `frame over ${max} bytes`);

  const self: FrameReader = {
    push_(data) {
      chunks.push(data);
      size += data.length;
      if (need === -1 ? data.indexOf(0) === -1 : size < need) limit(size);
      else read(false);
    },
    end_: () => read(true),
  };

  function read(atEnd: boolean): void {
    if (chunks.length > 1) {
      const b = new Uint8Array(size);
      let at = 0;
      for (const x of chunks) b.set(x, (at += x.length) - x.length);
      chunks = [b];
    }
    buf = chunks[0] ?? EMPTY;
    while (frame(atEnd));
    chunks = buf.length ? [buf] : [];
    size = buf.length;
  }

  /** Reads one frame (or skips one EOL or stray NUL); false when more bytes are needed. */
  function frame(atEnd: boolean): boolean {
    const b = buf;
    need = 0;
    if (b.length === 0) return false;
    if (b[0] === 10 || b[0] === 0) {
      if (b[0] === 10) onBeat();
      buf = b.subarray(1);
      return true;
    }
    if (b[0] === 13) {
      if (b.length < 2) return false;
      if (b[1] !== 10) fail('STOMPBOX_ERR_MALFORMED_FRAME', 'CR without LF');
      buf = b.subarray(1);
      return true;
    }
    // The blank line: LF followed by LF or CR LF.
    let at = -1;
    for (let i = b.indexOf(10); i !== -1 && at === -1; i = b.indexOf(10, i + 1)) {
      if (b[i + 1] === 10) at = i + 2;
      else if (b[i + 1] === 13 && b[i + 2] === 10) at = i + 3;
    }
    if (at === -1) {
      limit(b.length);
      return false;
    }
    const lines = utf8Decode(b, 0, at).split(/\r?\n/);
    lines.length -= 2;
    if (lines.length > 1001) fail('STOMPBOX_ERR_TOO_MANY_HEADERS', `${lines.length - 1} headers`);
    const command = lines[0];
    const v = self.version_;
    const esc = !!v && v !== '1.0' && command !== 'CONNECTED';
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
    limit(length === -1 && end === -1 ? b.length : end);
    if (length !== -1 ? b.length < end : end === -1 && !atEnd) {
      need = length === -1 ? -1 : end;
      return false;
    }
    if (end === -1) end = b.length;
    // A view, as the codec's Frame: valid until the next push (Message copies it).
    onFrame({ command, headers, body: b.subarray(at, end) });
    buf = b.subarray(length === -1 ? end + 1 : end);
    return true;
  }

  return self;
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
