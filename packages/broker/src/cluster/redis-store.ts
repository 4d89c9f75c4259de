/**
 * The message store (store/types.ts) in Redis: persistent messages, the queues that
 * reference them and the state records, kept where every node of a cluster reaches
 * them, checked by the same conformance kit as the LMDB store. Each batch is one Lua
 * script, so it applies whole or not at all, in the order `commit` was called (one
 * connection: Redis runs scripts one after another); what a resolved commit survives is
 * what Redis's persistence promises (AOF `appendfsync` and replicas: docs/cluster.md).
 *
 * Keys, all under one hash tag so that a Redis Cluster keeps them in one slot:
 *   <p>msg        HASH   id -> message record (store/lmdb-format.ts, one per body)
 *   <p>refs       HASH   id -> how many queues reference it
 *   <p>q:<queue>  ZSET   id scored by seq (load order)
 *   <p>d:<queue>  HASH   id -> delivery count
 *   <p>queues     SET    queue names
 *   <p>state      HASH   key -> JSON
 *
 * Batches are sealed at once: a batch is sent when `commit` is called (no amending).
 */
import type { Redis } from 'ioredis';
import { decodeMessage, encodeMessage } from '../store/lmdb-format.js';
import type { MessageStore, RecoveredQueue, StateValue, StoreBatch } from '../store/types.js';

// ARGV: prefix, then five sections, each a count and its fields:
//   messages (id, record), enqueue (queue, id, seq), deliveries (queue, id, count),
//   remove (queue, id), state (key, 1 + json | 0 + '').
// Checked before any write: an enqueue of a message neither in the batch nor stored fails
// the whole batch (a script's writes are not undone by a later error).
const COMMIT = `
local p = ARGV[1]
local i = 2
local function take(n) local t = {} for k = 1, n do t[k] = ARGV[i] i = i + 1 end return t end
local nm = tonumber(ARGV[i]) i = i + 1
local msgs = take(nm * 2)
local ne = tonumber(ARGV[i]) i = i + 1
local enq = take(ne * 3)
local nd = tonumber(ARGV[i]) i = i + 1
local del = take(nd * 3)
local nr = tonumber(ARGV[i]) i = i + 1
local rem = take(nr * 2)
local ns = tonumber(ARGV[i]) i = i + 1
local st = take(ns * 3)
local inBatch = {}
for k = 1, nm * 2, 2 do inBatch[msgs[k]] = true end
for k = 1, ne * 3, 3 do
  local id = enq[k + 1]
  if not inBatch[id] and redis.call('HEXISTS', p .. 'msg', id) == 0 then
    return redis.error_reply('enqueue of unknown message ' .. id)
  end
end
for k = 1, nm * 2, 2 do redis.call('HSETNX', p .. 'msg', msgs[k], msgs[k + 1]) end
for k = 1, ne * 3, 3 do
  local q, id = enq[k], enq[k + 1]
  if redis.call('ZADD', p .. 'q:' .. q, 'NX', enq[k + 2], id) == 1 then
    redis.call('HINCRBY', p .. 'refs', id, 1)
    redis.call('SADD', p .. 'queues', q)
  end
end
for k = 1, nd * 3, 3 do
  local q, id = del[k], del[k + 1]
  if redis.call('ZSCORE', p .. 'q:' .. q, id) then redis.call('HSET', p .. 'd:' .. q, id, del[k + 2]) end
end
local function drop(id)
  redis.call('HDEL', p .. 'refs', id)
  redis.call('HDEL', p .. 'msg', id)
end
for k = 1, nr * 2, 2 do
  local q, id = rem[k], rem[k + 1]
  if redis.call('ZREM', p .. 'q:' .. q, id) == 1 then
    redis.call('HDEL', p .. 'd:' .. q, id)
    if redis.call('HINCRBY', p .. 'refs', id, -1) <= 0 then drop(id) end
    if redis.call('ZCARD', p .. 'q:' .. q) == 0 then
      redis.call('SREM', p .. 'queues', q)
      redis.call('DEL', p .. 'd:' .. q)
    end
  end
end
for k = 1, nm * 2, 2 do
  local id = msgs[k]
  if not redis.call('HGET', p .. 'refs', id) then drop(id) end
end
for k = 1, ns * 3, 3 do
  if st[k + 1] == '1' then redis.call('HSET', p .. 'state', st[k], st[k + 2])
  else redis.call('HDEL', p .. 'state', st[k]) end
end
return nm
`;

export class RedisStore implements MessageStore {
  readonly kind = 'redis';
  readonly durable = true;
  private readonly p: string;

  /** `prefix` names this broker's keys (one store per broker; a cluster's nodes share it). */
  constructor(
    private readonly redis: Redis,
    prefix = 'stompbox',
  ) {
    this.p = `{${prefix}}:`;
  }

  async open(): Promise<void> {
    await this.redis.ping();
  }

  commit(b: StoreBatch): Promise<void> {
    b.sealed = true;
    const args: (string | Buffer | number)[] = [this.p, b.messages.length];
    for (const m of b.messages) args.push(m.id, encodeMessage(m));
    args.push(b.enqueue.length);
    for (const r of b.enqueue) args.push(r.queue, r.id, r.seq);
    args.push(b.deliveries.length);
    for (const d of b.deliveries) args.push(d.queue, d.id, d.count);
    args.push(b.remove.length);
    for (const r of b.remove) args.push(r.queue, r.id);
    args.push(b.state.length);
    for (const c of b.state) args.push(c.key, c.value === null ? '0' : '1', c.value === null ? '' : JSON.stringify(c.value));
    return this.redis.eval(COMMIT, 0, ...args).then(() => undefined);
  }

  async load(): Promise<RecoveredQueue[]> {
    const out: RecoveredQueue[] = [];
    for (const queue of (await this.redis.smembers(this.p + 'queues')).sort()) {
      const flat = await this.redis.zrange(this.p + 'q:' + queue, 0, -1);
      if (flat.length === 0) continue;
      const [records, counts] = await Promise.all([
        this.redis.hmgetBuffer(this.p + 'msg', ...flat),
        this.redis.hmget(this.p + 'd:' + queue, ...flat),
      ]);
      const entries = flat.map((id, k) => {
        const rec = records[k];
        if (rec === null) throw new Error(`queue ${queue} references message ${id}, which is not stored`);
        return { msg: decodeMessage(id, rec), deliveries: Number(counts[k] ?? 0) };
      });
      out.push({ queue, entries });
    }
    return out;
  }

  async loadState(): Promise<Map<string, StateValue>> {
    const all = await this.redis.hgetall(this.p + 'state');
    return new Map(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as StateValue]));
  }

  async messageCount(): Promise<number> {
    return this.redis.hlen(this.p + 'msg');
  }

  async close(): Promise<void> {
    // The connection is the caller's.
  }
}
