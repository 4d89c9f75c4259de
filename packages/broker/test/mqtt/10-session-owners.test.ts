/**
 * 10: session ownership (core/ownership.ts) as a cluster engine would answer it: claims
 * that come back later, and claims that fail. In-process broker, raw MQTT clients.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'mqtt-packet';
import { defaultConfig, startBroker, MemoryStore, type RunningBroker, createLogger } from '../../src/index.js';
import { LocalOwners, type SessionOwners } from '../../src/core/ownership.js';
import { connackCode, rawTcp, sleep } from '../support/mqtt.js';

/** LocalOwners whose claims answer after `delayMs`, or fail for ids starting with `fail-`. */
class SlowOwners implements SessionOwners {
  readonly local = new LocalOwners();
  readonly released: string[] = [];
  delayMs = 40;
  claim(clientId: string): Promise<number> {
    return new Promise((resolve, reject) =>
      setTimeout(() => (clientId.startsWith('fail-') ? reject(new Error('store unreachable')) : resolve(this.local.claim(clientId))), this.delayMs));
  }
  current(clientId: string, generation: number): boolean {
    return this.local.current(clientId, generation);
  }
  release(clientId: string, generation: number): void {
    this.released.push(`${clientId}@${generation}`);
    this.local.release(clientId, generation);
  }
}

const owners = new SlowOwners();
let broker: RunningBroker;
let port = 0;

before(async () => {
  const config = { ...defaultConfig(), stompPort: -1, httpPort: -1, mqttPort: 0, mqttSysIntervalMs: 0, logLevel: 'silent' as const };
  broker = await startBroker(config, createLogger(config), { store: new MemoryStore(), owners });
  port = broker.addresses.find((a) => a.protocol === 'mqtt')!.port;
});
after(() => broker.close());

const connect = (clientId: string, v: 4 | 5) => generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: v, clean: true, clientId, keepalive: 0 } as never, { protocolVersion: v });

describe('session ownership: a claim that answers later', () => {
  it('what a client sends behind its CONNECT waits for the claim and is handled in order after CONNACK', async () => {
    const c = await rawTcp(port);
    // CONNECT, SUBSCRIBE, PUBLISH (to itself) and PINGREQ in one write, before any answer.
    c.write(Buffer.concat([
      connect('pipelined', 4),
      generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'own/t', qos: 0 }] } as never),
      generate({ cmd: 'publish', topic: 'own/t', payload: Buffer.from('to myself'), qos: 0, retain: false, dup: false } as never),
      generate({ cmd: 'pingreq' } as never),
    ]));
    assert.equal(connackCode(await c.next('connack')), 0);
    await c.next('suback');
    const m = await c.next('publish');
    assert.equal(Buffer.from((m as { payload: Buffer }).payload).toString(), 'to myself');
    await c.next('pingresp');
    assert.deepEqual(c.packets.map((p) => p.cmd), [], 'nothing else, nothing out of order');
    c.destroy();
  });

  it('a claim that fails refuses the client: CONNACK Server Unavailable (3 in 3.1.1, 0x88 in 5), nothing handled', async () => {
    for (const v of [4, 5] as const) {
      const c = await rawTcp(port);
      c.version = v;
      c.write(Buffer.concat([connect(`fail-${v}`, v), generate({ cmd: 'pingreq' } as never)]));
      assert.equal(connackCode(await c.next('connack')), v === 5 ? 0x88 : 3);
      await c.closed;
      assert.equal(c.packets.length, 0, 'no PINGRESP: what waited behind the CONNECT was dropped with it');
    }
  });

  it('a client that leaves before its claim answers: the claim is released, nothing is kept', async () => {
    const c = await rawTcp(port);
    c.write(connect('gone-early', 4));
    await sleep(5);
    c.destroy();
    await sleep(owners.delayMs + 40);
    assert.ok(owners.released.some((r) => r.startsWith('gone-early@')), `released: ${owners.released.join(', ')}`);
  });

  it('a session that ends releases its own generation; a takeover raises it', async () => {
    const a = await rawTcp(port);
    a.write(connect('twice', 4));
    await a.next('connack');
    const b = await rawTcp(port);
    b.write(connect('twice', 4));
    await b.next('connack');
    await a.closed; // taken over ([MQTT-3.1.4-2])
    b.destroy();
    await sleep(50);
    const mine = owners.released.filter((r) => r.startsWith('twice@')).map((r) => Number(r.split('@')[1]));
    // Clean sessions: the first ended at the takeover, the second with its connection.
    assert.equal(mine.length, 2, `released: ${owners.released.join(', ')}`);
    assert.ok(mine[1] > mine[0], 'the new holder\'s generation is higher: a stale holder is fenced');
    assert.equal(owners.local.current('twice', mine[mine.length - 1]), false, 'released: no longer held');
  });
});
