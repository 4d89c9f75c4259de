/**
 * Property tests (fast-check). Run counts are kept at a few hundred so the file runs in
 * a few seconds; set FC_NUM_RUNS to run more (e.g. FC_NUM_RUNS=20000 in a soak job).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, escapes, type StompVersion } from '../src/index.js';
import { bytes, concat, decode, decodeChunks, outcome, splitAt, type DecodedFrame } from './helpers.js';

const SOAK = process.env.FC_NUM_RUNS;
const params = (numRuns = 300): fc.Parameters<unknown> => ({ numRuns: SOAK !== undefined ? Number(SOAK) : numRuns });

// --- arbitraries -----------------------------------------------------------------

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
/** Commands; CONNECT, CONNECTED and STOMP are never escaped, so they cannot carry arbitrary values. */
const command = fc.string({ unit: fc.constantFrom(...UPPER), minLength: 1, maxLength: 12 }).filter((c) => escapes('1.2', c));

/** Characters that matter to the codec, plus multi-byte UTF-8 and a BOM. */
const tricky = fc.constantFrom(':', '\n', '\r', '\\', ' ', '\t', '\0', 'a', 'n', 'c', 'r', 'é', '中', '😀', '\ufeff', '\ufffd');
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }), // any code point, no lone surrogates
  fc.string({ unit: tricky, maxLength: 24 }),
  fc.string({ unit: fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 20, maxLength: 60 }), // > 64 bytes too
);
const headerName = text.filter((s) => s.length > 0 && s !== 'content-length');
const headersOf = (value: fc.Arbitrary<string>, name: fc.Arbitrary<string> = headerName): fc.Arbitrary<string[]> =>
  fc.array(fc.tuple(name, value), { maxLength: 6 }).map((pairs) => pairs.flat());
const body = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 600 }));

interface GenFrame { command: string; headers: string[]; body: Uint8Array; contentLength: boolean }

/** A frame and whether to send content-length (always when the body holds a NUL). */
const frameArb = (headers: fc.Arbitrary<string[]>): fc.Arbitrary<GenFrame> =>
  fc.record({ command, headers, body, contentLength: fc.boolean() })
    .map((f) => ({ ...f, contentLength: f.contentLength || f.body.includes(0) }));

/** What the decoder must give back for `f`: its headers, then the content-length the encoder added. */
function expected(f: GenFrame): DecodedFrame {
  return {
    command: f.command,
    headers: f.contentLength ? [...f.headers, 'content-length', String(f.body.length)] : f.headers,
    body: new Uint8Array(f.body),
  };
}

const encode = (f: GenFrame, version: StompVersion): Uint8Array =>
  encodeFrame(f.command, f.headers, f.body, { version, contentLength: f.contentLength });

/** Sorted split points inside [0, n]. */
const splitPoints = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });
const pointsFor = (fractions: number[], n: number): number[] => fractions.map((x) => Math.floor(x * n)).sort((a, b) => a - b);

// --- round trips -----------------------------------------------------------------

describe('properties: encode → decode round trip', () => {
  test('STOMP 1.2 value encoding: any header name and value, any body, round trips', () => {
    fc.assert(fc.property(frameArb(headersOf(text)), fc.boolean(), (f, buffers) => {
      const r = decode(encode(f, '1.2'), { version: '1.2', buffers });
      assert.equal(r.code, undefined);
      assert.deepEqual(r.frames, [expected(f)]);
    }), params());
  });

  test('STOMP 1.1 value encoding: any value without CR round trips (1.1 has no \\r escape)', () => {
    const value = text.map((s) => s.replace(/\r/g, ''));
    fc.assert(fc.property(frameArb(headersOf(value)), fc.boolean(), (f, buffers) => {
      const r = decode(encode(f, '1.1'), { version: '1.1', buffers });
      assert.equal(r.code, undefined);
      assert.deepEqual(r.frames, [expected(f)]);
    }), params());
  });

  test('STOMP 1.0 headers: names without : or LF and values without LF or outer blanks round trip', () => {
    const name = headerName.map((s) => s.replace(/[:\n]/g, '_'));
    const value = text.map((s) => s.replace(/\n/g, '').trim());
    fc.assert(fc.property(frameArb(headersOf(value, name)), (f) => {
      const r = decode(encode(f, '1.0'), { version: '1.0' });
      assert.equal(r.code, undefined);
      assert.deepEqual(r.frames, [expected(f)]);
    }), params());
  });
});

// --- chunking ------------------------------------------------------------------

