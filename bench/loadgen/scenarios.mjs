// Benchmark scenarios. Each is `async (broker, opts) => row`, where broker is
// what a peer's start function returned ({stompPort, wsUrl, pid, connectHeaders})
// and the row holds the metrics plus correctness counters.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Histogram, histogramFrom, cpuMicros, rssKiB, nowMs, round, systemBusyMicros } from './stats.mjs';

const PUB = new URL('./publisher.mjs', import.meta.url);
const SUB = new URL('./subscriber.mjs', import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const DEFAULTS = {
  seconds: 10,
  warmupSeconds: 1,
  window: 10000, // max unreceived messages in the 1->1 scenarios
  fanout: 1000, // WebSocket subscribers in fanout-ws
  fanoutWindow: 1000, // messages in flight in fanout-ws
  idleConnections: 10000,
  idleSettleSeconds: 5,
  rate: 10000, // msg/s in the latency scenario
  subWorkers: null, // subscriber worker threads; null: 2 in fanout-ws, 1 elsewhere
  wsClient: 'raw', // WebSocket client: 'raw' (wsclient.mjs) or 'ws' (the npm package)
  persistentWindow: 128, // un-receipted persistent SENDs in persistent-queue (one producer); --persistent-window 64 for the smaller one
  persistentPrefetch: 1000, // prefetch-count of the persistent-queue consumer
  fsyncSeconds: 2, // length of the write+fdatasync probe in persistent-queue
  reader: 'fast', // STOMP MESSAGE parsing in the subscribers: 'fast' (bytes only) or 'full' (header text)
};

/** Post msg to a worker and resolve with its next reply of type `want`. */
export function call(worker, msg, want, timeoutMs = 600000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`worker timeout waiting for ${want}`)); }, timeoutMs);
    const onMsg = (m) => {
      if (m.type === want) { cleanup(); resolve(m); } else if (m.type === 'error') { cleanup(); reject(new Error(m.error)); }
    };
    const onErr = (e) => { cleanup(); reject(e); };
    const cleanup = () => { clearTimeout(timer); worker.off('message', onMsg); worker.off('error', onErr); };
    worker.on('message', onMsg);
    worker.on('error', onErr);
    if (msg) worker.postMessage(msg);
  });
}

function target(broker, kind) {
  return kind === 'tcp' ? { kind, port: broker.stompPort } : { kind, url: broker.wsUrl };
}

function snapshot(pid, ctr) {
  return {
    t: nowMs(), cpu: cpuMicros(pid), sys: systemBusyMicros(), self: process.cpuUsage(),
    delivered: Atomics.load(ctr, 0), sent: Atomics.load(ctr, 1), acked: Atomics.load(ctr, 2),
  };
}

/**
 * Run one publisher worker against `subWorkers` subscriber workers sharing
 * `subCount` subscriptions. Measures over [warmup, warmup + seconds].
 */
async function pubSubRun(broker, opts, { pubKind, subKind, subCount, subWorkers = 1, pub, sub = {}, destination, concurrency = 50 }) {
  const sab = new SharedArrayBuffer(16);
  const ctr = new Int32Array(sab);
  subWorkers = Math.max(1, Math.min(subWorkers, subCount));
  const subs = Array.from({ length: subWorkers }, () => new Worker(SUB));
  const client = { wsClient: opts.wsClient, reader: opts.reader };
  const pubW = new Worker(PUB);
  const headers = broker.connectHeaders || {};
  try {
    const per = Math.ceil(subCount / subWorkers);
    const readies = await Promise.all(subs.map((w, i) => call(w, {
      type: 'start', sab,
      cfg: { ...target(broker, subKind), ...client, connectHeaders: headers, destination, count: Math.min(per, subCount - i * per), concurrency, ...sub },
    }, 'ready')));
    const connected = readies.reduce((a, r) => a + r.connected, 0);
    if (connected < subCount) throw new Error(`only ${connected}/${subCount} subscribers connected: ${readies.map((r) => r.firstError).filter(Boolean)[0]}`);
    await call(pubW, { type: 'start', sab, cfg: { ...target(broker, pubKind), ...client, connectHeaders: headers, destination, pubId: 1, ...pub } }, 'ready');

    pubW.postMessage({ type: 'go' });
    await sleep(opts.warmupSeconds * 1000);
    const a = snapshot(broker.pid, ctr);
    await sleep(opts.seconds * 1000);
    const b = snapshot(broker.pid, ctr);
    const done = await call(pubW, { type: 'stop' }, 'done', 120000);
    const results = await Promise.all(subs.map((w) => call(w, { type: 'finish', sent: done.sent, quietMs: 5000 }, 'result')));
    await Promise.all(subs.map((w) => call(w, { type: 'close' }, 'closed', 60000)));

    const hist = new Histogram();
    const sum = (k) => results.reduce((acc, r) => acc + r[k], 0);
    for (const r of results) hist.merge(histogramFrom(r.hist));
    const ms = b.t - a.t;
    const delivered = b.delivered - a.delivered;
    const selfCpu = (b.self.user + b.self.system - a.self.user - a.self.system) / 1000;
    const acked = results.some((r) => r.acked !== null) ? results.reduce((acc, r) => acc + (r.acked ?? 0), 0) : null;
    return {
      sub_workers: subWorkers,
      ws_client: subKind === 'ws' || pubKind === 'ws' ? opts.wsClient : null,
      sent: done.sent,
      published_per_s: round(((b.sent - a.sent) * 1000) / ms, 0),
      delivered_per_s: round((delivered * 1000) / ms, 0),
      acked_per_s: acked === null ? null : round(((b.acked - a.acked) * 1000) / ms, 0),
      acked,
      receipted: done.receipted ?? null,
      receipt_latency_ms: done.receiptHist ? mapRound(histogramFrom(done.receiptHist).summary()) : null,
      broker_cpu_us_per_msg: delivered ? round((b.cpu - a.cpu) / delivered, 2) : null,
      broker_cpu_pct: round(((b.cpu - a.cpu) / (ms * 1000)) * 100, 0),
      loadgen_cpu_pct: round((selfCpu / ms) * 100, 0),
      // everything else on the machine (other builds/tests): should be ~0
      other_cpu_pct: Math.max(0, round(((b.sys - a.sys - (b.cpu - a.cpu) - selfCpu * 1000) / (ms * 1000)) * 100, 0)),
      lost: sum('lost'),
      out_of_order: sum('outOfOrder'),
      duplicates: sum('duplicates'),
      subs_with_order_errors: sum('subsWithOrderErrors'),
      subs_with_loss: sum('subsWithLoss'),
      drained: results.every((r) => r.drained),
      closed_early: sum('closedEarly'),
      latency_ms: mapRound(hist.summary()),
      publisher_error: done.error,
      subscriber_errors: results.flatMap((r) => r.errors).slice(0, 3),
    };
  } finally {
    await Promise.all([pubW, ...subs].map((w) => w.terminate()));
  }
}

