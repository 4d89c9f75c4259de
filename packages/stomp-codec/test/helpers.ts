/**
 * Shared test helpers: building wire bytes, feeding a decoder in chunks and
 * collecting what it emits (copied in the callback, since `Frame.body` is a view).
 */
import { StompCodecError, StompDecoder, type CodecErrorCode, type DecoderLimits, type Frame, type StompVersion } from '../src/index.js';

/** A frame as the tests compare it: headers and body copied out of the decoder's views. */
export interface DecodedFrame {
  command: string;
  headers: string[];
  body: Uint8Array;
}

export interface DecodeResult {
  frames: DecodedFrame[];
  heartbeats: number;
  /** Code of the StompCodecError that stopped decoding, if any. */
  code?: CodecErrorCode;
  /** Index of the chunk whose push threw. */
  failedAt?: number;
}

export interface DecodeOptions extends Partial<DecoderLimits> {
  version?: StompVersion;
  /** Feed Node Buffers instead of plain Uint8Arrays (the decoder takes another UTF-8 path). */
  buffers?: boolean;
}

const enc = new TextEncoder();

/** Wire bytes from strings (UTF-8) and byte arrays. */
export function bytes(...parts: (string | readonly number[] | Uint8Array)[]): Uint8Array {
  return concat(...parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p))));
}

export function concat(...arrays: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const a of arrays) n += a.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export function frame(command: string, headers: string[], body: string | readonly number[] | Uint8Array = ''): DecodedFrame {
  return { command, headers, body: bytes(body) };
}

/** A plain copy (never a Buffer, never a view), so deepStrictEqual compares contents. */
export function copyFrame(f: Frame): DecodedFrame {
  return { command: f.command, headers: [...f.headers], body: new Uint8Array(f.body) };
}

/** Splits `data` at the given (sorted, in-range) offsets; every chunk is a fresh copy. */
export function splitAt(data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(data.slice(from, p));
    from = p;
  }
  out.push(data.slice(from));
  return out;
}

export function oneByteAtATime(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i++) out.push(data.slice(i, i + 1));
  return out;
}

/** Feeds the chunks to a fresh decoder; a StompCodecError ends decoding, anything else is rethrown. */
export function decodeChunks(chunks: readonly Uint8Array[], options: DecodeOptions = {}): DecodeResult {
  const result: DecodeResult = { frames: [], heartbeats: 0 };
  const { buffers, ...rest } = options;
  const decoder = new StompDecoder({
    ...rest,
    onFrame: (f) => result.frames.push(copyFrame(f)),
    onHeartbeat: () => result.heartbeats++,
  });
  for (let i = 0; i < chunks.length; i++) {
    try {
      decoder.push(buffers === true ? Buffer.from(chunks[i]) : chunks[i]);
    } catch (err) {
      if (!(err instanceof StompCodecError)) throw err;
      result.code = err.code;
      result.failedAt = i;
      return result;
    }
  }
  return result;
}

export function decode(data: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  return decodeChunks([data], options);
}

/** The part of a result that must not depend on how the input was chunked. */
export function outcome(r: DecodeResult): { frames: DecodedFrame[]; heartbeats: number; code: CodecErrorCode | undefined } {
  return { frames: r.frames, heartbeats: r.heartbeats, code: r.code };
}

/** Readable form for assertion messages. */
export function show(data: Uint8Array): string {
  return JSON.stringify(Buffer.from(data).toString('latin1'));
}
