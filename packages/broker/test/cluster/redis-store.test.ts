/** The store conformance kit (test/store/conformance.ts) against the Redis store, on a real redis-server. */
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/cluster/redis-store.js';
import { runStoreConformance } from '../store/conformance.js';
import { redisMissing, startRedis, type RedisProcess } from '../support/redis-server.js';

const missing = redisMissing();
if (missing !== undefined) console.log(`# skipped: the Redis store conformance (${missing})`);
else {
  let redis: RedisProcess;
  let conn: Redis;
  let n = 0;
  const prefixes = new WeakMap<RedisStore, string>();
  before(async () => {
    redis = await startRedis();
    conn = new Redis(redis.url);
  });
  after(async () => {
    conn.disconnect();
    await redis.stop();
  });
  const make = (prefix: string) => {
    const s = new RedisStore(conn, prefix);
    prefixes.set(s, prefix);
    return s;
  };
  // A fresh prefix is a fresh, empty store; reopening is a new store over the same keys.
  runStoreConformance('redis', async () => make(`conf${++n}`), async (closed) => make(prefixes.get(closed as RedisStore) as string));
}
