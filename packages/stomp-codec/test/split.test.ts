/**
 * Chunking must not matter: a TCP stream may cut a frame anywhere (nats.js-style
 * "split everywhere" tests). Every fixture, valid or not, is decoded whole, one byte at a
 * time, split in two at every offset and in three on a sample, with Uint8Array and
 * Buffer chunks, and must give exactly the same frames, heart-beats and error code.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StompCodecError, StompDecoder, encodeFrame, type Frame, type StompVersion } from '../src/index.js';
import { errorFixtures, fixtures } from './fixtures.js';
import {
  bytes, concat, copyFrame, decode, decodeChunks, frame, oneByteAtATime, outcome, splitAt,
  type DecodeResult, type DecodedFrame,
} from './helpers.js';

interface Case { name: string; version?: StompVersion; wire: Uint8Array }

/** Deterministic PRNG (mulberry32) so that the sampled splits are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** All pairs i <= j when there are few, else `max` random ones. */
function threeWaySplits(n: number, max: number, seed: number): [number, number][] {
  const out: [number, number][] = [];
  if (((n + 1) * (n + 2)) / 2 <= max) {
    for (let i = 0; i <= n; i++) for (let j = i; j <= n; j++) out.push([i, j]);
    return out;
  }
  const r = rng(seed);
  for (let k = 0; k < max; k++) {
    const a = Math.floor(r() * (n + 1));
    const b = Math.floor(r() * (n + 1));
    out.push(a <= b ? [a, b] : [b, a]);
  }
  return out;
}

function checkAllSplits(c: Case): void {
  const opts = { version: c.version };
  const whole = outcome(decode(c.wire, opts));
  for (const buffers of [false, true]) {
    assert.deepEqual(outcome(decode(c.wire, { ...opts, buffers })), whole, `whole, buffers=${buffers}`);
    assert.deepEqual(outcome(decodeChunks(oneByteAtATime(c.wire), { ...opts, buffers })), whole, `one byte at a time, buffers=${buffers}`);
    for (let i = 0; i <= c.wire.length; i++) {
      assert.deepEqual(outcome(decodeChunks(splitAt(c.wire, [i]), { ...opts, buffers })), whole, `split at ${i}, buffers=${buffers}`);
    }
  }
  for (const [i, j] of threeWaySplits(c.wire.length, 600, c.wire.length)) {
    assert.deepEqual(outcome(decodeChunks(splitAt(c.wire, [i, j]), opts)), whole, `split at ${i}, ${j}`);
  }
}

describe('split: every fixture gives the same result however it is chunked', () => {
  for (const fx of fixtures) test(fx.name, () => checkAllSplits(fx));
  for (const fx of errorFixtures) test(`${fx.name} (error)`, () => checkAllSplits(fx));
});

describe('split: multi-frame streams', () => {
  const versions: (StompVersion | undefined)[] = ['1.0', '1.1', '1.2', undefined];
  for (const version of versions) {
    const group = fixtures.filter((f) => f.version === version);
    if (group.length === 0) continue;
    // Fixtures of one version back to back, a heart-beat between each.
    const wire = concat(...group.flatMap((f) => [f.wire, bytes('\n')]));
    const expected = {
      frames: group.flatMap((f) => f.frames),
      heartbeats: group.reduce((n, f) => n + (f.heartbeats ?? 0) + 1, 0),
      code: undefined,
    };
    test(`STOMP ${version ?? 'unnegotiated'} frame-stream: ${group.length} fixtures in one stream, every split`, () => {
      assert.deepEqual(outcome(decode(wire, { version })), expected);
      checkAllSplits({ name: 'stream', version, wire });
    });
  }

  test('STOMP 1.2 frame-stream: frames before an error in the stream are delivered, every split', () => {
    const good = fixtures.filter((f) => f.version === '1.2' && f.canonical === true);
    const wire = concat(...good.map((f) => f.wire), errorFixtures[0].wire, good[0].wire);
    const r = decode(wire, { version: '1.2' });
    assert.equal(r.code, errorFixtures[0].code);
    assert.equal(r.frames.length, good.reduce((n, f) => n + f.frames.length, 0));
    checkAllSplits({ name: 'stream', version: '1.2', wire });
  });
});

