/**
 * Limits protect the broker from a peer that never ends a line, a header block or a
 * body. Each must fail as soon as the bytes seen prove the limit is passed, not when
 * the (possibly never-arriving) end of the frame shows up: these tests feed endless
 * input in 1 KB chunks and check which chunk throws.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, StompCodecError, StompDecoder, encodeFrame, type CodecErrorCode, type DecoderLimits } from '../src/index.js';
import { bytes, concat, decode, decodeChunks, oneByteAtATime } from './helpers.js';

const KB = 1024;

interface Endless { code: CodecErrorCode | undefined; failedAt: number; bytesPushed: number }

/** Pushes `prefix`, then `chunk` over and over (at most `maxChunks` times) until push throws. */
function feedEndless(prefix: Uint8Array, chunk: Uint8Array, limits: Partial<DecoderLimits>, maxChunks: number): Endless {
  const d = new StompDecoder({ ...limits, version: '1.2', onFrame: () => assert.fail('no frame expected') });
  let bytesPushed = 0;
  for (let i = 0; i <= maxChunks; i++) {
    const c = i === 0 ? prefix : chunk;
    try {
      d.push(c);
    } catch (err) {
      assert.ok(err instanceof StompCodecError);
      return { code: err.code, failedAt: i, bytesPushed: bytesPushed + c.length };
    }
    bytesPushed += c.length;
  }
  return { code: undefined, failedAt: -1, bytesPushed };
}

/** Index of the 1 KB filler chunk (1-based, after the prefix) holding stream offset `offset` (counted from the filler start). */
const chunkHolding = (offset: number): number => Math.floor(offset / KB) + 1;

describe('limits: maxHeaderLength', () => {
  const maxHeaderLength = 100;
  const exact = 'x:' + 'v'.repeat(maxHeaderLength - 2);

  test('a header line of exactly maxHeaderLength bytes is accepted (LF or CR-LF, whole or byte by byte)', () => {
    for (const eol of ['\n', '\r\n']) {
      const wire = bytes(`SEND\n${exact}${eol}\n\0`);
      for (const chunks of [[wire], oneByteAtATime(wire)]) {
        const r = decodeChunks(chunks, { maxHeaderLength });
        assert.equal(r.code, undefined, JSON.stringify(eol));
        assert.equal(r.frames[0].headers[1].length, maxHeaderLength - 2);
      }
    }
  });

  test('one byte more is rejected with STOMPBOX_ERR_HEADER_TOO_LONG (whole, byte by byte, CR-LF)', () => {
    for (const eol of ['\n', '\r\n']) {
      const wire = bytes(`SEND\n${exact}v${eol}\n\0`);
      assert.equal(decode(wire, { maxHeaderLength }).code, 'STOMPBOX_ERR_HEADER_TOO_LONG');
      assert.equal(decodeChunks(oneByteAtATime(wire), { maxHeaderLength }).code, 'STOMPBOX_ERR_HEADER_TOO_LONG');
    }
  });

  test('the command line is limited too', () => {
    assert.equal(decode(bytes(`${'C'.repeat(maxHeaderLength)}\n\n\0`), { maxHeaderLength }).code, undefined);
    assert.equal(decode(bytes(`${'C'.repeat(maxHeaderLength + 1)}\n\n\0`), { maxHeaderLength }).code, 'STOMPBOX_ERR_HEADER_TOO_LONG');
  });

  for (const [what, prefix] of [['header line', 'SEND\nx:'], ['command line', '']] as const) {
    test(`an endless ${what} in 1 KB chunks fails in the chunk that passes the limit, not later`, () => {
      for (const limit of [4 * KB, 8 * KB + 7, DEFAULT_LIMITS.maxHeaderLength]) {
        const pre = bytes(prefix);
        const lineSoFar = prefix.length - prefix.lastIndexOf('\n') - 1; // bytes of the line inside the prefix
        const r = feedEndless(pre, new Uint8Array(KB).fill(0x61), { maxHeaderLength: limit }, 10_000);
        assert.equal(r.code, 'STOMPBOX_ERR_HEADER_TOO_LONG');
        // limit + 1 bytes may still end in a CR; byte limit + 2 is the first proof.
        assert.equal(r.failedAt, chunkHolding(limit + 1 - lineSoFar), `limit ${limit}`);
        assert.ok(r.bytesPushed <= limit + 2 + KB + pre.length);
      }
    });
  }

  test('an endless line in one huge chunk fails on that chunk', () => {
    const r = feedEndless(bytes('SEND\nx:'), new Uint8Array(4 * 1024 * KB).fill(0x61), { maxHeaderLength: 1000 }, 1);
    assert.deepEqual([r.code, r.failedAt], ['STOMPBOX_ERR_HEADER_TOO_LONG', 1]);
  });
});

