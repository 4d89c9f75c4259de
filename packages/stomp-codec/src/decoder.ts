/**
 * Incremental STOMP frame decoder (STOMP 1.0, 1.1, 1.2).
 *
 * Grammar accepted (STOMP 1.2 §"Augmented BNF", liberal where 1.0/1.1 peers differ):
 *
 *   frame-stream = *( EOL / frame )              ; EOLs between frames are heart-beats
 *   frame        = command EOL *( header EOL ) EOL *OCTET NULL
 *   EOL          = [CR] LF                       ; CR-LF accepted in every version
 *   header       = header-name ":" header-value  ; the name may not be empty
 *
 * The body is read by `content-length` when the frame has one (bytes, may contain
 * NULs; the octet after it must be NUL), otherwise up to the first NUL.
 *
 * Design (as nats.js's parser): input is consumed in one pass; header lines are
 * decoded as soon as they are complete, so only an incomplete line is ever carried
 * across chunks; a body that lies inside one chunk is returned as a view, and only a
 * body split across chunks is copied. Every limit is checked before bytes are kept:
 * a header line longer than `maxHeaderLength`, more than `maxHeaders` headers or a
 * frame longer than `maxFrameSize` fail as soon as the bytes seen prove it.
 * After a failure the decoder stays failed: the caller sends ERROR and closes.
 */
import { escapes, type Frame, type StompVersion } from './frame.js';
import { StompCodecError } from './errors.js';
import { utf8Decode } from './utf8.js';
import { LineCache, MAX_CACHED_LINE } from './line-cache.js';
import { unescape } from './value-encoding.js';

export interface DecoderLimits {
  /** Whole frame in bytes: command, headers and body. */
  maxFrameSize: number;
  /** Header lines per frame. */
  maxHeaders: number;
  /** Bytes of one header line (the command line too). */
  maxHeaderLength: number;
}

export const DEFAULT_LIMITS: DecoderLimits = {
  maxFrameSize: 10 * 1024 * 1024,
  maxHeaders: 1000,
  maxHeaderLength: 64 * 1024,
};

export interface DecoderOptions extends Partial<DecoderLimits> {
  /** The negotiated version; decides header unescaping (none before CONNECTED, none in 1.0). */
  version?: StompVersion;
  onFrame: (frame: Frame) => void;
  /** Called for each EOL seen between frames (a heart-beat). */
  onHeartbeat?: () => void;
  /**
   * Client side: a body read by `content-length` completes the frame at once; the NUL
   * after it is skipped when it comes and not required (WeChat on iOS drops the last
   * byte of a text message when it is NUL). The broker keeps the strict default.
   */
  nulOptional?: boolean;
}

/** One cache for every decoder: idle connections pay nothing, and busy ones share lines. */
const sharedCache = new LineCache();

const LF = 10;
const CR = 13;
const COLON = 58;
const BACKSLASH = 92;

const EMPTY = new Uint8Array(0);

type Phase = 'line' | 'body-length' | 'body-nul' | 'failed';

type BufferLike = { toString(encoding: string, start: number, end: number): string };
const NodeBuffer = (globalThis as { Buffer?: { isBuffer(b: unknown): boolean; allocUnsafe(n: number): Uint8Array } }).Buffer;

function alloc(n: number): Uint8Array {
  return NodeBuffer !== undefined ? NodeBuffer.allocUnsafe(n) : new Uint8Array(n);
}

/**
 * A copy of `bytes[start, end)` that the caller may not overwrite. Not `bytes.slice()`:
 * on a Node Buffer (what sockets deliver) that returns a view of the caller's memory.
 */
function copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = alloc(end - start);
  out.set(bytes.subarray(start, end), 0);
  return out;
}

function decodeRange(bytes: Uint8Array, start: number, end: number): string {
  if (NodeBuffer !== undefined && NodeBuffer.isBuffer(bytes)) return (bytes as unknown as BufferLike).toString('utf8', start, end);
  return utf8Decode(bytes, start, end);
}

