/**
 * 03: publish and subscribe with mqtt.js 5, for MQTT 3.1.1 and 5 over TCP and
 * WebSocket: QoS 0/1/2 both ways, wildcards, $SYS, retained messages, wills, and
 * sessions that outlive their connection (offline messages in publish order, before
 * live ones; bounded).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MATRIX, mqttBroker, payloads, pub, quiet, rawWs, sleep, uniq, connackCode } from '../support/mqtt.js';

const b = mqttBroker(['--mqtt-max-offline-messages', '5', '--mqtt-sys-interval-ms', '200']);

for (const t of MATRIX) {
  const client = (opts: Parameters<typeof b.client>[0] = {}) => b.client({ transport: t.transport, version: t.version, ...opts });

  describe(t.name, () => {
    it('[MQTT-3.3.4-1] QoS 0, 1 and 2 from publisher to subscriber, each at min(published, granted) QoS', async () => {
      const topic = uniq('qos');
      const sub = await client();
      const granted = await sub.mqtt.subscribeAsync([`${topic}/0`, `${topic}/1`, `${topic}/2`].map((x, i) => ({ topic: x, qos: i as 0 | 1 | 2 })).reduce((o, s) => ({ ...o, [s.topic]: { qos: s.qos } }), {}));
      assert.deepEqual(granted.map((g) => g.qos), [0, 1, 2], '[MQTT-3.8.4-5] one code per filter, granted as asked');
      const p = await client();
      for (const q of [0, 1, 2] as const) for (const s of [0, 1, 2]) await pub(p, `${topic}/${s}`, `q${q}s${s}`, { qos: q });
      const got = await sub.waitFor(9);
      const seen = new Map(got.map((r) => [r.payload, r.qos]));
      for (const q of [0, 1, 2]) for (const s of [0, 1, 2]) assert.equal(seen.get(`q${q}s${s}`), Math.min(q, s), `published QoS ${q}, granted ${s}`);
    });

    for (const qos of [1, 2] as const) {
      it(`[MQTT-4.6.0-6] QoS ${qos} messages of one topic arrive in publish order`, async () => {
        // (One QoS per run: mqtt.js hands a QoS 2 message over only after PUBREL, later than a QoS 1 one.)
        const topic = uniq('order');
        const sub = await client();
        await sub.mqtt.subscribeAsync(topic, { qos: 2 });
        const p = await client();
        const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
        await Promise.all(sent.map((m) => pub(p, topic, m, { qos })));
        assert.deepEqual(payloads(await sub.waitFor(50)), sent);
      });
    }

    it('wildcards: [MQTT-4.7.1-2] # matches the level and all below, [MQTT-4.7.1-3] + exactly one level', async () => {
      const root = uniq('wild');
      const hash = await client();
      const plus = await client();
      await hash.mqtt.subscribeAsync(`${root}/#`, { qos: 1 });
      await plus.mqtt.subscribeAsync(`${root}/+/c`, { qos: 1 });
      const p = await client();
      for (const x of [`${root}`, `${root}/b/c`, `${root}/x/c`, `${root}/b/c/d`, `${root}/b`]) await pub(p, x, x, { qos: 1 });
      assert.deepEqual(payloads(await hash.waitFor(5)).sort(), [`${root}`, `${root}/b`, `${root}/b/c`, `${root}/b/c/d`, `${root}/x/c`].sort());
      assert.deepEqual(payloads(await plus.waitFor(2)).sort(), [`${root}/b/c`, `${root}/x/c`].sort());
      await quiet(plus, 100);
    });

    it('[MQTT-4.7.2-1] # and + at the first level do not match $SYS topics; $SYS/# does', async () => {
      const all = await client();
      await all.mqtt.subscribeAsync('#', { qos: 0 });
      const sys = await client();
      await sys.mqtt.subscribeAsync('$SYS/broker/uptime', { qos: 0 });
      const got = await sys.waitFor(1);
      assert.equal(got[0].topic, '$SYS/broker/uptime');
      assert.match(got[0].payload, /^\d+ seconds$/);
      await sleep(300);
      assert.equal(all.received.filter((r) => r.topic.startsWith('$')).length, 0);
    });

    it('[MQTT-3.8.4-3] subscribing again to the same filter replaces the subscription (one copy, new QoS)', async () => {
      const topic = uniq('resub');
      const sub = await client();
      await sub.mqtt.subscribeAsync(topic, { qos: 0 });
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      const p = await client();
      await pub(p, topic, 'once', { qos: 1 });
      const got = await sub.waitFor(1);
      assert.equal(got[0].qos, 1);
      await quiet(sub, 150);
    });

    it('[MQTT-3.10.4-5] UNSUBSCRIBE ends delivery and is acknowledged even for an unknown filter', async () => {
      const topic = uniq('unsub');
      const sub = await client();
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      await sub.mqtt.unsubscribeAsync([topic, `${topic}/never`]);
      const p = await client();
      await pub(p, topic, 'gone', { qos: 1 });
      await quiet(sub, 150);
    });

    it('retained: [MQTT-3.3.1-5] kept, [MQTT-3.3.1-6] sent to a new subscriber with RETAIN 1, live copies with RETAIN 0', async () => {
      const topic = uniq('retain');
      const p = await client();
      await pub(p, topic, 'first', { qos: 1, retain: true });
      await pub(p, topic, 'kept', { qos: 1, retain: true });
      const sub = await client();
      await sub.mqtt.subscribeAsync(`${topic}/#`, { qos: 1 });
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      const got = await sub.waitFor(2);
      assert.deepEqual(got.map((r) => [r.payload, r.retain]), [['kept', true], ['kept', true]]);
      await pub(p, topic, 'live', { qos: 1, retain: true });
      const more = await sub.waitFor(3);
      // One queue per session: a message matching two QoS 1 filters arrives once.
      assert.deepEqual([more[2].payload, more[2].retain], ['live', false], '[MQTT-3.3.1-9] 3.1.1: RETAIN 0 on live delivery');
    });

    it('[MQTT-3.3.1-10] [MQTT-3.3.1-11] an empty retained message clears the topic and is itself not kept', async () => {
      const topic = uniq('clear');
      const p = await client();
      await pub(p, topic, 'x', { qos: 1, retain: true });
      await pub(p, topic, '', { qos: 1, retain: true });
      const sub = await client();
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      await quiet(sub, 150);
    });

    it('will: [MQTT-3.1.2-8] published when the connection drops, [MQTT-3.14.4-3] not after DISCONNECT', async () => {
      const topic = uniq('will');
      const watcher = await client();
      await watcher.mqtt.subscribeAsync(`${topic}/#`, { qos: 1 });
      const dropped = await client({ will: { topic: `${topic}/dropped`, payload: Buffer.from('gone'), qos: 1, retain: false } });
      const polite = await client({ will: { topic: `${topic}/polite`, payload: Buffer.from('never'), qos: 1, retain: false } });
      (dropped.mqtt as unknown as { stream: { destroy(): void } }).stream.destroy();
      await polite.mqtt.endAsync();
      const got = await watcher.waitFor(1);
      assert.deepEqual(got.map((r) => [r.topic, r.payload]), [[`${topic}/dropped`, 'gone']]);
      await quiet(watcher, 200);
    });

    it('[MQTT-3.1.2-4] [MQTT-4.4.0-1] a kept session: messages published while away come back once each, in order, before live ones', async () => {
      const topic = uniq('offline');
      const id = uniq('sess');
      const opts = t.version === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false };
      const sub = await client({ clientId: id, ...opts });
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      await sub.mqtt.endAsync();
      const p = await client();
      for (let i = 1; i <= 4; i++) await pub(p, topic, `away ${i}`, { qos: 1 });
      const back = await client({ clientId: id, ...opts });
      assert.equal(back.connack.sessionPresent, true);
      // A live message right after CONNACK must come after the four that waited.
      await pub(p, topic, 'live', { qos: 1 });
      assert.deepEqual(payloads(await back.waitFor(5)), ['away 1', 'away 2', 'away 3', 'away 4', 'live']);
      await quiet(back, 150);
    });

    it('the offline queue is bounded (mqttMaxOfflineMessages = 5): the oldest are dropped', async () => {
      const topic = uniq('bound');
      const id = uniq('bsess');
      const opts = t.version === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false };
      const sub = await client({ clientId: id, ...opts });
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      await sub.mqtt.endAsync();
      const p = await client();
      for (let i = 1; i <= 8; i++) await pub(p, topic, `m${i}`, { qos: 1 });
      const back = await client({ clientId: id, ...opts });
      assert.deepEqual(payloads(await back.waitFor(5)), ['m4', 'm5', 'm6', 'm7', 'm8']);
      await quiet(back, 150);
    });

    it('[MQTT-3.1.2-6] clean session / clean start discards the kept session', async () => {
      const topic = uniq('discard');
      const id = uniq('dsess');
      const opts = t.version === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false };
      const sub = await client({ clientId: id, ...opts });
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      await sub.mqtt.endAsync();
      const p = await client();
      await pub(p, topic, 'lost', { qos: 1 });
      const fresh = await client({ clientId: id, clean: true });
      assert.equal(fresh.connack.sessionPresent, false);
      await quiet(fresh, 150);
    });
  });
}

describe('in flight across a reconnection (raw 3.1.1 client)', () => {
  it('[MQTT-4.4.0-1] unacknowledged QoS 1 messages are sent again with their packet ids and DUP set, before newer ones', async () => {
    const topic = uniq('inflight');
    const id = uniq('if');
    const first = await b.raw();
    await first.connect({ clientId: id, clean: false });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await first.next('suback');
    const p = await b.client();
    await pub(p, topic, 'one', { qos: 1 });
    await pub(p, topic, 'two', { qos: 1 });
    const got = [await first.next('publish'), await first.next('publish')] as unknown as { messageId: number; payload: Buffer }[];
    first.destroy(); // no PUBACK
    await sleep(50);
    await pub(p, topic, 'three', { qos: 1 });
    const again = await b.raw();
    const ack = await again.connect({ clientId: id, clean: false });
    assert.equal((ack as unknown as { sessionPresent: boolean }).sessionPresent, true);
    const resent = [await again.next('publish'), await again.next('publish'), await again.next('publish')] as unknown as { messageId: number; payload: Buffer; dup: boolean }[];
    assert.deepEqual(resent.map((x) => x.payload.toString()), ['one', 'two', 'three']);
    assert.deepEqual(resent.slice(0, 2).map((x) => [x.messageId, x.dup]), got.map((x) => [x.messageId, true]));
    assert.equal(resent[2].dup, false);
  });

  it('[MQTT-4.3.3-1] [MQTT-4.4.0-1] QoS 2 to a client: PUBREC -> PUBREL -> PUBCOMP; a PUBREL not yet completed is sent again after a reconnection', async () => {
    const topic = uniq('qos2out');
    const id = uniq('q2');
    const first = await b.raw();
    await first.connect({ clientId: id, clean: false });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 2 }] });
    await first.next('suback');
    const p = await b.client();
    await pub(p, topic, 'exactly once', { qos: 2 });
    const m = (await first.next('publish')) as unknown as { messageId: number; qos: number };
    assert.equal(m.qos, 2);
    first.send({ cmd: 'pubrec', messageId: m.messageId });
    const rel = (await first.next('pubrel')) as unknown as { messageId: number };
    assert.equal(rel.messageId, m.messageId);
    first.destroy(); // no PUBCOMP
    await sleep(50);
    const again = await b.raw();
    await again.connect({ clientId: id, clean: false });
    const rel2 = (await again.next('pubrel')) as unknown as { messageId: number };
    assert.equal(rel2.messageId, m.messageId, 'PUBREL again, not the PUBLISH');
    again.send({ cmd: 'pubcomp', messageId: m.messageId });
    await sleep(100);
    assert.equal(again.packets.filter((x) => x.cmd === 'publish').length, 0);
  });
});

describe('WebSocket sub-protocols', () => {
  it('[MQTT-6.0.0-4] the sub-protocol "mqtt" is selected; a client offering none is accepted too (WeChat)', async () => {
    for (const protocols of [['mqtt'], []]) {
      const r = await rawWs(b.broker.mqttWsUrl, protocols);
      assert.equal(connackCode(await r.connect({}, 4)), 0);
      r.destroy();
    }
  });
});
