// MQTT publisher worker thread: one MQTT 3.1.1 TCP connection sending 100-byte
// PUBLISH packets (hand-built, serial number and send time in the body) to one
// topic, as fast as a window allows: at most cfg.window messages published and not
// yet delivered to every subscriber (counted by the subscriber worker). QoS 1
// publishes also count their PUBACKs.
//
// Shared counters (Int32Array over a SharedArrayBuffer), as the STOMP workers:
//   [0] deliveries (summed over all subscribers; written by the subscriber worker)
//   [1] messages sent (written here)   [2] PUBACKs received (QoS 1)
import net from 'node:net';
import { parentPort } from 'node:worker_threads';
import { BODY_LEN, nowMs, padTemplate, writeBody } from './stats.mjs';
import { DISCONNECT, PacketReader, connectPacket, publishPrefix } from './mqtt-packets.mjs';

const DELIVERED = 0;
const SENT = 1;
const ACKED = 2;
const MAX_BATCH = 256;

let cfg;
let ctr;
let socket;
let pre;
let sent = 0;
let acked = 0;
let nextId = 1;
let stopping = false;
let waitingDrain = false;
let finished = false;
let startedAt = 0;
let closed = false;
let error = null;
let connack = null;
let scheduled = false;

/** One pump per turn, however many PUBACKs arrived in it. */
function schedule() {
  if (scheduled || stopping) return;
  scheduled = true;
  setImmediate(() => { scheduled = false; pump(); });
}

function buildBatch(n) {
  const len = pre.length;
  const buf = Buffer.allocUnsafe(n * len);
  for (let i = 0; i < n; i++) {
    const off = i * len;
    pre.prefix.copy(buf, off);
    if (cfg.qos > 0) {
      buf[off + pre.idAt] = nextId >> 8;
      buf[off + pre.idAt + 1] = nextId & 0xff;
      nextId = nextId === 65535 ? 1 : nextId + 1;
    }
    const b = off + pre.prefix.length;
    padTemplate(buf, b);
    writeBody(buf, b, cfg.pubId, sent + i, nowMs());
  }
  return buf;
}

function pump() {
  if (finished || waitingDrain) return;
  if (stopping) return finish();
  if (closed) return finish(new Error('publisher connection closed by the broker'));
  const fanout = cfg.fanout || 1;
  const delivered = Math.floor(Atomics.load(ctr, DELIVERED) / fanout);
  let room = cfg.window - (sent - delivered);
  if (cfg.qos > 0) room = Math.min(room, cfg.inflight - (sent - acked));
  if (room <= 0) {
    // QoS 1: the next PUBACK pumps again; QoS 0: look again shortly.
    if (cfg.qos === 0 || sent - acked < cfg.inflight) setTimeout(pump, 1);
    return;
  }
  const n = Math.min(room, MAX_BATCH);
  const ok = socket.write(buildBatch(n));
  sent += n;
  Atomics.store(ctr, SENT, sent);
  if (!ok) {
    waitingDrain = true;
    socket.once('drain', () => { waitingDrain = false; setImmediate(pump); });
    return;
  }
  schedule();
}

async function finish(err) {
  if (finished) return;
  finished = true;
  const elapsedMs = nowMs() - startedAt;
  if (cfg.qos > 0 && !closed) {
    const deadline = Date.now() + 30000;
    while (acked < sent && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }
  if (!closed) socket.end(DISCONNECT);
  parentPort.postMessage({ type: 'done', sent, acked, elapsedMs, error: err?.message ?? error ?? (cfg.qos > 0 && acked < sent ? `${sent - acked} PUBACKs missing` : null) });
}

parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'start') {
      cfg = msg.cfg;
      ctr = new Int32Array(msg.sab);
      pre = publishPrefix(cfg.topic, cfg.qos);
      socket = net.connect({ port: cfg.port, host: '127.0.0.1', noDelay: true });
      const reader = new PacketReader((type) => {
        if (type === 2) connack?.();
        else if (type === 4) { acked++; schedule(); }
      });
      socket.on('data', (d) => { reader.push(d); Atomics.store(ctr, ACKED, acked); });
      socket.on('close', () => { closed = true; });
      socket.on('error', (e) => { error = e.message; });
      await new Promise((resolve, reject) => {
        connack = resolve;
        socket.once('error', reject);
        socket.once('connect', () => socket.write(connectPacket(`bench-pub-${cfg.pubId}-${process.pid}`)));
      });
      parentPort.postMessage({ type: 'ready' });
    } else if (msg.type === 'go') {
      startedAt = nowMs();
      pump();
    } else if (msg.type === 'stop') {
      stopping = true;
      if (!waitingDrain) setImmediate(pump);
      else setTimeout(() => { if (!finished) { waitingDrain = false; finish(new Error('stuck waiting for drain')); } }, 30000);
    }
  } catch (e) {
    parentPort.postMessage({ type: 'error', error: e.message });
  }
});
