/**
 * 04: what MQTT 5 adds (MQTT 5 §3.1-3.3, §4.8): properties carried unaltered,
 * message expiry, topic aliases, flow control, the client's maximum packet size,
 * session expiry, will delay, subscription options and identifiers, shared
 * subscriptions, request/response, reason strings. mqtt.js 5 over TCP and WebSocket.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mqttBroker, payloads, pub, quiet, sleep, uniq, type TransportName } from '../support/mqtt.js';

const b = mqttBroker(['--mqtt-max-inflight', '10']);

for (const transport of ['tcp', 'ws'] as TransportName[]) {
  const client = (opts: Parameters<typeof b.client>[0] = {}) => b.client({ transport, version: 5, ...opts });

  describe(`MQTT 5 over ${transport === 'tcp' ? 'TCP' : 'WebSocket'}`, () => {
    it('[MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-20] [MQTT-3.3.2-4] properties reach the subscriber unaltered', async () => {
      const topic = uniq('props');
      const sub = await client();
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      const p = await client();
      const properties = {
        userProperties: { a: '1', b: ['2', '3'], 'héllo': 'wörld' },
        contentType: 'application/json',
        responseTopic: `${topic}/reply`,
        correlationData: Buffer.from([0, 1, 2, 255]),
        payloadFormatIndicator: true,
      };
      await pub(p, topic, '{"x":1}', { qos: 1, properties });
      const [m] = await sub.waitFor(1);
      const got = m.properties as typeof properties;
      assert.deepEqual({ ...got.userProperties }, properties.userProperties); // (mqtt-packet makes a prototype-less object)
      assert.equal(got.contentType, 'application/json');
      assert.equal(got.responseTopic, `${topic}/reply`);
      assert.deepEqual(Buffer.from(got.correlationData), properties.correlationData);
      assert.equal(got.payloadFormatIndicator, true);
    });

    it('request/response: a responder answers on the Response Topic with the Correlation Data', async () => {
      const service = uniq('svc');
      const responder = await client();
      await responder.mqtt.subscribeAsync(`${service}/req`, { qos: 1 });
      responder.mqtt.on('message', (_t, payload, packet) => {
        const pr = packet.properties ?? {};
        if (pr.responseTopic !== undefined) {
          responder.mqtt.publish(pr.responseTopic, `echo ${payload.toString()}`, { qos: 1, properties: { correlationData: pr.correlationData } });
        }
      });
      const requester = await client();
      await requester.mqtt.subscribeAsync(`${service}/resp/me`, { qos: 1 });
      await pub(requester, `${service}/req`, 'ping', { qos: 1, properties: { responseTopic: `${service}/resp/me`, correlationData: Buffer.from('c-42') } });
      const [r] = await requester.waitFor(1);
      assert.equal(r.payload, 'echo ping');
      assert.equal(Buffer.from((r.properties as { correlationData: Buffer }).correlationData).toString(), 'c-42');
    });

    it('[MQTT-3.3.2-5] an expired message is not delivered, [MQTT-3.3.2-6] the rest of the interval is sent on', async () => {
      const topic = uniq('expiry');
      const id = uniq('exp');
      const sub = await client({ clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      await sub.mqtt.endAsync();
      const p = await client();
      await pub(p, topic, 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await pub(p, topic, 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
      await sleep(1200);
      const back = await client({ clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
      const [m] = await back.waitFor(1);
      assert.equal(m.payload, 'long');
      const left = (m.properties as { messageExpiryInterval: number }).messageExpiryInterval;
      assert.ok(left >= 98 && left <= 100, `remaining interval ${left}`);
      await quiet(back, 100);
    });

    it('topic aliases set by the client are resolved ([MQTT-3.3.2-10])', async () => {
      const topic = uniq('alias');
      const sub = await client();
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      const r = await b.raw(transport);
      await r.connect({}, 5);
      r.send({ cmd: 'publish', topic, payload: 'one', qos: 1, messageId: 1, retain: false, dup: false, properties: { topicAlias: 3 } });
      r.send({ cmd: 'publish', topic: '', payload: 'two', qos: 1, messageId: 2, retain: false, dup: false, properties: { topicAlias: 3 } });
      await r.next('puback');
      await r.next('puback');
      assert.deepEqual(payloads(await sub.waitFor(2)), ['one', 'two']);
    });

    it("[MQTT-3.3.4-9] the broker sends no more unacknowledged QoS 1 messages than the client's Receive Maximum", async () => {
      const topic = uniq('flow');
      const r = await b.raw(transport);
      await r.connect({ properties: { receiveMaximum: 2 } }, 5);
      r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
      await r.next('suback');
      const p = await client();
      for (let i = 0; i < 6; i++) await pub(p, topic, `m${i}`, { qos: 1 });
      await sleep(150);
      const first = r.packets.filter((x) => x.cmd === 'publish');
      assert.equal(first.length, 2, 'two in flight, the rest wait');
      for (const x of first) r.send({ cmd: 'puback', messageId: x.messageId });
      r.packets.length = 0;
      await sleep(150);
      assert.equal(r.packets.filter((x) => x.cmd === 'publish').length, 2, 'acks make room for two more');
    });

    it("[MQTT-3.1.2-24] [MQTT-3.1.2-25] a message above the client's Maximum Packet Size is not sent (and not held)", async () => {
      const topic = uniq('maxsize');
      const sub = await client({ properties: { maximumPacketSize: 200 } });
      await sub.mqtt.subscribeAsync(topic, { qos: 1 });
      const p = await client();
      await pub(p, topic, 'x'.repeat(500), { qos: 1 });
      await pub(p, topic, 'small', { qos: 1 });
      assert.deepEqual(payloads(await sub.waitFor(1)), ['small']);
      await quiet(sub, 100);
    });

    it('[MQTT-3.3.4-3] subscription identifiers come back with the messages they matched', async () => {
      const topic = uniq('subid');
      const sub = await client();
      await sub.mqtt.subscribeAsync(`${topic}/+`, { qos: 1, properties: { subscriptionIdentifier: 7 } });
      await sub.mqtt.subscribeAsync(`${topic}/x`, { qos: 0, properties: { subscriptionIdentifier: 9 } });
      const p = await client();
      await pub(p, `${topic}/x`, 'both', { qos: 1 });
      const got = await sub.waitFor(2);
      const ids = got.map((m) => (m.properties as { subscriptionIdentifier?: number | number[] }).subscriptionIdentifier).flat().sort();
      assert.deepEqual(ids, [7, 9]);
    });

    it('[MQTT-3.8.3-3] No Local: a client does not get its own messages back', async () => {
      const topic = uniq('nolocal');
      const c = await client();
      await c.mqtt.subscribeAsync(topic, { qos: 1, nl: true });
      const other = await client();
      await pub(c, topic, 'mine', { qos: 1 });
      await pub(other, topic, 'theirs', { qos: 1 });
      assert.deepEqual(payloads(await c.waitFor(1)), ['theirs']);
      await quiet(c, 100);
    });

    it('[MQTT-3.3.1-12] [MQTT-3.3.1-13] Retain As Published keeps RETAIN on live messages; without it RETAIN is 0', async () => {
      const topic = uniq('rap');
      const rap = await client();
      await rap.mqtt.subscribeAsync(topic, { qos: 1, rap: true });
      const plain = await client();
      await plain.mqtt.subscribeAsync(topic, { qos: 1 });
      const p = await client();
      await pub(p, topic, 'r', { qos: 1, retain: true });
      assert.equal((await rap.waitFor(1))[0].retain, true);
      assert.equal((await plain.waitFor(1))[0].retain, false);
    });

    it('[MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling 0 always, 1 only for a new subscription, 2 never', async () => {
      const topic = uniq('rh');
      const p = await client();
      await pub(p, topic, 'kept', { qos: 1, retain: true });
      const c = await client();
      await c.mqtt.subscribeAsync(topic, { qos: 1, rh: 1 });
      await c.waitFor(1);
      await c.mqtt.subscribeAsync(topic, { qos: 1, rh: 1 });
      await quiet(c, 100);
      await c.mqtt.subscribeAsync(topic, { qos: 1, rh: 0 });
      await c.waitFor(2);
      const never = await client();
      await never.mqtt.subscribeAsync(topic, { qos: 1, rh: 2 });
      await quiet(never, 100);
    });

    it('shared subscriptions: each message goes to one member of the group, round robin', async () => {
      const topic = uniq('shared');
      const group = uniq('g');
      const members = [await client(), await client(), await client()];
      for (const m of members) await m.mqtt.subscribeAsync(`$share/${group}/${topic}`, { qos: 1 });
      const solo = await client();
      await solo.mqtt.subscribeAsync(topic, { qos: 1 });
      const p = await client();
      for (let i = 0; i < 9; i++) await pub(p, topic, `m${i}`, { qos: 1 });
      await solo.waitFor(9);
      await sleep(100);
      const counts = members.map((m) => m.received.length);
      assert.equal(counts.reduce((a, x) => a + x, 0), 9, `each once: ${counts}`);
      assert.ok(counts.every((n) => n === 3), `round robin: ${counts}`);
      assert.ok(members.every((m) => m.received.every((r) => r.topic === topic)), 'the topic is the one published');
    });

    it('shared subscription: what a member leaves unacknowledged goes to another member', async () => {
      const topic = uniq('sharedack');
      const group = uniq('g');
      const r = await b.raw(transport);
      await r.connect({ properties: { receiveMaximum: 5 } }, 5);
      r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `$share/${group}/${topic}`, qos: 1 }] });
      await r.next('suback');
      const p = await client();
      await pub(p, topic, 'to-raw', { qos: 1 });
      await r.next('publish');
      const other = await client();
      await other.mqtt.subscribeAsync(`$share/${group}/${topic}`, { qos: 1 });
      r.destroy(); // never acked
      assert.deepEqual(payloads(await other.waitFor(1)), ['to-raw']);
    });

    it('[MQTT-3.8.3-4] No Local on a shared subscription is a protocol error (DISCONNECT 0x82)', async () => {
      const r = await b.raw(transport);
      await r.connect({}, 5);
      r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `$share/g/${uniq('t')}`, qos: 1, nl: true, rap: false, rh: 0 }] });
      const d = await r.next('disconnect');
      assert.equal((d as { reasonCode?: number }).reasonCode, 0x82);
    });

    it('an invalid filter is refused in its SUBACK slot with 0x8F and a reason string; the others are granted', async () => {
      const r = await b.raw(transport);
      await r.connect({}, 5);
      r.send({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'a/#/b', qos: 1, nl: false, rap: false, rh: 0 }, { topic: uniq('ok'), qos: 2, nl: false, rap: false, rh: 0 }] });
      const ack = (await r.next('suback')) as unknown as { granted: number[]; messageId: number; properties?: { reasonString?: string } };
      assert.equal(ack.messageId, 9, '[MQTT-3.8.4-2] same packet identifier');
      assert.deepEqual(ack.granted, [0x8f, 2]);
      assert.match(String(ack.properties?.reasonString), /MQTT-4.7.1-2/);
    });

    it('[MQTT-3.1.2-23] session expiry: a session is kept for its interval, then ends', async () => {
      const topic = uniq('sexp');
      const id = uniq('se');
      const c = await client({ clientId: id, clean: false, properties: { sessionExpiryInterval: 1 } });
      await c.mqtt.subscribeAsync(topic, { qos: 1 });
      await c.mqtt.endAsync();
      const quick = await client({ clientId: id, clean: false, properties: { sessionExpiryInterval: 1 } });
      assert.equal(quick.connack.sessionPresent, true);
      await quick.mqtt.endAsync();
      await sleep(1300);
      const late = await client({ clientId: id, clean: false, properties: { sessionExpiryInterval: 1 } });
      assert.equal(late.connack.sessionPresent, false);
    });

    it('[MQTT-3.1.3-9] will delay: a client back within the delay cancels the will; otherwise it is sent after it', async () => {
      const topic = uniq('wdelay');
      const watcher = await client();
      await watcher.mqtt.subscribeAsync(`${topic}/#`, { qos: 1 });
      const id = uniq('wd');
      const opts = { clientId: id, clean: false, properties: { sessionExpiryInterval: 30 } };
      const a = await client({ ...opts, will: { topic: `${topic}/a`, payload: Buffer.from('a'), qos: 1, retain: false, properties: { willDelayInterval: 1 } } });
      (a.mqtt as unknown as { stream: { destroy(): void } }).stream.destroy();
      await sleep(200);
      await client(opts);
      const bWill = await client({ will: { topic: `${topic}/b`, payload: Buffer.from('b'), qos: 1, retain: false, properties: { willDelayInterval: 1 } }, properties: { sessionExpiryInterval: 30 } });
      (bWill.mqtt as unknown as { stream: { destroy(): void } }).stream.destroy();
      await sleep(400);
      assert.equal(watcher.received.length, 0, 'not before the delay');
      assert.deepEqual((await watcher.waitFor(1, 2500)).map((r) => r.topic), [`${topic}/b`]);
      await quiet(watcher, 300);
    });

    it('DISCONNECT with reason 0x04 asks for the will to be sent', async () => {
      const topic = uniq('w04');
      const watcher = await client();
      await watcher.mqtt.subscribeAsync(topic, { qos: 1 });
      const r = await b.raw(transport);
      await r.connect({ will: { topic, payload: Buffer.from('bye'), qos: 1, retain: false } }, 5);
      r.send({ cmd: 'disconnect', reasonCode: 0x04 });
      assert.deepEqual(payloads(await watcher.waitFor(1)), ['bye']);
    });

    it('publishing to $SYS is refused with PUBACK 0x87 and a reason string', async () => {
      const r = await b.raw(transport);
      await r.connect({}, 5);
      r.send({ cmd: 'publish', topic: '$SYS/broker/uptime', payload: 'fake', qos: 1, messageId: 5, retain: false, dup: false });
      const ack = (await r.next('puback')) as unknown as { reasonCode: number; properties?: { reasonString?: string } };
      assert.equal(ack.reasonCode, 0x87);
      assert.match(String(ack.properties?.reasonString), /\$SYS/);
    });

    it('a QoS 2 PUBLISH re-sent before PUBREL is not routed twice ([MQTT-4.3.3-10])', async () => {
      const topic = uniq('dup2');
      const sub = await client();
      await sub.mqtt.subscribeAsync(topic, { qos: 2 });
      const r = await b.raw(transport);
      await r.connect({}, 5);
      const pk = { cmd: 'publish', topic, payload: 'once', qos: 2, messageId: 11, retain: false, dup: false } as const;
      r.send(pk);
      await r.next('pubrec');
      r.send({ ...pk, dup: true });
      await r.next('pubrec');
      r.send({ cmd: 'pubrel', messageId: 11 });
      await r.next('pubcomp');
      assert.deepEqual(payloads(await sub.waitFor(1)), ['once']);
      await quiet(sub, 150);
    });
  });
}
