#!/usr/bin/env node
// Self-test of the load generator's parsers, no broker needed:
//   node bench/loadgen/selftest.mjs
// - FrameReader: a random stream of MESSAGE (with/without content-length, CRLF,
//   NUL inside a content-length body, repeated content-length), RECEIPT frames
//   and heart-beats, fed in random ranges of larger buffers; the fast MESSAGE
//   path and the full path must report exactly the frames that were written.
// - RawWebSocket: random server frames (7/16/64-bit lengths, fragmented
//   messages with a ping in between, pongs, a close) cut into random chunks;
//   payloads must come out intact, pings answered with masked pongs, the close echoed.
// - Protocol errors are rejected; the masked writer round-trips.
import assert from 'node:assert/strict';
import { FrameReader } from './stomp.mjs';
import { RawWebSocket, writeMaskedFrame, maskedFrameSize } from './wsclient.mjs';
import { readBody, writeBody, padTemplate, BODY_LEN } from './stats.mjs';

let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

function stompStream() {
  const parts = [];
  const expect = [];
  for (let i = 0; i < 500; i++) {
    const eol = rnd(4) === 0 ? '\r\n' : '\n';
    const kind = rnd(10);
    if (kind === 0) { parts.push(Buffer.from(`RECEIPT${eol}receipt-id:r${i}${eol}${eol}\0`)); expect.push(`R:r${i}`); continue; }
    if (kind === 1) { parts.push(Buffer.from('\n\r\n')); continue; }
    let body = Buffer.from(`body-${i}-${'x'.repeat(rnd(300))}`);
    const withCl = rnd(2) === 0;
    if (withCl && rnd(2)) body = Buffer.concat([body.subarray(0, 3), Buffer.from([0]), body.subarray(3)]);
    const hdrs = ['destination:/topic/x', `message-id:${i}`, 'subscription:sub-0', 'content-type:text/plain'];
    if (withCl) {
      hdrs.splice(rnd(hdrs.length + 1), 0, `content-length:${body.length}`);
      if (rnd(3) === 0) hdrs.push('content-length:99999'); // a repeat: the first one counts
    }
    parts.push(Buffer.concat([Buffer.from(`MESSAGE${eol}${hdrs.join(eol)}${eol}${eol}`), body, Buffer.from([0])]));
    expect.push(`M:${body.toString('hex')}`);
  }
  return { stream: Buffer.concat(parts), expect };
}

for (const mode of ['fast', 'full']) {
  for (let trial = 0; trial < 40; trial++) {
    const { stream, expect } = stompStream();
    const got = [];
    const onMessage = (buf, s, e) => got.push(`M:${buf.toString('hex', s, e)}`);
    const r = new FrameReader((cmd, raw, buf, s, e) => {
      if (cmd === 'MESSAGE') onMessage(buf, s, e);
      else if (cmd === 'RECEIPT') got.push(`R:${/receipt-id:(\S+)/.exec(raw)[1]}`);
    }, mode === 'fast' ? onMessage : null);
    for (let p = 0; p < stream.length;) {
      const n = Math.min(stream.length - p, 1 + rnd(trial % 2 ? 20 : 3000));
      const pad = rnd(5);
      const host = Buffer.alloc(n + 2 * pad, 0x0a); // the range sits inside a bigger buffer
      stream.copy(host, pad, p, p + n);
      r.feed(host, pad, pad + n);
      p += n;
    }
    assert.deepEqual(got, expect, `FrameReader ${mode}, trial ${trial}`);
    assert.equal(r.plen, 0);
  }
}
console.log('FrameReader: ok');

const body = Buffer.alloc(BODY_LEN);
padTemplate(body, 0);
writeBody(body, 0, 7, 123456789, 1795325378046.0637);
const out = {};
assert.ok(readBody(body, 0, BODY_LEN, out));
assert.deepEqual(out, { pub: 7, serial: 123456789, ts: 1795325378046.0637 });
assert.ok(!readBody(Buffer.alloc(BODY_LEN, 0x41), 0, BODY_LEN, {}));
console.log('readBody: ok');

function serverFrame(op, payload, fin = true) {
  const len = payload.length;
  const b0 = (fin ? 0x80 : 0) | op;
  let h;
  if (len < 126) h = Buffer.from([b0, len]);
  else if (len < 65536) h = Buffer.from([b0, 126, len >> 8, len & 255]);
  else { h = Buffer.alloc(10); h[0] = b0; h[1] = 127; h.writeUInt32BE(len, 6); }
  return Buffer.concat([h, payload]);
}

