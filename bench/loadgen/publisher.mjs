// Publisher worker thread. One STOMP connection (tcp or ws) sending 100-byte
// SEND frames to one destination, either as fast as an in-flight window allows
// ("window" mode) or at a fixed rate ("rate" mode), or ("receipt" mode) with
// `persistent:true` and a `receipt` header on every SEND while at most
// cfg.window SENDs are un-receipted; a message counts as sent once its RECEIPT
// is in, and the RECEIPT latency (SEND written -> RECEIPT read) is recorded.
//
// Shared counters (Int32Array over a SharedArrayBuffer), see scenarios.mjs:
//   [0] messages delivered (summed over all subscribers; written by the subscriber worker)
//   [1] messages sent (written here; in receipt mode: receipted)
import { parentPort } from 'node:worker_threads';
import { StompConn } from './conn.mjs';
import { sendPrefix } from './stomp.mjs';
import { BODY_LEN, Histogram, nowMs, writeBody, padTemplate } from './stats.mjs';

const DELIVERED = 0;
const SENT = 1;
const MAX_BATCH = 256;

let cfg;
let ctr;
let conn;
let prefix;
let frameLen;
let sent = 0;
let stopping = false;
let waitingDrain = false;
let finished = false;
let startedAt = 0;
let drainWaits = 0;
let windowWaits = 0;
// receipt mode
const RING = 1 << 20; // send times by serial % RING (the window is far smaller)
const SERIAL_DIGITS = 12;
let sentAt = null;
let receipted = 0;
let readAt = 0;
const receiptHist = new Histogram();
let receiptWaiter = null; // resolve() once receipted === sent (at stop)

/** Build `n` SEND frames into one Buffer; returns it (frames back to back). */
function buildBatch(n) {
  const buf = Buffer.allocUnsafe(n * frameLen);
  for (let i = 0; i < n; i++) {
    const off = i * frameLen;
    prefix.copy(buf, off);
    const b = off + prefix.length;
    padTemplate(buf, b);
    const ts = nowMs();
    if (sentAt !== null) { // receipt:pSSSSSSSSSSSS at the end of the header block
      buf.latin1Write(String(sent + i).padStart(SERIAL_DIGITS, '0'), b - 2 - SERIAL_DIGITS, SERIAL_DIGITS);
      sentAt[(sent + i) % RING] = ts;
    }
    writeBody(buf, b, cfg.pubId, sent + i, ts);
    buf[b + BODY_LEN] = 0;
  }
  return buf;
}

/** Write n frames (one WebSocket message each over ws); false if the transport asked us to wait for 'drain'. */
function sendBatch(n) {
  const ok = conn.writeFrames(buildBatch(n), frameLen, n);
  sent += n;
  if (sentAt === null) Atomics.store(ctr, SENT, sent);
  return ok;
}

function waitDrain() {
  waitingDrain = true;
  drainWaits++;
  conn.onceDrain(() => { waitingDrain = false; setImmediate(pump); });
}

function pumpWindow() {
  const fanout = cfg.fanout || 1;
  const delivered = Math.floor(Atomics.load(ctr, DELIVERED) / fanout);
  const room = cfg.window - (sent - delivered);
  if (room <= 0) { windowWaits++; setTimeout(pump, 1); return; }
  if (!sendBatch(Math.min(room, MAX_BATCH))) { waitDrain(); return; }
  setImmediate(pump);
}

function pumpReceipt() {
  const room = cfg.window - (sent - receipted);
  if (room <= 0) { windowWaits++; return; } // onReceipt pumps again
  if (!sendBatch(Math.min(room, MAX_BATCH))) { waitDrain(); return; }
  setImmediate(pump);
}

/** RECEIPT of one of our SENDs (receipt-id:pSSSSSSSSSSSS). */
function onReceipt(raw) {
  const i = raw.indexOf('receipt-id:p');
  if (i < 0) return false;
  const serial = parseInt(raw.slice(i + 12, i + 12 + SERIAL_DIGITS), 10);
  receiptHist.record(readAt - sentAt[serial % RING]);
  const wasFull = sent - receipted >= cfg.window;
  receipted++;
  Atomics.store(ctr, SENT, receipted);
  if (receiptWaiter !== null && receipted >= sent) receiptWaiter();
  else if (wasFull && !stopping) setImmediate(pump);
  return true;
}

function pumpRate() {
  const due = Math.floor(((nowMs() - startedAt) * cfg.rate) / 1000);
  let n = due - sent;
  let ok = true;
  while (n > 0 && ok) {
    const k = Math.min(n, MAX_BATCH);
    ok = sendBatch(k);
    n -= k;
  }
  if (!ok) { waitDrain(); return; }
  setTimeout(pump, 1);
}

function pump() {
  if (finished || waitingDrain) return;
  if (stopping) { finish(); return; }
  if (conn.closed) { finish(new Error('publisher connection closed by broker')); return; }
  if (cfg.mode === 'rate') pumpRate(); else if (cfg.mode === 'receipt') pumpReceipt(); else pumpWindow();
}

async function finish(err) {
  if (finished) return;
  finished = true;
  const elapsedMs = nowMs() - startedAt;
  let flushError = null;
  if (sentAt !== null && receipted < sent && !conn.closed) { // wait for the window to be receipted
    await new Promise((resolve) => {
      const t = setTimeout(() => { flushError = `${sent - receipted} SEND receipts missing after 60 s`; resolve(); }, 60000);
      receiptWaiter = () => { clearTimeout(t); resolve(); };
    });
    receiptWaiter = null;
  }
  // A receipt on a final frame tells us the broker has processed every SEND.
  if (!conn.closed) {
    try {
      await conn.request('DISCONNECT', {}, 60000);
    } catch (e) {
      // Some brokers close right after DISCONNECT without a RECEIPT; the close
      // still means every earlier frame was read. Only a timeout is an error.
      if (!conn.closed) flushError = e.message;
    }
  }
  conn.destroy();
  parentPort.postMessage({
    type: 'done',
    sent,
    elapsedMs,
    drainWaits,
    windowWaits,
    receipted: sentAt !== null ? receipted : null,
    receiptHist: sentAt !== null ? { counts: receiptHist.counts, n: receiptHist.n, max: receiptHist.max, sum: receiptHist.sum } : null,
    error: err ? err.message : conn.errors.find((e) => !/closed/.test(e.message))?.message || flushError || null,
  });
}

parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'start') {
      cfg = msg.cfg;
      ctr = new Int32Array(msg.sab);
      prefix = sendPrefix(cfg.destination, BODY_LEN);
      if (cfg.mode === 'receipt') {
        // same frame plus persistent:true and a fixed-width receipt id, last, so buildBatch can patch it
        const head = prefix.toString('latin1').slice(0, -1); // drop the blank line
        prefix = Buffer.from(`${head}persistent:true\nreceipt:p${'0'.repeat(SERIAL_DIGITS)}\n\n`, 'latin1');
        sentAt = new Float64Array(RING);
      }
      frameLen = prefix.length + BODY_LEN + 1;
      conn = new StompConn(cfg.kind, cfg.kind === 'tcp' ? { port: cfg.port } : cfg.url, cfg.connectHeaders, { wsClient: cfg.wsClient });
      if (sentAt !== null) {
        conn.beforeRead = () => { readAt = nowMs(); };
        conn.onReceipt = onReceipt;
      }
      await conn.connect();
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
