/**
 * The fan-out bus on a real redis-server (cluster/redis-bus.ts): two routers as two
 * nodes, each with its own pair of Redis connections, as two broker processes would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { RedisBus } from '../../src/cluster/redis-bus.js';
import { decodeBatch, encodeBatch } from '../../src/cluster/bus-frame.js';
import { Router } from '../../src/core/router.js';
import { MemoryStore } from '../../src/store/memory.js';
import { redisMissing, startRedis, type RedisProcess } from '../support/redis-server.js';
import { FakeTarget, makeSub, msg, text } from '../core/fake-target.js';

const missing = redisMissing();
if (missing !== undefined) console.log(`# skipped: the Redis bus tests (${missing})`);

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the bus frame', () => {
  it('round-trips id, destination, headers, body, persistence, expiry and time', () => {
    const m = msg('/topic/a.b', 'héllo', { headers: ['k', 'v:1', 'ü', ''], persistent: true, expires: 12345 });
    const { tag, messages } = decodeBatch(encodeBatch('n7', [m, msg('/response/1/2', '')]));
    assert.equal(tag, 'n7');
    const [d, e] = messages;
    assert.deepEqual([d.id, d.destination, d.headers, text(d), d.persistent, d.expires, d.timestamp], [m.id, m.destination, m.headers, 'héllo', true, 12345, m.timestamp]);
    assert.equal(e.destination, '/response/1/2');
    assert.notEqual(d.seq, m.seq, 'a place in the receiving node\'s own sequence');
  });

  it('bytes that are not a batch are refused, never half read', () => {
    const good = encodeBatch('n1', [msg('/topic/x', 'body')]);
    assert.throws(() => decodeBatch(good.subarray(0, good.length - 2)), /truncated/);
    assert.throws(() => decodeBatch(Buffer.concat([good, Buffer.from([0])])), /past its 1 messages/);
  });

  it('any bytes: a batch or an Error, never another exception (a node on the channel cannot crash the others)', () => {
    const good = encodeBatch('n1', [msg('/topic/x', 'body', { headers: ['a', 'b'] })]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(good.length), (noise, at) => {
      for (const bytes of [Buffer.from(noise), Buffer.concat([good.subarray(0, at), Buffer.from(noise)])]) {
        try {
          decodeBatch(bytes);
        } catch (err) {
          if (!(err instanceof Error) || !/^bus batch/.test(err.message)) throw err;
        }
      }
    }), { numRuns: 2000, seed: 7 });
  });
});

describe('RedisBus on a real redis-server', { skip: missing }, () => {
  let redis: RedisProcess;
  const conns: Redis[] = [];
  const buses: RedisBus[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const b of buses) await b.close();
    for (const c of conns) c.disconnect();
    await redis.stop();
  });

  async function node(tag: string, channel: string): Promise<{ router: Router; bus: RedisBus }> {
    const [pub, sub] = [new Redis(redis.url), new Redis(redis.url)];
    conns.push(pub, sub);
    await Promise.all([pub, sub].map((c) => new Promise((r) => c.once('ready', r))));
    const bus = new RedisBus(pub, sub, channel, tag);
    buses.push(bus);
    const store = new MemoryStore();
    await store.open();
    const router = new Router({ store, maxDeliveries: 0, deadLetterQueue: '/queue/dlq', bus });
    await bus.start((m) => router.receive(m));
    return { router, bus };
  }

  it('a topic message published at one node reaches the other node\'s subscribers once, in order, in one PUBLISH per turn', async () => {
    const [a, b] = [await node('a', 'bus:1'), await node('b', 'bus:1')];
    const [ta, tb] = [new FakeTarget(), new FakeTarget()];
    a.router.subscribe(makeSub(ta, '/topic/t.*'));
    b.router.subscribe(makeSub(tb, '/topic/t.*'));
    const bodies = Array.from({ length: 500 }, (_, i) => String(i));
    for (const x of bodies) a.router.publish(msg('/topic/t.x', x, { headers: ['n', x] }));
    await until(() => tb.bodies().length === 500);
    assert.deepEqual(tb.bodies(), bodies);
    assert.deepEqual(ta.bodies(), bodies, 'the publishing node\'s own subscribers, once (its batch is skipped)');
    assert.equal(a.bus.stats.sent, 1, 'one turn, one PUBLISH');
    assert.equal(b.bus.stats.received, 1);
    b.router.publish(msg('/topic/t.y', 'back'));
    await until(() => ta.bodies().length === 501);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(tb.bodies().slice(500), ['back']);
  });

  it('while Redis cannot be reached, batches are dropped and counted, not queued without end', async () => {
    const a = await node('c', 'bus:2');
    const pub = conns[conns.length - 2];
    pub.disconnect();
    a.router.publish(msg('/topic/z', 'lost'));
    await a.bus.flush();
    assert.equal(a.bus.stats.dropped, 1);
  });
});
