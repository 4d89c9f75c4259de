/** Node liveness on a real redis-server (cluster/redis-members.ts), beats every 100 ms, dead after 1 s (generous: a survivor starved on a loaded machine must not declare the living dead). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisMembers } from '../../src/cluster/redis-members.js';
import { redisMissing, startRedis, type RedisProcess } from '../support/redis-server.js';

const missing = redisMissing();
if (missing !== undefined) console.log(`# skipped: the Redis liveness tests (${missing})`);

async function until(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('node liveness on a real redis-server', { skip: missing }, () => {
  let redis: RedisProcess;
  const conns: Redis[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const c of conns) c.disconnect();
    await redis.stop();
  });
  const member = (dead: string[], expelled: string[] = [], prefix = 'live:') => {
    const c = new Redis(redis.url);
    conns.push(c);
    const m: RedisMembers = new RedisMembers(c, { prefix, beatMs: 100, deadAfterMs: 1000, onDead: (t) => dead.push(`${m.tag} saw ${t}`), onExpelled: () => expelled.push(m.tag) });
    return m;
  };

  it('tags are unique; a node that stops beating is taken charge of once, by one survivor; one that leaves is not', async () => {
    const dead: string[] = [];
    const [a, b, c, d] = [member(dead), member(dead), member(dead), member(dead)];
    const tags = [await a.join(), await b.join(), await c.join(), await d.join()];
    assert.equal(new Set(tags).size, 4);
    assert.deepEqual((await a.alive()).sort(), [...tags].sort());
    c.halt(); // dies
    await d.leave(); // leaves cleanly
    await until(() => dead.length > 0, 3000);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(dead.length, 1, `once in the cluster: ${dead.join(', ')}`);
    assert.match(dead[0], new RegExp(` saw ${c.tag}$`));
    assert.deepEqual((await a.alive()).sort(), [a.tag, b.tag].sort());
    await a.leave();
    await b.leave();
  });

  it('a node paused past the limit is expelled when it beats again, not let back', async () => {
    const dead: string[] = [];
    const expelled: string[] = [];
    const [a, b] = [member(dead, expelled, 'pause:'), member(dead, expelled, 'pause:')];
    await a.join();
    await b.join();
    b.halt(); // as SIGSTOP: no beats
    await until(() => dead.length === 1, 3000);
    await b.beat(true); // SIGCONT: its next beat
    assert.deepEqual(expelled, [b.tag]);
    assert.deepEqual(await a.alive(), [a.tag]);
    await a.leave();
  });
});