/** A stream of frames with heart-beats (LF or CR-LF) before each one and at the end. */
const streamArb = fc.array(fc.tuple(frameArb(headersOf(text)), fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 2 })), { minLength: 1, maxLength: 4 })
  .chain((items) => fc.record({ items: fc.constant(items), trailing: fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 2 }) }));

describe('properties: split anywhere = whole', () => {
  test('STOMP 1.2 frame-stream: frames with heart-beats decode the same however they are split', () => {
    fc.assert(fc.property(streamArb, splitPoints, fc.boolean(), ({ items, trailing }, fractions, buffers) => {
      const wire = concat(...items.flatMap(([f, eols]) => [bytes(eols.join('')), encode(f, '1.2')]), bytes(trailing.join('')));
      const want = {
        frames: items.map(([f]) => expected(f)),
        heartbeats: items.reduce((n, [, eols]) => n + eols.length, 0) + trailing.length,
        code: undefined,
      };
      assert.deepEqual(outcome(decode(wire, { version: '1.2' })), want);
      assert.deepEqual(outcome(decodeChunks(splitAt(wire, pointsFor(fractions, wire.length)), { version: '1.2', buffers })), want);
    }), params(200));
  });

  test('arbitrary and mutated byte streams decode the same whole, split, as Uint8Array or as Buffer', () => {
    fc.assert(fc.property(garbage, splitPoints, fc.constantFrom<StompVersion | undefined>('1.0', '1.1', '1.2', undefined), (wire, fractions, version) => {
      const whole = outcome(decode(wire, { version }));
      assert.deepEqual(outcome(decode(wire, { version, buffers: true })), whole, 'Buffer, whole');
      const chunks = splitAt(wire, pointsFor(fractions, wire.length));
      assert.deepEqual(outcome(decodeChunks(chunks, { version })), whole, 'Uint8Array, split');
      assert.deepEqual(outcome(decodeChunks(chunks, { version, buffers: true })), whole, 'Buffer, split');
    }), params(500));
  });
});

// --- robustness ----------------------------------------------------------------

/** STOMP-shaped noise: valid frames with bytes overwritten or inserted, raw random bytes, invalid UTF-8. */
const noiseByte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(0, 10, 13, 58, 92, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
);
const garbage: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(fc.oneof(noiseByte, fc.constantFrom(...'SEND\ncontent-length:3\n\n\\c\\t:\r\n'.split('').map((ch) => ch.charCodeAt(0)))), { maxLength: 200 })
    .map((a) => Uint8Array.from(a)),
  fc.tuple(frameArb(headersOf(text)), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), noiseByte, fc.boolean()), { minLength: 1, maxLength: 4 }))
    .map(([f, edits]) => {
      const b = Array.from(encode(f, '1.2'));
      for (const [at, byte, insert] of edits) {
        const i = Math.floor(at * b.length);
        if (insert) b.splice(i, 0, byte);
        else b[Math.min(i, b.length - 1)] = byte;
      }
      return Uint8Array.from(b);
    }),
);

describe('properties: robustness', () => {
  test('random bytes, in random chunks and under random limits, throw nothing but StompCodecError', () => {
    const limits = fc.record({
      maxFrameSize: fc.integer({ min: 0, max: 400 }),
      maxHeaders: fc.integer({ min: 0, max: 8 }),
      maxHeaderLength: fc.integer({ min: 0, max: 80 }),
    }, { requiredKeys: [] });
    fc.assert(fc.property(garbage, splitPoints, limits, fc.boolean(), (wire, fractions, lim, buffers) => {
      // decodeChunks rethrows anything that is not a StompCodecError.
      decodeChunks(splitAt(wire, pointsFor(fractions, wire.length)), { ...lim, version: '1.2', buffers });
    }), params(500));
  });

  test('any frame over maxFrameSize is rejected with STOMPBOX_ERR_FRAME_TOO_LARGE; one that fits is accepted', () => {
    fc.assert(fc.property(frameArb(headersOf(text)), fc.double({ min: 0, max: 1, noNaN: true }), splitPoints, (f, x, fractions) => {
      const wire = encode(f, '1.2');
      const chunks = splitAt(wire, pointsFor(fractions, wire.length));
      const over = decodeChunks(chunks, { version: '1.2', maxFrameSize: Math.floor(x * (wire.length - 1)) });
      assert.equal(over.code, 'STOMPBOX_ERR_FRAME_TOO_LARGE');
      assert.equal(over.frames.length, 0);
      const fits = decodeChunks(chunks, { version: '1.2', maxFrameSize: wire.length });
      assert.deepEqual(fits.frames, [expected(f)]);
    }), params());
  });
});
