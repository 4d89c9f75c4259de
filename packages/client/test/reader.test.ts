/**
 * The client's frame reader (src/reader.ts), tested in the codec's style: fixtures,
 * every split point, the trailing NUL stripped (WeChat on iOS), limits, and property
 * tests with the codec's StompDecoder (client mode) as the oracle: whatever the
 * encoder writes, both read the same frames, however the bytes are cut; random bytes
 * never throw anything but a ReaderError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StompDecoder, encodeFrame, utf8Encode, type StompVersion } from '@stompbox/stomp-codec';
import { frameReader, ReaderError } from '../src/reader.js';

const show = (f: { command: string; headers: string[]; body: Uint8Array }) =>
  `${f.command}|${f.headers.join(',')}|${Array.from(f.body).join('.')}`;

/** Frames read from `chunks`; `messages`: each chunk is a whole WebSocket message. */
function read(chunks: Uint8Array[], opts: { version?: StompVersion; messages?: boolean; max?: number } = {}): { frames: string[]; beats: number } {
  const frames: string[] = [];
  let beats = 0;
  const r = frameReader((f) => frames.push(show(f)), () => beats++, opts.max);
  r.version_ = opts.version;
  for (const c of chunks) {
    r.push_(c);
    if (opts.messages) r.end_();
  }
  return { frames, beats };
}

/** The codec's decoder in client mode, as the reference. */
function oracle(chunks: Uint8Array[], version: StompVersion | undefined, messages = false): string[] {
  const frames: string[] = [];
  const d = new StompDecoder({ nulOptional: true, version, onFrame: (f) => frames.push(show({ ...f, body: f.body.slice() })) });
  for (const c of chunks) {
    d.push(c);
    if (messages) d.endOfMessage();
  }
  return frames;
}

const b = (s: string) => utf8Encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

const FIXTURES: [name: string, wire: string, version: StompVersion | undefined, frames: string[]][] = [
  ['a frame with content-length', 'MESSAGE\ndestination:/t\ncontent-length:5\n\nhello\0', '1.2', ['MESSAGE|destination,/t,content-length,5|104.101.108.108.111']],
  ['a frame read to its NUL', 'RECEIPT\nreceipt-id:r-1\n\n\0', '1.2', ['RECEIPT|receipt-id,r-1|']],
  ['CR LF line ends', 'RECEIPT\r\nreceipt-id:x\r\n\r\n\0', '1.2', ['RECEIPT|receipt-id,x|']],
  ['heart-beats between frames', '\n\r\nRECEIPT\nreceipt-id:x\n\n\0\n', '1.2', ['RECEIPT|receipt-id,x|']],
  ['1.2 escapes', 'MESSAGE\na\\cb:c\\\\d\\ne\\rf\n\n\0', '1.2', ['MESSAGE|a:b,c\\d\ne\rf|']],
  ['no escapes in CONNECTED', 'CONNECTED\nserver:a\\cb\n\n\0', '1.2', ['CONNECTED|server,a\\cb|']],
  ['no escapes in 1.0', 'MESSAGE\nx:a\\cb\n\n\0', '1.0', ['MESSAGE|x,a\\cb|']],
  ['repeated headers kept in order', 'MESSAGE\nx:1\nx:2\n\n\0', '1.2', ['MESSAGE|x,1,x,2|']],
  ['a colon in a 1.0 value', 'MESSAGE\nx:a:b\n\n\0', '1.0', ['MESSAGE|x,a:b|']],
  ['NULs inside a content-length body', 'MESSAGE\ncontent-length:3\n\n\0\0\0\0', '1.2', ['MESSAGE|content-length,3|0.0.0']],
  ['UTF-8 headers', 'MESSAGE\nnom:café 中 😀\n\n\0', '1.2', ['MESSAGE|nom,café 中 😀|']],
  ['two frames in one chunk', 'RECEIPT\nreceipt-id:1\n\n\0RECEIPT\nreceipt-id:2\n\n\0', '1.2', ['RECEIPT|receipt-id,1|', 'RECEIPT|receipt-id,2|']],
];

for (const [name, wire, version, frames] of FIXTURES) {
  test(`fixture: ${name}, whole and split at every point`, () => {
    const bytes = b(wire);
    assert.deepEqual(read([bytes], { version }).frames, frames);
    assert.deepEqual(oracle([bytes], version), frames, 'the codec agrees');
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(read([bytes.subarray(0, i), bytes.subarray(i)], { version }).frames, frames, `split at ${i}`);
    }
    assert.deepEqual(read(Array.from(bytes, (x) => new Uint8Array([x])), { version }).frames, frames, 'one byte at a time');
  });
}

test('heart-beats are counted, one per EOL between frames', () => {
  assert.equal(read([b('\n'), b('\r\n'), b('RECEIPT\nreceipt-id:1\n\n\0\n')]).beats, 3);
});

test('a WebSocket message whose trailing NUL was lost still gives its frame', () => {
  const msgs = [b('MESSAGE\ncontent-length:2\n\nhi'), b('RECEIPT\nreceipt-id:1\n\n'), b('MESSAGE\ndestination:/t\n\nno length')];
  assert.deepEqual(read(msgs, { messages: true }).frames, ['MESSAGE|content-length,2|104.105', 'RECEIPT|receipt-id,1|', `MESSAGE|destination,/t|${Array.from(b('no length')).join('.')}`]);
  // And the NUL, when it does come late, is not read as the next frame's command.
  assert.deepEqual(read([b('MESSAGE\ncontent-length:2\n\nhi'), b('\0RECEIPT\nreceipt-id:1\n\n\0')]).frames, ['MESSAGE|content-length,2|104.105', 'RECEIPT|receipt-id,1|']);
});

