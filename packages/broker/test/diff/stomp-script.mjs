// Plays a scripted STOMP session, byte for byte, against one broker and records what
// came back, step by step and connection by connection, in a form two brokers can be
// compared in: frames decoded (the codec's own decoder, versions followed), values that
// legitimately differ (session ids, message ids, server names) replaced by placeholders,
// and whether each connection was closed once the step settled.
// Not a test file itself (no `.test.` in the name).
import net from 'node:net';
import { StompDecoder } from '@stompbox/stomp-codec';
import WebSocket from 'ws';

/**
 * A script is a list of steps:
 *   ['open', name]                  a TCP connection
 *   ['send', name, bytes]           bytes written as they are (a string: \0 is the NUL)
 *   ['split', name, bytes, size]    the same, `size` bytes per write, 5 ms apart
 *   ['close', name]                 the client closes
 *   ['wait', ms]
 * After each step the player waits until nothing has arrived for `quietMs`.
 */
export async function play(target, script, { quietMs = 150, maxStepMs = 4000, onOpen } = {}) {
  const conns = new Map();
  let lastData = Date.now();
  const transcript = [];
  for (const step of script) {
    const [op, name] = step;
    if (op === 'open') {
      const c = await open(target, () => (lastData = Date.now()));
      conns.set(name, c);
      onOpen?.(name, c);
    } else if (op === 'send') {
      await conns.get(name).write(Buffer.from(step[2], 'latin1'));
    } else if (op === 'split') {
      const bytes = Buffer.from(step[2], 'latin1');
      for (let i = 0; i < bytes.length; i += step[3]) {
        await conns.get(name).write(bytes.subarray(i, i + step[3]));
        await sleep(5);
      }
    } else if (op === 'close') {
      conns.get(name).end();
    } else if (op === 'wait') {
      await sleep(name);
    } else throw new Error(`unknown step ${op}`);
    const started = Date.now();
    lastData = Date.now();
    while (Date.now() - lastData < quietMs && Date.now() - started < maxStepMs) await sleep(20);
    const entry = { step: describe(step) };
    for (const [n, c] of conns) {
      entry[n] = sortCopies(c.frames.splice(0).map(normalise));
      if (c.closed) entry[n].push('<closed>');
    }
    transcript.push(entry);
    // A connection's close is reported once, at the step it happened.
    for (const [n, c] of conns) if (c.closed) conns.delete(n);
  }
  for (const c of conns.values()) c.destroy();
  return transcript;
}

function describe(step) {
  const [op, name, bytes] = step;
  if (op === 'send' || op === 'split') return `${op} ${name}: ${String(bytes).split('\n')[0]}`;
  return `${op} ${name}`;
}

/** `target`: a TCP port, or a WebSocket URL (one WebSocket message per write; text frames). */
function open(target, onData) {
  const c = { frames: [], closed: false, raw: [], write: null, end: null, destroy: null };
  const decoder = new StompDecoder({
    maxFrameSize: 64 * 1024 * 1024,
    onFrame: (f) => {
      const frame = { command: f.command, headers: [...f.headers], body: Buffer.from(f.body).toString('latin1') };
      if (f.command === 'CONNECTED') {
        const v = header(frame, 'version');
        decoder.version = v === '1.1' || v === '1.2' ? v : '1.0';
      }
      c.frames.push(frame);
    },
  });
  const onBytes = (d) => {
    onData();
    c.raw.push(Buffer.from(d));
    try {
      decoder.push(d);
    } catch (err) {
      c.frames.push({ command: '<undecodable>', headers: [], body: String(err.message) });
    }
  };
  const onClose = () => {
    onData();
    c.closed = true;
  };
  return new Promise((resolve, reject) => {
    if (typeof target === 'number') {
      const socket = net.connect(target, '127.0.0.1');
      // write resolves once the bytes are handed to the kernel (or the peer closed): a
      // step's quiet time starts after a large write, not in the middle of it.
      Object.assign(c, { write: (b) => new Promise((r) => socket.write(b, () => r())), end: () => socket.end(), destroy: () => socket.destroy() });
      socket.on('data', onBytes);
      socket.on('close', onClose);
      socket.on('error', () => {});
      socket.once('connect', () => resolve(c));
      socket.once('error', reject);
    } else {
      const ws = new WebSocket(target, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
      Object.assign(c, { write: (b) => new Promise((r) => ws.send(b.toString('latin1'), () => r())), end: () => ws.close(1000), destroy: () => ws.terminate() });
      ws.on('message', (d) => onBytes(Buffer.isBuffer(d) ? d : Buffer.from(d)));
      ws.on('close', onClose);
      ws.on('error', () => {});
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    }
  });
}

/**
 * One message delivered to several subscriptions of one connection arrives as consecutive
 * copies in an order neither STOMP nor either broker defines: compared sorted by subscription.
 */
function sortCopies(frames) {
  for (let i = 0; i < frames.length; ) {
    let j = i + 1;
    const same = (f) => f.command === 'MESSAGE' && frames[i].command === 'MESSAGE' && f.body === frames[i].body && f.headers.destination === frames[i].headers.destination;
    while (j < frames.length && same(frames[j])) j++;
    if (j - i > 1) frames.splice(i, j - i, ...frames.slice(i, j).sort((a, b) => (a.headers.subscription < b.headers.subscription ? -1 : 1)));
    i = j;
  }
  return frames;
}

export function header(frame, name) {
  for (let i = 0; i < frame.headers.length; i += 2) if (frame.headers[i] === name) return frame.headers[i + 1];
  return undefined;
}

/** Headers whose values are the broker's to choose: compared by presence only. */
const OPAQUE = new Set(['message-id', 'ack', 'session', 'server']);

/**
 * A frame as compared: command, headers sorted by name (first occurrence, as STOMP 1.2
 * reads repeated headers), body. ERROR frames are compared by their receipt-id only: the
 * texts are each broker's own (docs/compatibility.md lists them side by side).
 */
export function normalise(f) {
  if (f.command === 'ERROR') {
    const r = header(f, 'receipt-id');
    return { command: 'ERROR', headers: r === undefined ? {} : { 'receipt-id': r } };
  }
  const headers = {};
  for (let i = 0; i < f.headers.length; i += 2) {
    const n = f.headers[i];
    if (n in headers || n === 'content-length') continue;
    const v = f.headers[i + 1];
    // A temp queue's rewritten reply-to names the broker's own queue.
    headers[n] = OPAQUE.has(n) ? '*' : n === 'reply-to' && v.startsWith('/reply-queue/') ? '/reply-queue/*' : v;
  }
  const sorted = Object.fromEntries(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : 1)));
  const out = { command: f.command, headers: sorted };
  if (f.body.length > 0) out.body = f.body.length > 200 ? `<${f.body.length} bytes, sum ${checksum(f.body)}>` : f.body;
  return out;
}

function checksum(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h >>> 0;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Plays a script and returns the raw bytes connection `a` received (TCP chunks or WebSocket messages). */
export async function playRaw(target, script) {
  const raws = [];
  await play(target, script, { onOpen: (name, c) => name === 'a' && raws.push(c.raw) });
  return raws[0];
}