describe('limits: maxHeaders', () => {
  const headerLines = (n: number): string => Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('');

  test('maxHeaders headers are accepted, one more is rejected with STOMPBOX_ERR_TOO_MANY_HEADERS', () => {
    for (const maxHeaders of [0, 1, 10]) {
      const ok = bytes(`SEND\n${headerLines(maxHeaders)}\n\0`);
      assert.equal(decode(ok, { maxHeaders }).frames[0].headers.length, 2 * maxHeaders);
      const bad = bytes(`SEND\n${headerLines(maxHeaders + 1)}\n\0`);
      assert.equal(decode(bad, { maxHeaders }).code, 'STOMPBOX_ERR_TOO_MANY_HEADERS');
      assert.equal(decodeChunks(oneByteAtATime(bad), { maxHeaders }).code, 'STOMPBOX_ERR_TOO_MANY_HEADERS');
    }
  });

  test('endless headers in 1 KB chunks fail in the chunk holding header maxHeaders + 1', () => {
    const maxHeaders = 1000;
    const filler = bytes('h:v\n'.repeat(KB / 4));
    const r = feedEndless(bytes('SEND\n'), filler, { maxHeaders }, 10_000);
    assert.equal(r.code, 'STOMPBOX_ERR_TOO_MANY_HEADERS');
    assert.equal(r.failedAt, chunkHolding((maxHeaders + 1) * 4 - 1)); // the LF ending header 1001
  });

  test('repeated headers count towards maxHeaders', () => {
    assert.equal(decode(bytes('SEND\na:1\na:1\na:1\n\n\0'), { maxHeaders: 2 }).code, 'STOMPBOX_ERR_TOO_MANY_HEADERS');
  });
});

