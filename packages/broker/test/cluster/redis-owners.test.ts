/**
 * Session ownership on a real redis-server (cluster/redis-owners.ts): two brokers as two
 * nodes, one MQTT client id moving from one to the other ([MQTT-3.1.4-2] across nodes).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisOwners } from '../../src/cluster/redis-owners.js';
import { defaultConfig, startBroker, MemoryStore, type RunningBroker, createLogger } from '../../src/index.js';
import { redisMissing, startRedis, type RedisProcess } from '../support/redis-server.js';
import { connackCode, rawTcp, sleep } from '../support/mqtt.js';

const missing = redisMissing();
if (missing !== undefined) console.log(`# skipped: the Redis session ownership tests (${missing})`);

describe('session ownership across two nodes on a real redis-server', { skip: missing }, () => {
  let redis: RedisProcess;
  const conns: Redis[] = [];
  const nodes: { broker: RunningBroker; owners: RedisOwners; port: number }[] = [];

  before(async () => {
    redis = await startRedis();
    for (const tag of ['a', 'b']) {
      const [cmd, sub] = [new Redis(redis.url), new Redis(redis.url)];
      conns.push(cmd, sub);
      const owners = new RedisOwners(cmd, sub, tag, 'test:');
      const config = { ...defaultConfig(), stompPort: -1, httpPort: -1, mqttPort: 0, mqttSysIntervalMs: 0, logLevel: 'silent' as const };
      const broker = await startBroker(config, createLogger(config), { store: new MemoryStore(), owners });
      nodes.push({ broker, owners, port: broker.addresses.find((x) => x.protocol === 'mqtt')!.port });
    }
  });
  after(async () => {
    for (const n of nodes) {
      await n.broker.close();
      await n.owners.close();
    }
    for (const c of conns) c.disconnect();
    await redis.stop();
  });

  it('a client id connecting at node B closes its connection at node A (DISCONNECT 0x8E), and A no longer holds it', async () => {
    const [a, b] = nodes;
    const first = await rawTcp(a.port);
    assert.equal(connackCode(await first.connect({ clientId: 'roam' }, 5)), 0);
    const second = await rawTcp(b.port);
    assert.equal(connackCode(await second.connect({ clientId: 'roam' }, 5)), 0);
    const disconnect = await first.next('disconnect');
    assert.equal((disconnect as { reasonCode?: number }).reasonCode, 0x8e);
    await first.closed;
    const owner = await conns[0].hgetall('test:{s:roam}:owner');
    assert.deepEqual(owner, { gen: '2', node: 'b' });
    assert.equal(a.owners.current('roam', 1), false, 'a node that was taken over is fenced');
    assert.equal(b.owners.current('roam', 2), true);
    second.destroy();
    await sleep(100);
    // Released by the generation that held it: no holder, the generation kept for the next claim.
    assert.deepEqual(await conns[0].hgetall('test:{s:roam}:owner'), { gen: '2' });
    assert.ok((await conns[0].pttl('test:{s:roam}:owner')) > 0, 'an unclaimed id expires');
  });

  it('coming back to node A after B: B closes its connection, generations keep rising', async () => {
    const [a, b] = nodes;
    const atB = await rawTcp(b.port);
    await atB.connect({ clientId: 'back' }, 5);
    const atA = await rawTcp(a.port);
    await atA.connect({ clientId: 'back' }, 5);
    await atB.closed;
    const again = await rawTcp(b.port);
    await again.connect({ clientId: 'back' }, 5);
    await atA.closed;
    assert.deepEqual(await conns[0].hgetall('test:{s:back}:owner'), { gen: '3', node: 'b' });
    again.destroy();
  });
});
