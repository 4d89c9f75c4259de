// Subscriber worker thread. Opens `count` STOMP connections (tcp or ws), each
// subscribing to one destination, then checks every MESSAGE for loss,
// duplicates and order per publisher and records end-to-end latency (from the
// send time in the body to the time the socket chunk holding it was read).
// Several of these workers can share one scenario (fanout-ws uses 2); each
// checks its own subscriptions.
//
// With cfg.ack ('client-individual'), every MESSAGE is ACKed: the ACKs of one
// socket chunk go out in one write, the last one with a receipt; when that
// RECEIPT arrives the batch counts as acked (shared counter [2]). MESSAGE
// frames then take the header-text path (the ack id is a header).
//
// Messages from parent:
//   {type:'start', cfg, sab}  -> connect + subscribe all, reply {type:'ready', ...}
//   {type:'finish', sent}     -> wait until every subscriber has `sent` messages (or
//                                it goes quiet), reply {type:'result', ...}
//   {type:'close'}            -> close every connection, reply {type:'closed'}
import { parentPort } from 'node:worker_threads';
import { StompConn } from './conn.mjs';
import { Histogram, SeqTracker, nowMs, readBody } from './stats.mjs';

const DELIVERED = 0;
const ACKED = 2;

let cfg;
let ctr;
const subs = []; // {conn, trackers: Map<pubId, SeqTracker>}
const hist = new Histogram();
let foreign = 0; // MESSAGE bodies that are not ours
let lastDeliveryAt = 0;
let closedEarly = 0;
// Per input chunk, not per message: the receive time (one clock read for all
// the messages a chunk holds) and the delivered count (one Atomics.add on the
// counter the publisher and the other subscriber workers share).
let now = 0;
let delivered = 0;
const ackPending = []; // subs with ACKs to write after this chunk
let ackBatchSeq = 0;
const ackBatches = new Map(); // receipt id -> ACKs in the batch
const beforeRead = () => { now = nowMs(); };
function flushAcks() {
  for (const sub of ackPending) {
    const id = `a${++ackBatchSeq}`;
    ackBatches.set(id, sub.acks.length);
    const last = sub.acks.length - 1;
    let out = '';
    for (let i = 0; i < last; i++) out += `ACK\nid:${sub.acks[i]}\n\n\0`;
    out += `ACK\nid:${sub.acks[last]}\nreceipt:${id}\n\n\0`;
    sub.acks.length = 0;
    sub.conn.writeFrame(Buffer.from(out, 'latin1'));
  }
  ackPending.length = 0;
}
const afterRead = () => {
  if (ackPending.length) flushAcks();
  if (delivered === 0) return;
  Atomics.add(ctr, DELIVERED, delivered);
  delivered = 0;
  lastDeliveryAt = now;
};

function makeSub(i) {
  const target = cfg.kind === 'tcp' ? { port: cfg.port } : cfg.url;
  const conn = new StompConn(cfg.kind, target, cfg.connectHeaders, { wsClient: cfg.wsClient });
  const sub = { conn, trackers: new Map(), received: 0, acked: 0 };
  const body = { pub: 0, serial: 0, ts: 0 };
  let lastPub = -1;
  let last = null; // tracker of lastPub
  const onBody = (buf, s, e) => {
    if (!readBody(buf, s, e, body)) { foreign++; return; }
    if (body.pub !== lastPub) {
      last = sub.trackers.get(body.pub);
      if (!last) { last = new SeqTracker(); sub.trackers.set(body.pub, last); }
      lastPub = body.pub;
    }
    last.add(body.serial);
    sub.received++;
    hist.record(now - body.ts);
    delivered++;
  };
  if (cfg.ack) {
    sub.acks = [];
    conn.onFrame = (cmd, raw, buf, s, e) => {
      const a = raw.indexOf('\nack:');
      if (a >= 0) {
        const end = raw.indexOf('\n', a + 5);
        if (sub.acks.length === 0) ackPending.push(sub);
        sub.acks.push(raw.slice(a + 5, end < 0 ? raw.length : end).replace(/\r$/, ''));
      }
      onBody(buf, s, e);
    };
    conn.onReceipt = (raw) => {
      const i = raw.indexOf('receipt-id:a');
      if (i < 0) return false;
      const end = raw.indexOf('\n', i);
      const id = raw.slice(i + 11, end < 0 ? raw.length : end).replace(/\r$/, '');
      const n = ackBatches.get(id);
      if (n === undefined) return false;
      ackBatches.delete(id);
      Atomics.add(ctr, ACKED, n);
      sub.acked += n;
      return true;
    };
  } else if (cfg.reader === 'full') conn.onFrame = (cmd, raw, buf, s, e) => onBody(buf, s, e);
  else conn.onMessage = onBody;
  conn.beforeRead = beforeRead;
  conn.afterRead = afterRead;
  conn.onClose = () => { if (!sub.closing) closedEarly++; };
  const dest = cfg.destination ?? `${cfg.destinationPrefix}${i}`;
  return { sub, dest };
}

