/**
 * The codec's own UTF-8 (for runtimes without TextEncoder/TextDecoder) checked against
 * Node's Buffer and the WHATWG TextDecoder: same bytes out, same string back, and the
 * same U+FFFD replacement for invalid input (WHATWG "maximal subpart" rule), whether
 * the input is short (plain loop), long (TextDecoder) or TextDecoder is missing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as utf8 from '../src/utf8.js';
import { utf8Decode, utf8Encode, utf8Length, utf8Write } from '../src/utf8.js';

const RUNS = Number(process.env.FC_NUM_RUNS ?? 400);
const whatwg = new TextDecoder('utf-8', { ignoreBOM: true }); // a decoder keeps a leading BOM: it is data here
const nodeDecode = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');

/** Strings: grapheme clusters, any code point, and raw UTF-16 code units (lone surrogates). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const surrogateish = fc.oneof(codeUnit, fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), fc.constant('a'));
const wellFormed = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 10 }),
);
const anyString = fc.oneof(wellFormed, fc.string({ unit: surrogateish, maxLength: 40 }));

/** Byte soup biased towards UTF-8 boundaries, leads and continuation bytes. */
const interesting = fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff, 0xef, 0xbb);
const byteSoup = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.array(fc.oneof(interesting, fc.integer({ min: 0, max: 255 })), { maxLength }).map((a) => Uint8Array.from(a));

describe('utf8Encode / utf8Length / utf8Write', () => {
  test('utf8Encode gives the same bytes as Buffer.from for any string, lone surrogates included', () => {
    fc.assert(fc.property(anyString, (s) => {
      assert.deepEqual(utf8Encode(s), new Uint8Array(Buffer.from(s, 'utf8')));
      assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'));
    }), { numRuns: RUNS });
  });

  test('lone surrogates are written as U+FFFD (EF BF BD), pairs as 4 bytes', () => {
    const cases: [string, number[]][] = [
      ['\ud800', [0xef, 0xbf, 0xbd]],
      ['\udc00', [0xef, 0xbf, 0xbd]],
      ['\udc00\ud800', [0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd]],
      ['a\ud83d', [0x61, 0xef, 0xbf, 0xbd]],
      ['\ud83d\ude00', [0xf0, 0x9f, 0x98, 0x80]],
      ['\ud83d\ud83d\ude00', [0xef, 0xbf, 0xbd, 0xf0, 0x9f, 0x98, 0x80]],
      ['\u07ff\u0800\uffff', [0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf]],
    ];
    for (const [s, expected] of cases) {
      assert.deepEqual(Array.from(utf8Encode(s)), expected, JSON.stringify(s));
      assert.equal(utf8Length(s), expected.length);
    }
  });

  test('utf8Write writes at the offset, returns the end offset, and touches nothing else', () => {
    fc.assert(fc.property(anyString, fc.nat(8), (s, offset) => {
      const n = utf8Length(s);
      const out = new Uint8Array(offset + n + 4).fill(0xaa);
      assert.equal(utf8Write(s, out, offset), offset + n);
      assert.deepEqual(out.subarray(offset, offset + n), utf8Encode(s));
      assert.ok(out.subarray(0, offset).every((b) => b === 0xaa));
      assert.ok(out.subarray(offset + n).every((b) => b === 0xaa));
    }), { numRuns: RUNS });
  });
});

