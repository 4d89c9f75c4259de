/**
 * The client's encoder (src/encode.ts) writes the same bytes as the codec's encoder,
 * for any headers, body and version; its UTF-8 (src/utf8.ts with TextEncoder/TextDecoder,
 * src/utf8-loops.ts without) matches the codec's: lone surrogates, invalid sequences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame as codecEncode, utf8Decode as codecDecode, utf8Encode as codecUtf8, type StompVersion } from '@stompbox/stomp-codec';
import { encodeFrame } from '../src/encode.js';
import { utf8Decode, utf8Encode } from '../src/utf8.js';
import { utf8DecodeLoop, utf8EncodeLoop } from '../src/utf8-loops.js';

const tricky = fc.constantFrom(':', '\n', '\r', '\\', ' ', 'a', 'c', 'é', '中', '😀', '\ufeff', '\ud800', '\udfff', '\0');
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: tricky, maxLength: 30 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }));

test('property: UTF-8, with TextEncoder and without, is the codec\'s', () => {
  fc.assert(
    fc.property(text, (s) => {
      assert.deepEqual(utf8EncodeLoop(s), codecUtf8(s));
      assert.deepEqual(utf8Encode(s), codecUtf8(s));
    }),
    { numRuns: 1000 },
  );
});

test('property: decoding any bytes, valid UTF-8 or not, gives the codec\'s (WHATWG) string', () => {
  // Bytes near the edges of the ranges that matter (lead bytes, E0/ED/F0/F4, continuations).
  const edgy = fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff);
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.array(edgy, { maxLength: 40 }).map((a) => new Uint8Array(a)), text.map((t) => codecUtf8(t)));
  fc.assert(
    fc.property(bytes, fc.nat(), (b, cut) => {
      const want = codecDecode(b);
      assert.equal(utf8DecodeLoop(b), want);
      assert.equal(utf8Decode(b), want);
      const at = cut % (b.length + 1);
      assert.equal(utf8DecodeLoop(b, at), codecDecode(b, at));
    }),
    { numRuns: 3000 },
  );
});

test('property: frames are byte for byte the codec\'s, in every version', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('SEND', 'SUBSCRIBE', 'ACK', 'DISCONNECT'),
      fc.array(fc.tuple(text, text), { maxLength: 5 }).map((p) => p.flat()),
      fc.oneof(fc.constant(undefined), text, fc.uint8Array({ maxLength: 50 })),
      fc.constantFrom<StompVersion | undefined>(undefined, '1.0', '1.1', '1.2'),
      (command, headers, body, version) => {
        assert.deepEqual(encodeFrame(command, headers, body, version), codecEncode(command, headers, body, { version }));
      },
    ),
    { numRuns: 1000 },
  );
});

test('CONNECT is never escaped, a given content-length is replaced by the real one', () => {
  const s = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(s(encodeFrame('CONNECT', ['login', 'a:b'])), 'CONNECT\nlogin:a:b\n\n\0');
  assert.equal(s(encodeFrame('SEND', ['destination', '/q', 'content-length', '99'], 'hé', '1.2')), 'SEND\ndestination:/q\ncontent-length:3\n\nhé\0');
  assert.equal(s(encodeFrame('SEND', ['k', 'a:b\r'], undefined, '1.1')), 'SEND\nk:a\\cb\r\n\n\0');
});
