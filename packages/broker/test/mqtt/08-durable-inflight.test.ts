/**
 * 08: what was in flight when the broker crashed (SIGKILL) comes back with the kept
 * session ([MQTT-4.4.0-1]): QoS 1/2 messages sent and not acknowledged, again with
 * their packet ids and DUP set, PUBREL for QoS 2 ones already received; and a QoS 2
 * PUBLISH the client sends again with an id not yet released is not routed twice.
 * A raw client, where packet ids and DUP can be seen; MQTT 3.1.1 over TCP and 5 over
 * WebSocket.
 *
 * Every test starts the broker on the file's data directory itself and crashes it
 * (restartableBroker).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { payloads, pub, quiet, restartableBroker, sleep, uniq, type RawMqtt } from '../support/mqtt.js';

const b = restartableBroker();

describe('in flight when the broker crashed (raw client)', () => {
  for (const [transport, version] of [['tcp', 4], ['ws', 5]] as const) {
    const props = version === 5 ? { properties: { sessionExpiryInterval: 600 } } : {};
    const name = `MQTT ${version === 5 ? '5' : '3.1.1'} over ${transport === 'tcp' ? 'TCP' : 'WebSocket'}`;

    it(`[MQTT-4.4.0-1] ${name}: QoS 1 messages sent and not acknowledged come again after the crash with their packet ids and DUP, before the rest`, async () => {
      const topic = uniq('inflight');
      const id = uniq('if');
      await b.start();
      const first = await b.raw(transport);
      await first.connect({ clientId: id, clean: false, ...props }, version);
      first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
      await first.next('suback');
      const p = await b.client();
      // One acknowledged first, so the packet ids in flight are not the ones a new session would start with.
      await pub(p, topic, 'zero', { qos: 1 });
      first.send({ cmd: 'puback', messageId: ((await first.next('publish')) as unknown as { messageId: number }).messageId });
      await pub(p, topic, 'one', { qos: 1 });
      await pub(p, topic, 'two', { qos: 1 });
      const got = [await first.next('publish'), await first.next('publish')] as unknown as { messageId: number; dup: boolean }[];
      assert.ok(got.every((x) => x.messageId > 1));
      assert.deepEqual(got.map((x) => x.dup), [false, false]);
      // The in-flight record goes into the batch of the turn that sent them; let it land.
      await sleep(100);
      await b.crash();

      await b.start();
      const p2 = await b.client();
      await pub(p2, topic, 'three', { qos: 1 });
      const again = await b.raw(transport);
      const ack = (await again.connect({ clientId: id, clean: false, ...props }, version)) as unknown as { sessionPresent: boolean };
      assert.equal(ack.sessionPresent, true);
      const resent = (await publishes(again, 3)) as unknown as { messageId: number; payload: Buffer; dup: boolean }[];
      assert.deepEqual(resent.map((x) => x.payload.toString()), ['one', 'two', 'three']);
      assert.deepEqual(resent.slice(0, 2).map((x) => [x.messageId, x.dup]), got.map((x) => [x.messageId, true]), 'same packet ids, DUP set');
      assert.equal(resent[2].dup, false);
      for (const x of resent) again.send({ cmd: 'puback', messageId: x.messageId });
    });
  }

  it('[MQTT-4.3.3-1] [MQTT-4.4.0-1] QoS 2 to a client: after the crash an unanswered PUBLISH comes again with DUP, and a PUBREL not yet completed comes again as PUBREL', async () => {
    const topic = uniq('qos2out');
    const id = uniq('q2');
    await b.start();
    const first = await b.raw();
    await first.connect({ clientId: id, clean: false });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 2 }] });
    await first.next('suback');
    const p = await b.client();
    await pub(p, topic, 'x1', { qos: 2 });
    await pub(p, topic, 'x2', { qos: 2 });
    const [m1, m2] = (await publishes(first, 2)) as unknown as { messageId: number; qos: number }[];
    assert.equal(m1.qos, 2);
    first.send({ cmd: 'pubrec', messageId: m1.messageId });
    await first.next('pubrel');
    await sleep(100);
    await b.crash();

    await b.start();
    const again = await b.raw();
    await again.connect({ clientId: id, clean: false });
    const rel = (await again.next('pubrel')) as unknown as { messageId: number };
    assert.equal(rel.messageId, m1.messageId, 'x1: PUBREL again, not the PUBLISH');
    const x2 = (await again.next('publish')) as unknown as { messageId: number; payload: Buffer; dup: boolean; qos: number };
    assert.deepEqual([x2.payload.toString(), x2.messageId, x2.dup, x2.qos], ['x2', m2.messageId, true, 2]);
    again.send({ cmd: 'pubcomp', messageId: m1.messageId });
    again.send({ cmd: 'pubrec', messageId: x2.messageId });
    await again.next('pubrel');
    again.send({ cmd: 'pubcomp', messageId: x2.messageId });
    await sleep(150);
    assert.equal(again.packets.filter((x) => x.cmd === 'publish').length, 0, 'x1 was never sent again');
  });

  it('[MQTT-4.3.3-9] a QoS 2 PUBLISH re-sent after a crash, its packet id not yet released, is not routed again; once PUBCOMP came, the id is free across a crash too', async () => {
    const topic = uniq('in2');
    const publisher = uniq('pub2');
    const watcher = uniq('watch');
    await b.start();
    const w = await b.client({ clientId: watcher, clean: false });
    await w.mqtt.subscribeAsync(topic, { qos: 1 });
    await w.mqtt.endAsync();
    const p = await b.raw();
    await p.connect({ clientId: publisher, clean: false });
    p.send({ cmd: 'publish', topic, payload: 'once', qos: 2, messageId: 7 });
    await p.next('pubrec');
    await b.crash();

    await b.start();
    const p2 = await b.raw();
    await p2.connect({ clientId: publisher, clean: false });
    // As a client does that never saw the PUBREC: the same PUBLISH again, DUP set.
    p2.send({ cmd: 'publish', topic, payload: 'once', qos: 2, messageId: 7, dup: true });
    await p2.next('pubrec');
    p2.send({ cmd: 'pubrel', messageId: 7 });
    await p2.next('pubcomp');
    await b.crash();

    await b.start();
    const p3 = await b.raw();
    await p3.connect({ clientId: publisher, clean: false });
    p3.send({ cmd: 'publish', topic, payload: 'second', qos: 2, messageId: 7 });
    await p3.next('pubrec');
    p3.send({ cmd: 'pubrel', messageId: 7 });
    await p3.next('pubcomp');
    const back = await b.client({ clientId: watcher, clean: false });
    assert.deepEqual(payloads(await back.waitFor(2)), ['once', 'second']);
    await quiet(back, 200);
  });
});

/** The next `n` PUBLISH packets, in the order they came. */
async function publishes(r: RawMqtt, n: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(await r.next('publish'));
  return out;
}