function clientFrames(buf) {
  const frames = [];
  for (let p = 0; p < buf.length;) {
    assert.ok(buf[p + 1] & 0x80, 'client frames must be masked');
    let len = buf[p + 1] & 127;
    let h = 2;
    if (len === 126) { len = buf.readUInt16BE(p + 2); h = 4; } else if (len === 127) { len = buf.readUInt32BE(p + 6); h = 10; }
    const key = buf.subarray(p + h, p + h + 4);
    const pl = Buffer.alloc(len);
    for (let i = 0; i < len; i++) pl[i] = buf[p + h + 4 + i] ^ key[i & 3];
    frames.push({ op: buf[p] & 15, pl });
    p += h + 4 + len;
  }
  return frames;
}

function fakeSocket(ws) {
  const written = [];
  const s = { destroyed: false, ended: false, written };
  s.write = (b) => { written.push(Buffer.from(b)); return true; };
  s.end = () => { s.ended = true; };
  s.destroy = () => { s.destroyed = true; };
  ws.sock = s;
  return s;
}

for (let trial = 0; trial < 30; trial++) {
  const parts = [];
  const want = [];
  const pings = [];
  for (let i = 0; i < 200; i++) {
    const sizes = [0, 5, 125, 126, 200, 65535, 65536, 70000];
    const pl = Buffer.alloc(sizes[rnd(sizes.length)], 0x41 + (i % 26));
    if (rnd(4) === 0 && pl.length > 2) { // fragmented, a ping in between
      const a = rnd(pl.length);
      parts.push(serverFrame(1, pl.subarray(0, a), false));
      pings.push(`p${i}`);
      parts.push(serverFrame(9, Buffer.from(`p${i}`)));
      parts.push(serverFrame(0, pl.subarray(a, a + 1), false));
      parts.push(serverFrame(0, pl.subarray(a + 1), true));
    } else parts.push(serverFrame(rnd(2) ? 1 : 2, pl));
    parts.push(serverFrame(10, Buffer.alloc(0)));
    want.push(pl);
  }
  parts.push(serverFrame(8, Buffer.from([3, 232, 0x62, 0x79, 0x65])));
  const stream = Buffer.concat(parts);
  const got = [];
  const ws = new RawWebSocket('ws://127.0.0.1:1/ws', 'v12.stomp', (buf, s, e) => got.push(Buffer.from(buf.subarray(s, e))));
  const sock = fakeSocket(ws);
  ws.onError = (e) => { throw e; };
  for (let p = 0; p < stream.length;) {
    const n = Math.min(stream.length - p, 1 + rnd(trial % 3 === 0 ? 7 : 100000));
    ws._onData(stream.subarray(p, p + n));
    p += n;
  }
  assert.ok(Buffer.concat(got).equals(Buffer.concat(want)), `ws payloads, trial ${trial}`);
  const sent = clientFrames(Buffer.concat(sock.written));
  assert.deepEqual(sent.filter((f) => f.op === 10).map((f) => f.pl.toString()), pings);
  const close = sent.find((f) => f.op === 8);
  assert.ok(close && close.pl.readUInt16BE(0) === 1000 && sock.ended && ws.closeCode === 1000);
}
const bad = {
  'masked server frame': [0x81, 0x85, 1, 2, 3, 4, 0], 'RSV bit': [0xc1, 0], 'stray continuation': [0x80, 0],
  'fragmented ping': [0x09, 0], 'reserved opcode': [0x83, 0], 'long ping': [0x89, 126, 0, 126],
};
for (const [what, bytes] of Object.entries(bad)) {
  const ws = new RawWebSocket('ws://127.0.0.1:1/ws', 'v12.stomp', () => {});
  const sock = fakeSocket(ws);
  let err = null;
  ws.onError = (e) => { err = e; };
  ws._onData(Buffer.from(bytes));
  assert.ok(err && sock.destroyed, `should reject: ${what}`);
}
const src = Buffer.from('SEND\ndestination:/x\n\nhello\0'.repeat(10));
const big = Buffer.alloc(70000, 7);
const buf = Buffer.alloc(maskedFrameSize(src.length) + maskedFrameSize(big.length));
let o = writeMaskedFrame(buf, 0, 1, src, 0, src.length);
o = writeMaskedFrame(buf, o, 2, big, 0, big.length);
assert.equal(o, buf.length);
const [f1, f2] = clientFrames(buf);
assert.ok(f1.op === 1 && f1.pl.equals(src) && f2.op === 2 && f2.pl.equals(big));
console.log('RawWebSocket: ok');
