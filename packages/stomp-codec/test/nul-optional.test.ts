/**
 * `nulOptional` (the client's mode): a WeChat iOS socket drops the NUL that ends a text
 * message, so a frame must be complete when its content-length body is, and a frame
 * without content-length when its message ends (`endOfMessage`). The strict default
 * (the broker's) still refuses a body not followed by NUL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StompCodecError, StompDecoder, utf8Decode } from '../src/index.js';
import { bytes } from './helpers.js';

function collect() {
  const out: string[] = [];
  const decoder = new StompDecoder({
    nulOptional: true,
    onFrame: (f) => out.push(`${f.command}|${f.headers.map((h, i) => (i % 2 ? `:${h}` : i ? `,${h}` : h)).join('')}|${utf8Decode(f.body)}`),
  });
  return { out, decoder };
}

const MSG = 'MESSAGE\ndestination:/t\ncontent-length:5\n\nhello';
const RECEIPT = 'RECEIPT\nreceipt-id:r1\n\n';

test('nulOptional: a content-length frame without its NUL is emitted as soon as its body is complete', () => {
  const { out, decoder } = collect();
  decoder.push(bytes(MSG));
  assert.deepEqual(out, ['MESSAGE|destination:/t,content-length:5|hello']);
  // The NUL arriving late is skipped, not read as the next frame's command.
  decoder.push(bytes([0], RECEIPT, [0]));
  assert.equal(out.length, 2);
  assert.equal(out[1], 'RECEIPT|receipt-id:r1|');
});

test('nulOptional: frames glued without NULs, and with them, read the same', () => {
  const { out, decoder } = collect();
  decoder.push(bytes(MSG, MSG, [0], '\n', MSG));
  assert.equal(out.length, 3);
  assert.ok(decoder.idle);
});

test('nulOptional: endOfMessage ends a frame that has no content-length (its NUL was lost)', () => {
  const { out, decoder } = collect();
  decoder.push(bytes(RECEIPT));
  assert.equal(out.length, 0, 'the body runs to NUL: nothing yet');
  decoder.endOfMessage();
  assert.deepEqual(out, ['RECEIPT|receipt-id:r1|']);
  decoder.push(bytes([0], 'CONNECTED\nversion:1.2\n\n', [0]));
  decoder.endOfMessage(); // between frames: nothing to end
  assert.deepEqual(out.slice(1), ['CONNECTED|version:1.2|']);
});

test('nulOptional: any frame sequence, NULs dropped at message ends, split anywhere, decodes the same', () => {
  const frame = fc.record({
    body: fc.string({ maxLength: 20 }),
    withLength: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(frame, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 7 }), (frames, step) => {
      const want: string[] = [];
      const { out, decoder } = collect();
      for (const f of frames) {
        // A frame without content-length cannot hold a NUL in its body.
        const body = f.withLength ? f.body : f.body.replace(/\0/g, '');
        const head = f.withLength ? `SEND\ncontent-length:${Buffer.byteLength(body)}\n\n` : 'SEND\n\n';
        want.push(`SEND|${f.withLength ? `content-length:${Buffer.byteLength(body)}` : ''}|${body}`);
        // One message per frame, its NUL dropped; the message is fed in `step`-byte chunks.
        const wire = bytes(head + body);
        for (let i = 0; i < wire.length; i += step) decoder.push(wire.subarray(i, i + step));
        decoder.endOfMessage();
      }
      assert.deepEqual(out, want);
    }),
  );
});

test('strict (default): a body not followed by NUL is still an error, endOfMessage changes nothing', () => {
  const decoder = new StompDecoder({ onFrame: () => undefined });
  decoder.push(bytes(RECEIPT));
  decoder.endOfMessage();
  assert.equal(decoder.idle, false);
  const strict = new StompDecoder({ onFrame: () => undefined });
  assert.throws(() => strict.push(bytes(MSG, 'X')), (e: unknown) => e instanceof StompCodecError && e.code === 'STOMPBOX_ERR_MALFORMED_FRAME');
});
