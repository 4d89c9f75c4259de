// MQTT benchmark scenarios, the same for every broker (Stompbox, Mosquitto, Aedes):
// MQTT 3.1.1 over TCP, 100-byte bodies carrying serial numbers, so loss, order and
// duplicates are checked while speed is measured. Each is `async (broker, opts) => row`,
// broker being what a peer's start function returned ({mqttPort, pid}).
//
//   mqtt-qos0      1 -> 1, QoS 0        mqtt-fanout  1 -> 1,000 subscribers, QoS 0
//   mqtt-qos1      1 -> 1, QoS 1 both ways (PUBACKs from broker and subscriber)
//   mqtt-qos1-kept the same to a kept session (clean session 0): what the broker must keep
//                  across a crash (Stompbox: on disk, group-committed; a peer: as configured)
//   mqtt-idle      10,000 connected, subscribed, idle connections: broker memory each
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { call } from './scenarios.mjs';
import { cpuMicros, nowMs, round, rssKiB } from './stats.mjs';
import { connectPacket, PacketReader, subscribePacket } from './mqtt-packets.mjs';

const PUB = new URL('./mqtt-publisher.mjs', import.meta.url);
const SUB = new URL('./mqtt-subscriber.mjs', import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const MQTT_DEFAULTS = {
  seconds: 5,
  warmupSeconds: 1,
  window: 10000, // QoS 0 1 -> 1: messages published and not yet received
  qos1Window: 1000, // QoS 1: the same bound (each broker keeps 1,000 per client)
  fanout: 1000,
  fanoutWindow: 100, // messages in flight in the fan-out (x 1,000 deliveries)
  idleConnections: 10000,
  idleSettleSeconds: 5,
};

let runId = 0;

async function flow(broker, o, { qos, subs, window, subWorkers = 1, clean = true }) {
  const topic = `bench/${process.pid}/${++runId}`;
  const sab = new SharedArrayBuffer(16);
  const ctr = new Int32Array(sab);
  const workers = [];
  const subW = [];
  try {
    const per = Math.ceil(subs / subWorkers);
    for (let w = 0; w < subWorkers; w++) {
      const count = Math.min(per, subs - w * per);
      if (count <= 0) break;
      const worker = new Worker(SUB);
      workers.push(worker);
      subW.push(worker);
      await call(worker, { type: 'start', sab, cfg: { port: broker.mqttPort, topic, qos, count, first: w * per, clean } }, 'ready', 120000);
    }
    const pub = new Worker(PUB);
    workers.push(pub);
    await call(pub, { type: 'start', sab, cfg: { port: broker.mqttPort, topic, qos, window, inflight: window, fanout: subs, pubId: 1 } }, 'ready');
    pub.postMessage({ type: 'go' });
    await sleep(o.warmupSeconds * 1000);
    const a = { t: nowMs(), cpu: cpuMicros(broker.pid), delivered: Atomics.load(ctr, 0) };
    await sleep(o.seconds * 1000);
    const b = { t: nowMs(), cpu: cpuMicros(broker.pid), delivered: Atomics.load(ctr, 0), rss: rssKiB(broker.pid) };
    const done = await call(pub, { type: 'stop' }, 'done', 120000);
    // Let what is in flight arrive, then count.
    const expect = done.sent * subs;
    const settle = Date.now() + 10000;
    let last = -1;
    while (Atomics.load(ctr, 0) < expect && Date.now() < settle) {
      const now = Atomics.load(ctr, 0);
      if (now === last) await sleep(200); else await sleep(50);
      last = now;
    }
    const res = { received: 0, unique: 0, duplicates: 0, outOfOrder: 0, lost: 0, closed: 0 };
    for (const w of subW) {
      const r = await call(w, { type: 'stop', sent: done.sent }, 'done');
      for (const k of Object.keys(res)) res[k] += r[k];
    }
    const delivered = b.delivered - a.delivered;
    const seconds = (b.t - a.t) / 1000;
    return {
      metrics: [
        { name: subs > 1 ? 'throughput' : 'throughput', unit: subs > 1 ? 'deliveries/s' : 'msg/s', better: 'higher', value: Math.round(delivered / seconds) },
        { name: 'broker CPU', unit: 'µs/delivery', better: 'lower', value: round((b.cpu - a.cpu) / Math.max(1, delivered), 2) },
        { name: 'broker RSS', unit: 'MiB', better: 'lower', value: round(b.rss / 1024, 1) },
      ],
      lost: res.lost,
      outOfOrder: res.outOfOrder,
      duplicates: res.duplicates,
      error: done.error ?? (res.closed > 0 ? `${res.closed} subscriber connections were closed` : null),
    };
  } finally {
    for (const w of workers) await w.terminate();
  }
}

/** Connects and subscribes `n` idle connections; resolves with the sockets. */
async function idleConnections(port, n) {
  const sockets = [];
  const one = (i) => new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let step = 0;
    const reader = new PacketReader((type) => {
      if (type === 2 && step === 0) { step = 1; s.write(subscribePacket(1, `idle/${process.pid}/${i}`, 0)); }
      else if (type === 9 && step === 1) { step = 2; resolve(s); }
    });
    s.on('data', (d) => reader.push(d));
    s.on('error', (e) => { if (step < 2) reject(e); });
    s.once('connect', () => s.write(connectPacket(`idle-${process.pid}-${i}`)));
  });
  for (let i = 0; i < n; i += 200) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 200); k++) batch.push(one(k));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

export const mqttScenarios = {
  'mqtt-qos0': (broker, o) => flow(broker, o, { qos: 0, subs: 1, window: o.window }),
  'mqtt-fanout': (broker, o) => flow(broker, o, { qos: 0, subs: o.fanout, window: o.fanoutWindow, subWorkers: 2 }),
  'mqtt-qos1': (broker, o) => flow(broker, o, { qos: 1, subs: 1, window: o.qos1Window }),
  'mqtt-qos1-kept': (broker, o) => flow(broker, o, { qos: 1, subs: 1, window: o.qos1Window, clean: false }),
  'mqtt-idle': async (broker, o) => {
    await sleep(1000);
    const before = rssKiB(broker.pid);
    const cpu0 = cpuMicros(broker.pid);
    const t0 = nowMs();
    const sockets = await idleConnections(broker.mqttPort, o.idleConnections);
    const setupMs = nowMs() - t0;
    const cpu1 = cpuMicros(broker.pid);
    await sleep(o.idleSettleSeconds * 1000);
    const after = rssKiB(broker.pid);
    for (const s of sockets) s.destroy();
    return {
      metrics: [
        { name: 'RSS per connection', unit: 'KiB', better: 'lower', value: round((after - before) / o.idleConnections, 2) },
        { name: 'connect+subscribe rate', unit: 'conn/s', better: 'higher', value: Math.round(o.idleConnections / (setupMs / 1000)) },
        { name: 'broker CPU per conn setup', unit: 'µs', better: 'lower', value: Math.round((cpu1 - cpu0) / o.idleConnections) },
      ],
      lost: 0, outOfOrder: 0, duplicates: 0, error: null,
    };
  },
};

export const MQTT_SCENARIO_NAMES = Object.keys(mqttScenarios);
