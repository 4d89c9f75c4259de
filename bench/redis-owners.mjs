// Session claims on Redis (packages/broker/src/cluster/redis-owners.ts): one Lua script per
// MQTT CONNECT. Claims per second and their latency, one at a time and 64 at once, on a
// private redis-server on loopback.   npx tsc -b packages/broker && node bench/redis-owners.mjs
import { Redis } from 'ioredis';
import { startRedis } from '../packages/broker/dist/test/support/redis-server.js';
import { RedisOwners } from '../packages/broker/dist/src/cluster/redis-owners.js';
const r = await startRedis();
const [c, s] = [new Redis(r.url), new Redis(r.url)];
const o = new RedisOwners(c, s, 'a');
await o.start(() => {});
for (const [label, par] of [['one at a time', 1], ['64 at once', 64]]) {
  const N = 20000; const lat = []; const t0 = performance.now(); let next = 0;
  await Promise.all(Array.from({ length: par }, async () => { while (next < N) { const i = next++; const t = performance.now(); await o.claim('c' + i); lat.push(performance.now() - t); } }));
  const secs = (performance.now() - t0) / 1000; lat.sort((x, y) => x - y);
  console.log(`${label}: ${Math.round(N / secs)} claims/s, p50 ${lat[lat.length >> 1].toFixed(3)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(3)} ms`);
}
await o.close(); c.disconnect(); s.disconnect(); await r.stop();