describe('utf8Decode', () => {
  test('decodes what utf8Encode wrote, short (loop) and long (TextDecoder) alike', () => {
    fc.assert(fc.property(wellFormed, fc.nat(4), (s, repeat) => {
      const long = s.repeat(repeat + 1);
      assert.equal(utf8Decode(utf8Encode(s)), s);
      assert.equal(utf8Decode(utf8Encode(long)), long);
      assert.equal(utf8Decode(new Uint8Array(Buffer.from(long))), nodeDecode(Buffer.from(long)));
    }), { numRuns: RUNS });
  });

  test('any bytes decode like TextDecoder and Buffer (U+FFFD for invalid sequences), at any length', () => {
    fc.assert(fc.property(fc.oneof(byteSoup(64), byteSoup(300)), (b) => {
      const want = whatwg.decode(b);
      assert.equal(utf8Decode(b), want);
      assert.equal(nodeDecode(b), want);
    }), { numRuns: RUNS * 2 });
  });

  test('start/end decode a sub-range, as decoding the subarray does', () => {
    fc.assert(fc.property(byteSoup(200), fc.nat(), fc.nat(), (b, x, y) => {
      const start = b.length === 0 ? 0 : x % (b.length + 1);
      const end = start + (b.length === 0 ? 0 : y % (b.length - start + 1));
      assert.equal(utf8Decode(b, start, end), whatwg.decode(b.subarray(start, end)));
    }), { numRuns: RUNS });
    assert.equal(utf8Decode(new Uint8Array([0x61]), 1, 0), '');
  });

  // WHATWG Encoding §"UTF-8 decoder": an invalid sequence is replaced up to (not including)
  // the first byte that cannot continue it; so E0 80 80 is three errors, E2 82 is one.
  const invalid: [string, number[], string][] = [
    ['lone continuation byte', [0x80], '\ufffd'],
    ['C0/C1 are never valid leads (overlong 2-byte)', [0xc0, 0x80, 0xc1, 0xbf], '\ufffd\ufffd\ufffd\ufffd'],
    ['F5..FF are never valid', [0xf5, 0xf8, 0xfe, 0xff], '\ufffd\ufffd\ufffd\ufffd'],
    ['overlong 3-byte E0 80 80', [0xe0, 0x80, 0x80], '\ufffd\ufffd\ufffd'],
    ['overlong 3-byte E0 9F BF', [0xe0, 0x9f, 0xbf], '\ufffd\ufffd\ufffd'],
    ['surrogate D800 as ED A0 80', [0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
    ['surrogate DFFF as ED BF BF, then A', [0xed, 0xbf, 0xbf, 0x41], '\ufffd\ufffd\ufffdA'],
    ['overlong 4-byte F0 80 80 80', [0xf0, 0x80, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
    ['above U+10FFFF: F4 90 80 80', [0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
    ['truncated 3-byte E2 82 at the end', [0xe2, 0x82], '\ufffd'],
    ['truncated 3-byte E2 82 then A', [0xe2, 0x82, 0x41], '\ufffdA'],
    ['truncated 4-byte F0 9F 98 then emoji', [0xf0, 0x9f, 0x98, 0xf0, 0x9f, 0x98, 0x80], '\ufffd😀'],
    ['lead followed by a lead', [0xc3, 0xc3, 0xa9], '\ufffdé'],
    ['highest valid: U+10FFFF, U+FFFF, U+D7FF, U+E000', [0xf4, 0x8f, 0xbf, 0xbf, 0xef, 0xbf, 0xbf, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80], '\u{10ffff}\uffff\ud7ff\ue000'],
    ['lowest valid: U+0080, U+0800, U+10000', [0xc2, 0x80, 0xe0, 0xa0, 0x80, 0xf0, 0x90, 0x80, 0x80], '\u0080\u0800\u{10000}'],
  ];
  for (const [name, input, expected] of invalid) {
    test(`WHATWG UTF-8 decoder: ${name}`, () => {
      const b = Uint8Array.from(input);
      assert.equal(whatwg.decode(b), expected, 'reference');
      assert.equal(utf8Decode(b), expected, 'short, loop path');
      const padded = Uint8Array.from([...new Array(70).fill(0x2e), ...input]);
      assert.equal(utf8Decode(padded), '.'.repeat(70) + expected, 'long, TextDecoder path');
    });
  }

  test('a leading BOM (U+FEFF) is data, not stripped, on both paths', () => {
    for (const s of ['\ufeffab', '\ufeff' + 'x'.repeat(100), '\ufeff\ufeff']) {
      assert.equal(utf8Decode(utf8Encode(s)), s);
    }
  });
});

describe('utf8Decode without TextDecoder (mini-program runtimes)', () => {
  test('a fresh import with TextDecoder deleted decodes everything with the loop, identically', async () => {
    const g = globalThis as { TextDecoder?: unknown };
    const saved = g.TextDecoder;
    assert.ok(delete g.TextDecoder);
    try {
      assert.equal(typeof g.TextDecoder, 'undefined');
      const spec = new URL('../src/utf8.js?no-text-decoder', import.meta.url).href;
      const fresh = (await import(spec)) as typeof utf8;
      assert.notEqual(fresh.utf8Decode, utf8.utf8Decode, 'a second instance of the module');
      fc.assert(fc.property(fc.oneof(byteSoup(300), wellFormed.map((s) => utf8Encode(s.repeat(5)))), (b) => {
        assert.equal(fresh.utf8Decode(b), whatwg.decode(b));
      }), { numRuns: RUNS });
      const long = '汉字😀é'.repeat(50);
      assert.equal(fresh.utf8Decode(fresh.utf8Encode(long)), long);
      assert.equal(fresh.utf8Decode(fresh.utf8Encode('\ufeff' + long)), '\ufeff' + long);
    } finally {
      g.TextDecoder = saved;
    }
  });
});