describe('limits: maxFrameSize', () => {
  const frames = {
    'with content-length': encodeFrame('SEND', ['destination', '/queue/a'], new Uint8Array(300).fill(7)),
    'to NUL': encodeFrame('SEND', ['destination', '/queue/a'], new Uint8Array(300).fill(7), { contentLength: false }),
    'no body': encodeFrame('SEND', ['destination', '/queue/a', 'x', 'y'.repeat(300)]),
  };

  for (const [kind, wire] of Object.entries(frames)) {
    test(`a frame of exactly maxFrameSize bytes (NUL included) is accepted, one more byte is not (${kind})`, () => {
      for (const chunks of [[wire], oneByteAtATime(wire)]) {
        assert.equal(decodeChunks(chunks, { maxFrameSize: wire.length }).frames.length, 1);
        assert.equal(decodeChunks(chunks, { maxFrameSize: wire.length - 1 }).code, 'STOMPBOX_ERR_FRAME_TOO_LARGE');
      }
    });
  }

  test('an endless body without content-length in 1 KB chunks fails in the chunk that passes the limit', () => {
    for (const maxFrameSize of [16 * KB, 100_000, 1024 * KB]) {
      const prefix = bytes('SEND\ndestination:/q\n\n');
      const r = feedEndless(prefix, new Uint8Array(KB).fill(0x62), { maxFrameSize }, 10_000);
      assert.equal(r.code, 'STOMPBOX_ERR_FRAME_TOO_LARGE');
      assert.equal(r.failedAt, chunkHolding(maxFrameSize - prefix.length), `maxFrameSize ${maxFrameSize}`);
    }
  });

  test('endless small headers in 1 KB chunks fail on the frame size as soon as it is passed', () => {
    const maxFrameSize = 64 * KB;
    const prefix = bytes('SEND\n');
    const r = feedEndless(prefix, bytes('h:v\n'.repeat(KB / 4)), { maxFrameSize, maxHeaders: 1e9 }, 10_000);
    assert.equal(r.code, 'STOMPBOX_ERR_FRAME_TOO_LARGE');
    assert.equal(r.failedAt, chunkHolding(maxFrameSize - prefix.length));
  });

  test('a content-length larger than maxFrameSize fails at its header line, before any body byte', () => {
    const d = new StompDecoder({ maxFrameSize: 1000, onFrame: () => assert.fail() });
    d.push(bytes('SEND\ndestination:/q\n'));
    assert.throws(() => d.push(bytes('content-length:1001\n')), { code: 'STOMPBOX_ERR_FRAME_TOO_LARGE' });
  });

  test('a content-length that fits alone but not with the headers fails at the blank line', () => {
    const maxFrameSize = 100;
    const head = 'SEND\ncontent-length:80\n';
    const d = new StompDecoder({ maxFrameSize, onFrame: () => assert.fail() });
    d.push(bytes(head));
    assert.throws(() => d.push(bytes('\n')), { code: 'STOMPBOX_ERR_FRAME_TOO_LARGE' });
    // head + blank line + 80 + NUL = 106 bytes; 105 fits with content-length 79.
    assert.equal(decode(bytes('SEND\ncontent-length:79\n\n', new Uint8Array(79), [0]), { maxFrameSize: 105 }).frames.length, 1);
  });

  test('heart-beats do not count towards the frame size', () => {
    const wire = encodeFrame('SEND', [], 'x'.repeat(50));
    const eols = bytes('\n'.repeat(1000), '\r\n'.repeat(1000));
    for (const chunks of [[concat(eols, wire, eols)], oneByteAtATime(concat(eols, wire))]) {
      const r = decodeChunks(chunks, { maxFrameSize: wire.length });
      assert.equal(r.code, undefined);
      assert.equal(r.frames.length, 1);
    }
  });

  test('the size is counted per frame: many frames of exactly maxFrameSize in one chunk are fine', () => {
    const a = encodeFrame('SEND', ['k', 'v'], 'x'.repeat(40));
    const b = encodeFrame('SEND', ['k', 'v'], 'y'.repeat(40), { contentLength: false });
    assert.equal(a.length, b.length + 'content-length:40\n'.length);
    const wire = concat(a, a, a, a);
    assert.equal(decode(wire, { maxFrameSize: a.length }).frames.length, 4);
    const wire2 = concat(b, b, b, b);
    assert.equal(decode(wire2, { maxFrameSize: b.length }).frames.length, 4);
  });
});

describe('limits: after an error', () => {
  const failures: [string, Uint8Array, Partial<DecoderLimits>][] = [
    ['malformed', bytes('SEND\nno-colon\n\n\0'), {}],
    ['bad escape', bytes('SEND\nx:\\t\n\n\0'), {}],
    ['header too long', bytes(`SEND\nx:${'a'.repeat(200)}`), { maxHeaderLength: 100 }],
    ['frame too large', bytes(`SEND\n\n${'a'.repeat(200)}`), { maxFrameSize: 100 }],
  ];
  for (const [what, bad, limits] of failures) {
    test(`the decoder stays failed (${what}): every further push throws and no frame comes out`, () => {
      let frames = 0;
      const d = new StompDecoder({ ...limits, version: '1.2', onFrame: () => frames++ });
      assert.throws(() => d.push(bad), StompCodecError);
      for (const next of [bytes('SEND\n\n\0'), bytes('\n'), new Uint8Array(0)]) {
        assert.throws(() => d.push(next), (err: unknown) => err instanceof StompCodecError && err.code === 'STOMPBOX_ERR_MALFORMED_FRAME' && /already failed/.test(err.message));
      }
      assert.equal(frames, 0);
      assert.equal(d.idle, false);
    });
  }

  test('an exception thrown by onFrame also fails the decoder', () => {
    const d = new StompDecoder({ onFrame: () => { throw new RangeError('app bug'); } });
    assert.throws(() => d.push(bytes('SEND\n\n\0')), RangeError);
    assert.throws(() => d.push(bytes('SEND\n\n\0')), { code: 'STOMPBOX_ERR_MALFORMED_FRAME' });
  });
});
