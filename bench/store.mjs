#!/usr/bin/env node
// Micro-benchmark of a message store, compiled: the LMDB store (packages/broker/src/store/lmdb.ts)
// or the Redis one (packages/broker/src/cluster/redis-store.ts, on a private redis-server
// with AOF, appendfsync always or everysec):
//
//   npx tsc -b packages/broker && node bench/store.mjs [--store lmdb|redis] [--fsync always|everysec] [--seconds N] [--dir DIR]
//
// Each row runs on a fresh store in a temp dir (or under --dir, to measure another
// disk; for Redis, a fresh key prefix): batches of 1, 10 or 100 new messages (100-byte bodies) enqueued to one
// queue, either each commit awaited before the next (one in flight) or 64 commits
// in flight (the store groups those of one turn into one LMDB transaction, one fsync).
// LMDB: every commit is durable when it resolves (sync on, see the comment in lmdb.ts).
// Redis: as durable as its appendfsync says (always: fsync'd before the reply).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { LmdbStore } from '../packages/broker/dist/src/store/lmdb.js';
import { RedisStore } from '../packages/broker/dist/src/cluster/redis-store.js';
import { startRedis } from '../packages/broker/dist/test/support/redis-server.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, dir: { type: 'string' }, store: { type: 'string', default: 'lmdb' }, fsync: { type: 'string', default: 'always' } } });
const useRedis = args.store === 'redis';
const redis = useRedis ? await startRedis(['--appendonly', 'yes', '--appendfsync', args.fsync]) : undefined;
const conn = redis === undefined ? undefined : new Redis(redis.url);
let prefixes = 0;
const seconds = Number(args.seconds);
const body = Buffer.alloc(100, 0x61);

let seq = 0;
function makeBatch(size) {
  const messages = [];
  for (let i = 0; i < size; i++) {
    seq++;
    messages.push({ id: `m${seq}`, seq, destination: '/queue/bench', headers: ['content-type', 'text/plain'], body, expires: 0, timestamp: Date.now() });
  }
  return { messages, enqueue: messages.map((m) => ({ queue: '/queue/bench', id: m.id, seq: m.seq })), remove: [], deliveries: [], state: [] };
}

async function run(batchSize, inFlight) {
  const path = useRedis ? undefined : mkdtempSync(join(args.dir ?? tmpdir(), 'stompbox-bench-lmdb-'));
  const store = useRedis ? new RedisStore(conn, `bench${++prefixes}`) : new LmdbStore({ path });
  await store.open();
  const latencies = [];
  let commits = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await store.commit(makeBatch(batchSize));
      latencies.push(performance.now() - t);
      commits++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const stored = await store.messageCount();
  await store.close();
  if (path !== undefined) rmSync(path, { recursive: true, force: true });
  if (stored !== commits * batchSize) throw new Error(`stored ${stored} messages, committed ${commits * batchSize}`);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2);
  return { batchSize, inFlight, commits: commits / elapsed, messages: (commits * batchSize) / elapsed, p50: pct(0.5), p99: pct(0.99) };
}

const rows = [];
for (const inFlight of [1, 64]) for (const size of [1, 10, 100]) rows.push(await run(size, inFlight));

const fmt = (n) => Math.round(n).toLocaleString('en-US');
conn?.disconnect();
await redis?.stop();
const what = useRedis ? `Redis store (redis-server, AOF appendfsync ${args.fsync})` : 'LMDB store, sync on';
console.log(`${what}, ${seconds} s per row, 100-byte bodies (node ${process.version})\n`);
console.log('| in flight | batch | commits/s | messages/s | commit p50 ms | commit p99 ms |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.inFlight} | ${r.batchSize} | ${fmt(r.commits)} | ${fmt(r.messages)} | ${r.p50} | ${r.p99} |`);