export class StompDecoder {
  private _version: StompVersion | undefined;
  readonly limits: DecoderLimits;
  private readonly onFrame: (frame: Frame) => void;
  private readonly onHeartbeat: (() => void) | undefined;
  private readonly nulOptional: boolean;
  /** A frame was completed by content-length without its NUL: skip one if it is next. */
  private skipNul = false;

  private phase: Phase = 'line';
  /** Bytes of an incomplete line carried over from the previous chunk. */
  private partial: Uint8Array | null = null;
  /** Bytes of `partial` in use (it has spare room to grow into). */
  private partialLen = 0;
  private command: string | null = null;
  private headers: string[] = [];
  private contentLength = -1;
  /** Bytes of the current frame seen so far (for maxFrameSize). */
  private frameBytes = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private bodyChunks: Uint8Array[] = [];

  constructor(options: DecoderOptions) {
    this.limits = {
      maxFrameSize: options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
      maxHeaders: options.maxHeaders ?? DEFAULT_LIMITS.maxHeaders,
      maxHeaderLength: options.maxHeaderLength ?? DEFAULT_LIMITS.maxHeaderLength,
    };
    this._version = options.version;
    this.onFrame = options.onFrame;
    this.onHeartbeat = options.onHeartbeat;
    this.nulOptional = options.nulOptional ?? false;
  }

  /** The negotiated version: decides unescaping (and 1.0 trimming) from the next frame on. */
  get version(): StompVersion | undefined {
    return this._version;
  }

  set version(v: StompVersion | undefined) {
    this._version = v;
  }

  /** True between frames: nothing of a frame has been received yet. */
  get idle(): boolean {
    return this.phase === 'line' && this.command === null && this.partial === null;
  }

  /** Feeds bytes; emits every complete frame. Throws StompCodecError on malformed input. */
  push(chunk: Uint8Array): void {
    if (this.phase === 'failed') throw new StompCodecError('STOMPBOX_ERR_MALFORMED_FRAME', 'decoder already failed');
    try {
      this.consume(chunk);
    } catch (err) {
      this.phase = 'failed';
      this.partial = null;
      this.partialLen = 0;
      this.body = null;
      this.bodyChunks = [];
      throw err;
    }
  }

  private consume(data: Uint8Array): void {
    let off = 0;
    const len = data.length;
    if (this.skipNul && len > 0) {
      this.skipNul = false;
      if (data[0] === 0) off = 1;
    }
    while (off < len) {
      if (this.phase === 'line') {
        off = this.readLines(data, off);
      } else if (this.phase === 'body-length') {
        off = this.readBodyByLength(data, off);
      } else {
        off = this.readBodyToNul(data, off);
      }
    }
  }

  /** Reads command and header lines; returns the offset where it stopped. */
  private readLines(data: Uint8Array, off: number): number {
    const len = data.length;
    const maxLine = this.limits.maxHeaderLength;
    while (off < len) {
      let lf = data.indexOf(LF, off);
      if (this.partial !== null) {
        // Append to the carried-over prefix (at most maxLine). The buffer grows by
        // doubling, so a line trickled in one byte per chunk costs O(n), not O(n^2).
        const tail = lf === -1 ? len - off : lf - off;
        const have = this.partialLen;
        if (have + tail > maxLine + 1) this.lineTooLong();
        let buf = this.partial;
        if (have + tail > buf.length) {
          const grown = alloc(Math.min(maxLine + 2, Math.max(have + tail, buf.length * 2)));
          grown.set(buf.subarray(0, have), 0);
          buf = this.partial = grown;
        }
        buf.set(data.subarray(off, off + tail), have);
        this.partialLen = have + tail;
        if (lf === -1) {
          this.countFrameBytes(tail);
          return len;
        }
        this.partial = null;
        this.partialLen = 0;
        this.countFrameBytes(tail + 1);
        off = lf + 1;
        if (this.line(buf, 0, have + tail)) return off;
        continue;
      }
      if (lf === -1) {
        // Incomplete line: check the limits on what we have before keeping it.
        const rest = len - off;
        if (this.command === null && rest === 1 && data[off] === CR) {
          // A lone CR between frames: half of a CR-LF heart-beat; keep it.
        } else if (rest > maxLine + 1) this.lineTooLong();
        this.countFrameBytes(rest);
        this.partial = copy(data, off, len);
        this.partialLen = len - off;
        return len;
      }
      this.countFrameBytes(lf + 1 - off);
      const start = off;
      off = lf + 1;
      if (this.line(data, start, lf)) return off;
    }
    return off;
  }