async function openOne(i) {
  const { sub, dest } = makeSub(i);
  await sub.conn.connect(60000);
  const extra = cfg.ack ? { ack: cfg.ack, ...(cfg.prefetch ? { 'prefetch-count': String(cfg.prefetch) } : {}) } : {};
  await sub.conn.subscribe(dest, `sub-${i}`, extra);
  subs.push(sub);
}

/** Open cfg.count subscriptions with bounded concurrency. */
async function openAll() {
  let next = 0;
  let failures = 0;
  let firstError = null;
  const t0 = nowMs();
  const lane = async () => {
    while (next < cfg.count) {
      const i = next++;
      try {
        await openOne(i);
      } catch (e) {
        failures++;
        if (!firstError) firstError = `#${i}: ${e.message}`;
        if (failures > 20 && failures > cfg.count / 100) return; // the broker is refusing; stop hammering
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency || 1, cfg.count) }, lane));
  return { connected: subs.length, failures, firstError, openMs: nowMs() - t0 };
}

function complete(sent) {
  for (const s of subs) {
    const t = s.trackers.values().next().value;
    if (!t) { if (sent > 0) return false; continue; }
    if (t.unique < sent) return false;
    if (cfg.ack && s.acked < s.received) return false;
  }
  return true;
}

async function waitFor(sent, quietMs) {
  const start = nowMs();
  lastDeliveryAt = Math.max(lastDeliveryAt, start);
  while (!complete(sent)) {
    const now = nowMs();
    if (now - lastDeliveryAt > quietMs) return { drained: false, waitedMs: now - start };
    await new Promise((r) => setTimeout(r, 20));
  }
  return { drained: true, waitedMs: nowMs() - start };
}

function result(sent, drain) {
  let acked = 0;
  for (const s of subs) acked += s.acked;
  let received = 0, duplicates = 0, outOfOrder = 0, lost = 0, subsWithOrderErrors = 0, subsWithLoss = 0;
  const errors = [];
  for (const s of subs) {
    received += s.received;
    let sLost = 0, sOoo = 0;
    const trackers = [...s.trackers.values()];
    if (trackers.length === 0) sLost = sent;
    for (const t of trackers) {
      duplicates += t.duplicates;
      sOoo += t.outOfOrder;
      sLost += t.lost(sent);
    }
    lost += sLost;
    outOfOrder += sOoo;
    if (sOoo) subsWithOrderErrors++;
    if (sLost) subsWithLoss++;
    if (s.conn.errors.length && errors.length < 5) errors.push(s.conn.errors[0].message);
  }
  return {
    type: 'result',
    subscribers: subs.length,
    received,
    acked: cfg.ack ? acked : null,
    lost,
    duplicates,
    outOfOrder,
    subsWithOrderErrors,
    subsWithLoss,
    foreign,
    closedEarly,
    drained: drain.drained,
    drainMs: drain.waitedMs,
    errors,
    hist: { counts: hist.counts, n: hist.n, max: hist.max, sum: hist.sum },
  };
}

parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'start') {
      cfg = msg.cfg;
      ctr = new Int32Array(msg.sab);
      const info = await openAll();
      parentPort.postMessage({ type: 'ready', ...info });
    } else if (msg.type === 'finish') {
      const drain = await waitFor(msg.sent, msg.quietMs ?? 5000);
      parentPort.postMessage(result(msg.sent, drain));
    } else if (msg.type === 'close') {
      for (const s of subs) s.closing = true;
      if (msg.polite) await Promise.all(subs.map((s) => s.conn.close(2000)));
      else for (const s of subs) s.conn.destroy();
      parentPort.postMessage({ type: 'closed' });
    }
  } catch (e) {
    parentPort.postMessage({ type: 'error', error: e.stack || e.message });
  }
});
