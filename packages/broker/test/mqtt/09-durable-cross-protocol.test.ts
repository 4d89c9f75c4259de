/**
 * 09: one store for both protocols, across a broker crash (SIGKILL): an MQTT QoS 1
 * publish waits for a STOMP durable subscriber that is away, and a persistent STOMP
 * SEND waits for an MQTT kept session that is offline; each gets what it missed once,
 * in publish order, before live messages. What was sent non-persistent (MQTT QoS 0,
 * STOMP without `persistent:true`) waits in memory only and is gone after the crash.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bodies, hdr, open, publish, quiet as stompQuiet, rt, subscribe, take, type Client as StompClient } from '../support/messaging.js';
import { payloads, pub, quiet, restartableBroker, uniq } from '../support/mqtt.js';

const b = restartableBroker();
const stompClients: StompClient[] = [];
afterEach(() => {
  for (const c of stompClients.splice(0)) c.close();
});

async function stomp(): Promise<StompClient> {
  const c = await open(b.broker.stompPort);
  stompClients.push(c);
  return c;
}

/** DISCONNECT with a receipt: the subscriber is detached before anything is published. */
async function leave(c: StompClient): Promise<void> {
  await rt(c, 'DISCONNECT', {});
  c.close();
}

describe('MQTT -> STOMP durable subscriber, across a crash', () => {
  it('MQTT QoS 1 publishes reach a STOMP durable subscriber that was away across a crash: once each, in order, persistent, before live ones', async () => {
    const root = uniq('m2d');
    const topic = `/topic/${root}.feed`;
    const id = uniq('durable-feed');
    const durable = { durable: 'true', 'auto-delete': 'false', ack: 'client-individual' };
    await b.start();
    let s = await stomp();
    await subscribe(s, id, topic, durable);
    await leave(s);
    let m = await b.client({ version: 5 });
    await pub(m, `${root}/feed`, 'm1', { qos: 1 });
    await pub(m, `${root}/feed`, 'm2', { qos: 2 });
    await pub(m, `${root}/feed`, 'at most once', { qos: 0 });
    await pub(m, `${root}/feed`, 'm3', { qos: 1 });
    await b.crash();

    await b.start();
    m = await b.client({ version: 4, transport: 'ws' });
    await pub(m, `${root}/feed`, 'm4', { qos: 1 });
    await pub(m, `${root}/feed`, 'm5', { qos: 1 });
    s = await stomp();
    await subscribe(s, id, topic, durable);
    const missed = await take(s, 5);
    assert.deepEqual(bodies(missed), ['m1', 'm2', 'm3', 'm4', 'm5']);
    assert.ok(missed.every((f) => hdr(f, 'persistent') === 'true' && hdr(f, 'destination') === topic));
    await pub(m, `${root}/feed`, 'live', { qos: 1 });
    const [live] = await take(s, 1);
    assert.deepEqual(bodies([live]), ['live']);
    for (const f of [...missed, live]) await rt(s, 'ACK', { id: hdr(f, 'ack') as string });
    await stompQuiet(s, 200);
  });
});

describe('STOMP -> MQTT kept session, across a crash', () => {
  for (const version of [4, 5] as const) {
    it(`MQTT ${version === 4 ? '3.1.1' : '5'}: persistent STOMP SENDs reach a kept session that was offline across a crash: once each, in order, at QoS 1, before live ones`, async () => {
      const root = uniq('s2k');
      const id = uniq('cli_sub');
      const opts = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600 } } : { clean: false };
      await b.start();
      let m = await b.client({ version, clientId: id, ...opts });
      await m.mqtt.subscribeAsync(`${root}/y`, { qos: 2 });
      await m.mqtt.endAsync();
      let s = await stomp();
      await publish(s, `/topic/${root}.y`, ['s1', 's2'], { persistent: 'true' });
      await publish(s, `/topic/${root}.y`, ['not persistent']);
      await publish(s, `/topic/${root}.y`, ['s3'], { persistent: 'true' });
      await b.crash();

      await b.start();
      s = await stomp();
      await publish(s, `/topic/${root}.y`, ['s4', 's5'], { persistent: 'true' });
      m = await b.client({ version, clientId: id, ...opts });
      assert.equal(m.connack.sessionPresent, true);
      await publish(s, `/topic/${root}.y`, ['live'], { persistent: 'true' });
      assert.deepEqual(payloads(await m.waitFor(6)), ['s1', 's2', 's3', 's4', 's5', 'live']);
      assert.ok(m.received.every((r) => r.qos === 1 && r.topic === `${root}/y`));
      await quiet(m, 200);
    });
  }
});