test('limits: an oversized frame fails as soon as its bytes prove it, with the codec code', () => {
  const code = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof ReaderError && e.code === 'STOMPBOX_ERR_FRAME_TOO_LARGE');
  code(() => read([b('MESSAGE\ncontent-length:5000\n\n')], { max: 1000 })); // announced: no need to wait
  code(() => read([b('MESSAGE\n\n'), new Uint8Array(2000).fill(65)], { max: 1000 })); // read to NUL
  code(() => read([b(`MESSAGE\nx:${'a'.repeat(2000)}`)], { max: 1000 })); // headers never end
  assert.throws(() => read([b(`MESSAGE\n${'x:1\n'.repeat(1001)}\n\0`)]), (e: unknown) => e instanceof ReaderError && e.code === 'STOMPBOX_ERR_TOO_MANY_HEADERS');
  assert.deepEqual(read([b(`MESSAGE\ncontent-length:900\n\n${'a'.repeat(900)}\0`)], { max: 1000 }).frames.length, 1);
});

test('malformed input is a ReaderError: no colon, bad content-length, bad escape, CR without LF', () => {
  for (const wire of ['MESSAGE\nnocolon\n\n\0', 'MESSAGE\n:empty-name\n\n\0', 'MESSAGE\ncontent-length:-1\n\n\0', 'MESSAGE\nx:\\t\n\n\0', '\rX']) {
    assert.throws(() => read([b(wire)], { version: '1.2' }), ReaderError, JSON.stringify(wire));
  }
});

test('a big body arriving in many chunks is joined once it is complete', () => {
  const body = new Uint8Array(1 << 20).fill(7);
  const wire = encodeFrame('MESSAGE', ['destination', '/t'], body, { version: '1.2' });
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i += 1000) chunks.push(wire.subarray(i, i + 1000));
  const frames: number[] = [];
  const r = frameReader((f) => frames.push(f.body.length), () => undefined);
  for (const c of chunks) r.push_(c);
  assert.deepEqual(frames, [1 << 20]);
});

// --- properties, with the codec as the oracle -------------------------------------

const tricky = fc.constantFrom(':', '\n', '\r', '\\', ' ', 'a', 'c', 'é', '中', '😀', '\ufeff');
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: tricky, maxLength: 20 }));
const frameArb = fc.record({
  command: fc.constantFrom('MESSAGE', 'RECEIPT', 'ERROR', 'CONNECTED'),
  headers: fc.array(fc.tuple(text.filter((s) => s.length > 0), text), { maxLength: 5 }).map((p) => p.flat()),
  body: fc.uint8Array({ maxLength: 300 }),
  contentLength: fc.boolean(),
});
const wireOf = (f: { command: string; headers: string[]; body: Uint8Array; contentLength: boolean }, v: StompVersion) =>
  encodeFrame(f.command, f.headers, f.body, { version: v, contentLength: f.contentLength || f.body.includes(0) });

test('property: any encoded stream, cut anywhere, reads as the codec reads it', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 4 }), fc.constantFrom<StompVersion>('1.1', '1.2'), fc.array(fc.nat(), { maxLength: 6 }), (frames, v, cuts) => {
      // Only frames a 1.0-or-later peer can write unescaped survive CONNECTED.
      const ok = frames.filter((f) => f.command !== 'CONNECTED' || f.headers.every((h) => !/[\n:\r]/.test(h)));
      const wire = concat(...ok.map((f) => wireOf(f, v)), b('\n'));
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((x, y) => x - y);
      const chunks = [0, ...points, wire.length].slice(1).map((p, i, a) => wire.subarray(i === 0 ? 0 : a[i - 1], p));
      assert.deepEqual(read(chunks, { version: v }).frames, oracle([wire], v));
    }),
    { numRuns: 300 },
  );
});

test('property: WebSocket messages with their trailing NUL stripped read as with it', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 4 }), (frames) => {
      const msgs = frames.filter((f) => f.command !== 'CONNECTED').map((f) => wireOf(f, '1.2'));
      const stripped = msgs.map((m) => m.subarray(0, m.length - 1));
      assert.deepEqual(read(stripped, { version: '1.2', messages: true }).frames, read(msgs, { version: '1.2', messages: true }).frames);
      assert.deepEqual(read(stripped, { version: '1.2', messages: true }).frames, oracle(stripped, '1.2', true));
    }),
    { numRuns: 300 },
  );
});

test('property: random bytes never throw anything but a ReaderError', () => {
  const noise = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(fc.constantFrom('\n', '\r', ':', '\\', '\0', 'A', 'content-length:', '3', '\n\n'), { maxLength: 40 }).map((a) => b(a.join(''))));
  fc.assert(
    fc.property(fc.array(noise, { maxLength: 5 }), fc.boolean(), (chunks, messages) => {
      try {
        read(chunks, { version: '1.2', messages, max: 150 });
      } catch (e) {
        if (!(e instanceof ReaderError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
});