  /**
   * Handles one complete line (without its LF). Returns true when the header block
   * ended and the phase moved on to the body (the caller must re-dispatch).
   */
  private line(bytes: Uint8Array, start: number, end: number): boolean {
    if (end > start && bytes[end - 1] === CR) end--; // EOL = [CR] LF
    if (this.command === null) {
      if (end === start) {
        // An EOL between frames: a heart-beat (STOMP 1.1 §"Heart-beating").
        this.frameBytes = 0;
        if (this.onHeartbeat !== undefined) this.onHeartbeat();
        return false;
      }
      if (end - start > this.limits.maxHeaderLength) this.lineTooLong();
      let hash = 7;
      for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + bytes[i]) | 0;
      if (end - start <= MAX_CACHED_LINE && sharedCache.get(bytes, start, end, hash)) {
        this.command = sharedCache.name;
      } else {
        this.command = decodeRange(bytes, start, end);
        if (end - start <= MAX_CACHED_LINE) sharedCache.set(bytes, start, end, hash, this.command, '');
      }
      return false;
    }
    if (end === start) {
      this.startBody();
      return true;
    }
    if (end - start > this.limits.maxHeaderLength) this.lineTooLong();
    if (this.headers.length >= this.limits.maxHeaders * 2) {
      throw new StompCodecError('STOMPBOX_ERR_TOO_MANY_HEADERS', `frame has more than ${this.limits.maxHeaders} headers`);
    }
    let colon = -1;
    let escaped = false;
    let hash = 0;
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      hash = (Math.imul(hash, 31) + b) | 0;
      if (b === COLON) {
        if (colon === -1) colon = i;
      } else if (b === BACKSLASH) escaped = true;
    }
    // Cached strings must not depend on the decoder's state: lines with escapes decode
    // differently per command (CONNECT is never unescaped) and 1.0 trims values.
    const cacheable = !escaped && this._version !== '1.0' && end - start <= MAX_CACHED_LINE;
    const cache = sharedCache;
    if (cacheable && cache.get(bytes, start, end, hash)) {
      this.addHeader(cache.name, cache.value);
      return false;
    }
    if (colon <= start) {
      throw new StompCodecError(
        'STOMPBOX_ERR_MALFORMED_FRAME',
        colon === start ? 'header with an empty name' : `header line without ':' in ${this.command} frame`,
      );
    }
    let name = decodeRange(bytes, start, colon);
    let value = decodeRange(bytes, colon + 1, end);
    if (escaped && escapes(this._version, this.command)) {
      name = unescape(name);
      value = unescape(value);
    } else if (this._version === '1.0') {
      // STOMP 1.0 predates "values are never trimmed"; 1.0 clients write `name: value`.
      value = value.trim();
    }
    if (cacheable) cache.set(bytes, start, end, hash, name, value);
    this.addHeader(name, value);
    return false;
  }

  private addHeader(name: string, value: string): void {
    // Repeated headers: the first wins, so only the first content-length counts.
    if (this.contentLength === -1 && name === 'content-length') {
      this.contentLength = parseContentLength(value, this.limits.maxFrameSize);
    }
    this.headers.push(name, value);
  }

  private startBody(): void {
    const cl = this.contentLength;
    if (cl >= 0) {
      if (this.frameBytes + cl + 1 > this.limits.maxFrameSize) this.frameTooLarge();
      this.phase = 'body-length';
      this.body = null;
      this.bodyFill = 0;
    } else {
      this.phase = 'body-nul';
      this.bodyChunks = [];
    }
  }

  private readBodyByLength(data: Uint8Array, off: number): number {
    const cl = this.contentLength;
    if (this.body === null) {
      // Whole body and its NUL in this chunk: hand out a view.
      if (off + cl < data.length || (this.nulOptional && off + cl === data.length)) {
        return this.endBody(data.subarray(off, off + cl), data, off + cl);
      }
      this.body = alloc(cl);
      this.bodyFill = 0;
    }
    const need = cl - this.bodyFill;
    const take = Math.min(need, data.length - off);
    this.body.set(data.subarray(off, off + take), this.bodyFill);
    this.bodyFill += take;
    this.frameBytes += take;
    off += take;
    if (this.bodyFill < cl || (off >= data.length && !this.nulOptional)) return off;
    return this.endBody(this.body, data, off);
  }

  /** The body is complete at `off`: the NUL must follow (or, with nulOptional, may). */
  private endBody(body: Uint8Array, data: Uint8Array, off: number): number {
    if (off < data.length && data[off] === 0) {
      this.emit(body);
      return off + 1;
    }
    if (!this.nulOptional) this.missingNul();
    this.emit(body);
    this.skipNul = off >= data.length;
    return off;
  }

  /**
   * A message-oriented transport (WebSocket) ended a message. With `nulOptional`, a
   * frame whose headers are complete and whose body runs to NUL (no content-length)
   * ends here too: brokers put whole frames in each message, and the NUL is what a
   * WeChat iOS socket loses. Without `nulOptional` this does nothing.
   */
  endOfMessage(): void {
    if (!this.nulOptional) return;
    if (this.phase === 'body-nul') this.emit(this.joinBody());
    else if (this.phase === 'body-length' && this.contentLength === 0) this.emit(EMPTY);
    else return;
    this.skipNul = true;
  }

  private joinBody(): Uint8Array {
    const chunks = this.bodyChunks;
    let total = 0;
    for (const c of chunks) total += c.length;
    const body = alloc(total);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
    this.bodyChunks = [];
    return body;
  }

  private readBodyToNul(data: Uint8Array, off: number): number {
    const nul = data.indexOf(0, off);
    const end = nul === -1 ? data.length : nul;
    this.countFrameBytes(end - off + (nul === -1 ? 0 : 1));
    if (nul !== -1 && this.bodyChunks.length === 0) {
      this.emit(data.subarray(off, nul));
      return nul + 1;
    }
    if (end > off) this.bodyChunks.push(copy(data, off, end));
    if (nul === -1) return data.length;
    this.emit(this.joinBody());
    return nul + 1;
  }

  private emit(body: Uint8Array): void {
    const frame: Frame = { command: this.command as string, headers: this.headers, body };
    this.command = null;
    this.headers = [];
    this.contentLength = -1;
    this.frameBytes = 0;
    this.body = null;
    this.phase = 'line';
    this.onFrame(frame);
  }

  private countFrameBytes(n: number): void {
    this.frameBytes += n;
    if (this.frameBytes > this.limits.maxFrameSize) this.frameTooLarge();
  }

  private frameTooLarge(): never {
    throw new StompCodecError('STOMPBOX_ERR_FRAME_TOO_LARGE', `frame larger than ${this.limits.maxFrameSize} bytes`);
  }

  private lineTooLong(): never {
    throw new StompCodecError('STOMPBOX_ERR_HEADER_TOO_LONG', `header line longer than ${this.limits.maxHeaderLength} bytes`);
  }

  private missingNul(): never {
    throw new StompCodecError('STOMPBOX_ERR_MALFORMED_FRAME', `${this.command} frame body is not followed by NUL (check content-length)`);
  }
}

function parseContentLength(value: string, max: number): number {
  let n = 0;
  const len = value.length;
  for (let i = 0; i < len; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || len > 10) n = -1;
    if (n < 0) break;
    n = n * 10 + d;
  }
  if (len === 0 || n < 0) {
    throw new StompCodecError('STOMPBOX_ERR_MALFORMED_FRAME', `invalid content-length '${value.slice(0, 40)}'`);
  }
  if (n > max) throw new StompCodecError('STOMPBOX_ERR_FRAME_TOO_LARGE', `content-length ${n} is larger than ${max} bytes`);
  return n;
}