/** Decodes through one scratch buffer that is overwritten after every push (as net.Socket's `onread` does). */
function decodeReusing(wire: Uint8Array, points: number[], version: StompVersion | undefined, scratch: Uint8Array): DecodeResult {
  const result: DecodeResult = { frames: [], heartbeats: 0 };
  const d = new StompDecoder({ version, onFrame: (f) => result.frames.push(copyFrame(f)), onHeartbeat: () => result.heartbeats++ });
  for (const chunk of splitAt(wire, points)) {
    scratch.set(chunk);
    try {
      d.push(scratch.subarray(0, chunk.length));
    } catch (err) {
      if (!(err instanceof StompCodecError)) throw err;
      result.code = err.code;
      return result;
    }
    scratch.fill(0x5a); // 'Z' everywhere: any byte the decoder kept by reference is now wrong
  }
  return result;
}

describe('split: buffer ownership', () => {
  test('the caller may reuse its chunk memory once push returns (carried bytes are copied)', () => {
    for (const fx of [...fixtures, ...errorFixtures]) {
      const whole = outcome(decode(fx.wire, { version: fx.version }));
      for (const scratch of [new Uint8Array(fx.wire.length), Buffer.alloc(fx.wire.length)]) {
        const kind = Buffer.isBuffer(scratch) ? 'Buffer' : 'Uint8Array';
        for (let i = 0; i <= fx.wire.length; i++) {
          assert.deepEqual(outcome(decodeReusing(fx.wire, [i], fx.version, scratch)), whole, `${fx.name}: ${kind} split at ${i}`);
        }
        const every = Array.from({ length: fx.wire.length - 1 }, (_, k) => k + 1);
        assert.deepEqual(outcome(decodeReusing(fx.wire, every, fx.version, scratch)), whole, `${fx.name}: ${kind} byte by byte`);
      }
    }
  });

  test('Frame.body: a body inside one chunk is a view of it, and stays valid after later pushes of fresh chunks', () => {
    const f1 = encodeFrame('SEND', ['destination', '/q'], 'first body', { version: '1.2' });
    const f2 = encodeFrame('SEND', ['destination', '/q'], 'second body', { version: '1.2' });
    const f3 = encodeFrame('SEND', ['destination', '/q'], 'no length', { version: '1.2', contentLength: false });
    const wire = concat(f1, f2, f3, f1);
    const cut1 = f1.length + f2.length - 4; // inside f2's body
    const cut2 = f1.length + f2.length + f3.length - 3; // inside f3's body
    const chunks = splitAt(wire, [cut1, cut2]);
    const kept: Frame[] = [];
    const d = new StompDecoder({ version: '1.2', onFrame: (f) => kept.push(f) });
    d.push(chunks[0]);
    assert.equal(kept.length, 1);
    assert.equal(kept[0].body.buffer, chunks[0].buffer, 'a body inside one chunk is a zero-copy view');
    d.push(chunks[1]);
    d.push(chunks[2]);
    assert.equal(kept.length, 4);
    assert.notEqual(kept[1].body.buffer, chunks[0].buffer, 'a body split across chunks (content-length) is copied');
    assert.notEqual(kept[2].body.buffer, chunks[2].buffer, 'a body split across chunks (to NUL) is copied');
    assert.deepEqual(kept.map((f) => Buffer.from(f.body).toString()), ['first body', 'second body', 'no length', 'first body']);
  });

  test('Frame.body: the view aliases the caller\'s chunk, so a caller that reuses chunk memory must copy in onFrame', () => {
    const chunk = encodeFrame('SEND', [], 'abc', { version: '1.2' });
    let body: Uint8Array | undefined;
    new StompDecoder({ onFrame: (f) => { body = f.body; } }).push(chunk);
    chunk.fill(0x21);
    assert.deepEqual(body, bytes('!!!'));
  });

  test('Frame.headers: each frame gets its own headers array', () => {
    const frames: Frame[] = [];
    new StompDecoder({ onFrame: (f) => frames.push(f) }).push(bytes('A\na:1\n\n\0B\nb:2\n\n\0'));
    assert.deepEqual(frames.map(copyFrame), [frame('A', ['a', '1']), frame('B', ['b', '2'])] as DecodedFrame[]);
    assert.notEqual(frames[0].headers, frames[1].headers);
  });
});
