// The fan-out bus on Redis (packages/broker/src/cluster/redis-bus.ts), measured alone:
// node A publishes topic messages, node B's subscriber receives them through a private
// redis-server on loopback; beside it, the same publishes to a subscriber on one node
// (no bus). Both nodes run in this process: the figure is the bus's cost per message
// (encode, PUBLISH, Redis, decode, deliver), CPU of this process and of redis-server.
//
//   npx tsc -b packages/broker && node bench/redis-bus.mjs [--messages 200000] [--batch 1000] [--runs 3]
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedis } from '../packages/broker/dist/test/support/redis-server.js';
import { RedisBus } from '../packages/broker/dist/src/cluster/redis-bus.js';
import { Router } from '../packages/broker/dist/src/core/router.js';
import { newMessage } from '../packages/broker/dist/src/core/message.js';
import { MemoryStore } from '../packages/broker/dist/src/store/memory.js';
import { Subscription } from '../packages/broker/dist/src/core/subscription.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MESSAGES = arg('messages', 200_000);
const BATCH = arg('batch', 1000); // publishes per event-loop turn
const RUNS = arg('runs', 3);
const body = Buffer.alloc(128, 120);

/** CPU seconds (user + system) of a process, from /proc. */
function cpuOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

class Counter {
  n = 0;
  congested = false;
  deliver() { this.n++; }
}

async function router(bus) {
  const store = new MemoryStore();
  await store.open();
  return new Router({ store, maxDeliveries: 0, deadLetterQueue: '/queue/dlq', bus });
}

const subscribe = (r, t) => r.subscribe(new Subscription(t, { id: 's', destination: '/topic/bench.x', ackMode: 'auto', prefetch: 0, maxPending: 0 }));

/** Publishes MESSAGES at `from`, BATCH per turn, until `counter` saw them all; returns [seconds, cpu of this process, cpu of redis]. */
async function run(from, counter, redisPid) {
  counter.n = 0;
  const cpu0 = process.cpuUsage();
  const r0 = redisPid ? cpuOf(redisPid) : 0;
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < MESSAGES; sent += BATCH) {
    for (let i = 0; i < BATCH; i++) from.publish(newMessage('/topic/bench.x', [], body, false, 0));
    await new Promise((r) => setImmediate(r));
    // Bounded in flight: wait while more than 10 turns are on their way.
    while (sent - counter.n > BATCH * 10) await new Promise((r) => setTimeout(r, 1));
  }
  while (counter.n < MESSAGES) await new Promise((r) => setTimeout(r, 1));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  return [secs, (c.user + c.system) / 1e6, redisPid ? cpuOf(redisPid) - r0 : 0];
}

const redis = await startRedis();
try {
  const conns = [0, 1, 2, 3].map(() => new Redis(redis.url));
  await Promise.all(conns.map((c) => new Promise((r) => c.once('ready', r))));
  const busA = new RedisBus(conns[0], conns[1], 'bench', 'a');
  const busB = new RedisBus(conns[2], conns[3], 'bench', 'b');
  const [a, b, single] = [await router(busA), await router(busB), await router(undefined)];
  await busA.start((m) => a.receive(m));
  await busB.start((m) => b.receive(m));
  const [remote, local] = [new Counter(), new Counter()];
  subscribe(b, remote);
  subscribe(single, local);
  const rows = [];
  for (let i = 0; i < RUNS; i++) {
    const [ls, lc] = await run(single, local, 0);
    const [rs, rc, redisCpu] = await run(a, remote, redis.pid);
    rows.push({ local: MESSAGES / ls, localCpu: (lc * 1e6) / MESSAGES, bus: MESSAGES / rs, busCpu: (rc * 1e6) / MESSAGES, redisCpu: (redisCpu * 1e6) / MESSAGES });
  }
  const med = (k) => rows.map((r) => r[k]).sort((x, y) => x - y)[Math.floor(rows.length / 2)];
  const f = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`${MESSAGES} messages of ${body.length} bytes, ${BATCH} per turn, ${RUNS} runs (medians); redis-server ${redis.url}\n`);
  console.log('| path | msg/s | node CPU (µs/msg) | redis-server CPU (µs/msg) |');
  console.log('|---|---|---|---|');
  console.log(`| one node, no bus | ${f(med('local'))} | ${med('localCpu').toFixed(2)} | - |`);
  console.log(`| node A -> Redis pub/sub -> node B | ${f(med('bus'))} | ${med('busCpu').toFixed(2)} (both nodes) | ${med('redisCpu').toFixed(2)} |`);
  console.log(`\nper run: ${rows.map((r) => `${f(r.bus)} / ${f(r.local)}`).join(', ')} (bus / one node); batches sent ${busA.stats.sent}, dropped ${busA.stats.dropped}`);
  for (const bus of [busA, busB]) await bus.close();
  for (const c of conns) c.disconnect();
} finally {
  await redis.stop();
}