function mapRound(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'count' ? v : round(v, 3);
  return out;
}

function throughputRow(scenario, r, unit = 'msg/s') {
  return {
    scenario,
    metrics: [{ name: 'throughput', value: r.delivered_per_s, unit, better: 'higher' },
      { name: 'broker CPU', value: r.broker_cpu_us_per_msg, unit: 'µs/msg', better: 'lower' }],
    ...r,
  };
}

/**
 * Synchronous write + fdatasync of 100-byte records, one at a time, to a temp
 * file in dir for `seconds`: the disk's durable-commit rate, for comparison.
 */
export function fsyncRate(dir, seconds = 2) {
  const file = path.join(dir, `fsync-probe-${process.pid}-${Date.now()}`);
  const fd = fs.openSync(file, 'w');
  const rec = Buffer.alloc(100, 0x61);
  let n = 0;
  const t0 = nowMs();
  const end = t0 + seconds * 1000;
  try {
    while (nowMs() < end) {
      fs.writeSync(fd, rec);
      fs.fdatasyncSync(fd);
      n++;
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return round((n * 1000) / (nowMs() - t0), 0);
}

export const scenarios = {
  async 'persistent-queue'(broker, opts) {
    // the probe writes next to the broker's data (Stompbox: --data-dir; RabbitMQ: its temp dir; both under os.tmpdir())
    const probeDir = broker.dataDir || os.tmpdir();
    const fsyncs = fsyncRate(probeDir, opts.fsyncSeconds);
    const r = await pubSubRun(broker, opts, {
      pubKind: 'tcp', subKind: 'tcp', subCount: 1, destination: '/queue/bench-persistent',
      pub: { mode: 'receipt', window: opts.persistentWindow },
      sub: { ack: 'client-individual', prefetch: opts.persistentPrefetch },
      subWorkers: 1,
    });
    const l = r.receipt_latency_ms || {};
    return {
      scenario: 'persistent-queue',
      metrics: [
        { name: 'received', value: r.delivered_per_s, unit: 'msg/s', better: 'higher' },
        { name: 'acked', value: r.acked_per_s, unit: 'msg/s', better: 'higher' },
        { name: 'sent (receipted)', value: r.published_per_s, unit: 'msg/s', better: 'higher' },
        { name: 'broker CPU', value: r.broker_cpu_us_per_msg, unit: 'µs/msg', better: 'lower' },
        { name: 'SEND receipt p50', value: l.p50, unit: 'ms', better: 'lower' },
        { name: 'SEND receipt p99', value: l.p99, unit: 'ms', better: 'lower' },
        { name: 'disk write+fdatasync', value: fsyncs, unit: '/s', better: null },
      ],
      persistent_window: opts.persistentWindow,
      prefetch: opts.persistentPrefetch,
      fsync_per_s: fsyncs,
      fsync_probe_dir: probeDir,
      ...r,
    };
  },

  async 'one-to-one-tcp'(broker, opts) {
    const r = await pubSubRun(broker, opts, {
      pubKind: 'tcp', subKind: 'tcp', subCount: 1, destination: '/topic/bench',
      pub: { mode: 'window', window: opts.window }, subWorkers: opts.subWorkers ?? 1,
    });
    return throughputRow('one-to-one-tcp', r);
  },

  async 'one-to-one-ws'(broker, opts) {
    const r = await pubSubRun(broker, opts, {
      pubKind: 'ws', subKind: 'ws', subCount: 1, destination: '/topic/bench',
      pub: { mode: 'window', window: opts.window }, subWorkers: opts.subWorkers ?? 1,
    });
    return throughputRow('one-to-one-ws', r);
  },

  async 'fanout-ws'(broker, opts) {
    const r = await pubSubRun(broker, opts, {
      pubKind: 'tcp', subKind: 'ws', subCount: opts.fanout, destination: '/topic/fanout',
      pub: { mode: 'window', window: opts.fanoutWindow, fanout: opts.fanout }, concurrency: 50,
      subWorkers: opts.subWorkers ?? 2,
    });
    return throughputRow('fanout-ws', r, 'deliveries/s');
  },

  async latency(broker, opts) {
    const r = await pubSubRun(broker, opts, {
      pubKind: 'tcp', subKind: 'tcp', subCount: 1, destination: '/topic/latency',
      pub: { mode: 'rate', rate: opts.rate }, subWorkers: opts.subWorkers ?? 1,
    });
    const l = r.latency_ms;
    return {
      scenario: 'latency',
      metrics: [
        { name: `p50 @${opts.rate}/s`, value: l.p50, unit: 'ms', better: 'lower' },
        { name: 'p90', value: l.p90, unit: 'ms', better: 'lower' },
        { name: 'p99', value: l.p99, unit: 'ms', better: 'lower' },
        { name: 'max', value: l.max, unit: 'ms', better: 'lower' },
        { name: 'achieved rate', value: r.delivered_per_s, unit: 'msg/s', better: 'higher' },
        { name: 'broker CPU', value: r.broker_cpu_us_per_msg, unit: 'µs/msg', better: 'lower' },
      ],
      ...r,
    };
  },

  async 'idle-ws'(broker, opts) {
    const n = opts.idleConnections;
    const workers = n > 5000 ? 2 : 1;
    const sab = new SharedArrayBuffer(16);
    const subs = Array.from({ length: workers }, () => new Worker(SUB));
    try {
      await sleep(1000);
      const rssBefore = rssKiB(broker.pid);
      const cpu0 = cpuMicros(broker.pid);
      const per = Math.ceil(n / workers);
      const t0 = nowMs();
      const readies = await Promise.all(subs.map((w, i) => call(w, {
        type: 'start', sab,
        cfg: { kind: 'ws', url: broker.wsUrl, wsClient: opts.wsClient, connectHeaders: broker.connectHeaders || {}, destinationPrefix: `/topic/idle.w${i}.`, count: Math.min(per, n - i * per), concurrency: 100 },
      }, 'ready')));
      const openMs = nowMs() - t0;
      const connected = readies.reduce((a, r) => a + r.connected, 0);
      const cpu1 = cpuMicros(broker.pid);
      await sleep(opts.idleSettleSeconds * 1000);
      const rssAfter = rssKiB(broker.pid);
      const cpu2 = cpuMicros(broker.pid);
      const results = await Promise.all(subs.map((w) => call(w, { type: 'finish', sent: 0, quietMs: 0 }, 'result')));
      const closedEarly = results.reduce((a, r) => a + r.closedEarly, 0);
      await Promise.all(subs.map((w) => call(w, { type: 'close' }, 'closed', 120000)));
      const kbPerConn = connected ? (rssAfter - rssBefore) / connected : null;
      return {
        scenario: 'idle-ws',
        metrics: [
          { name: 'RSS per connection', value: round(kbPerConn, 1), unit: 'KiB', better: 'lower' },
          { name: 'connect+subscribe rate', value: round((connected * 1000) / openMs, 0), unit: 'conn/s', better: 'higher' },
          { name: 'broker CPU per conn setup', value: connected ? round((cpu1 - cpu0) / connected, 0) : null, unit: 'µs', better: 'lower' },
        ],
        connections: connected,
        failures: readies.reduce((a, r) => a + r.failures, 0),
        first_error: readies.map((r) => r.firstError).filter(Boolean)[0] || null,
        rss_before_kib: rssBefore,
        rss_after_kib: rssAfter,
        idle_cpu_pct: round(((cpu2 - cpu1) / (opts.idleSettleSeconds * 1e6)) * 100, 1),
        closed_early: closedEarly,
        lost: 0, out_of_order: 0, duplicates: 0,
      };
    } finally {
      await Promise.all(subs.map((w) => w.terminate()));
    }
  },
};

export const SCENARIO_NAMES = ['one-to-one-tcp', 'one-to-one-ws', 'fanout-ws', 'idle-ws', 'latency', 'persistent-queue'];
