/**
 * 07: what MQTT clients leave with the broker survives a restart and a crash
 * (SIGKILL) of the broker: kept sessions (their subscriptions, the QoS 1/2 messages
 * that waited, what was in flight each way, the offline bound), and retained
 * messages; a session's expiry counts from the restart. mqtt.js 5 for MQTT 3.1.1
 * and 5 over TCP and WebSocket; a raw client where packet ids and DUP matter.
 *
 * Every test starts the broker on the file's data directory itself and crashes it
 * (restartableBroker); a test waits for an acknowledgement that comes after the
 * commit of what it needs before it crashes the broker, since nothing promises
 * more than that.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MATRIX, payloads, pub, quiet, restartableBroker, sleep, uniq, type RawMqtt } from '../support/mqtt.js';

const b = restartableBroker(['--mqtt-max-offline-messages', '6']);

/** Connect options of a kept session (3.1.1: clean session 0; 5: a Session Expiry Interval). */
const kept = (version: 4 | 5, expiry = 300) => (version === 5 ? { clean: false, properties: { sessionExpiryInterval: expiry } } : { clean: false });

for (const t of MATRIX) {
  const client = (opts: Parameters<typeof b.client>[0] = {}) => b.client({ transport: t.transport, version: t.version, ...opts });

  describe(t.name, () => {
    it('[MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-4.6.0-6] a kept session survives a crash: its subscriptions, and what was published while it was away, once each, in publish order, before live messages', async () => {
      const root = uniq('away');
      const id = uniq('keep');
      await b.start();
      let sub = await client({ clientId: id, ...kept(t.version) });
      await sub.mqtt.subscribeAsync({ [`${root}/a`]: { qos: 1 }, [`${root}/b/+`]: { qos: 1 }, [`${root}/gone`]: { qos: 1 } });
      await sub.mqtt.unsubscribeAsync(`${root}/gone`);
      await sub.mqtt.endAsync();
      let p = await client();
      await pub(p, `${root}/a`, 'a1', { qos: 1 });
      await pub(p, `${root}/b/x`, 'b1', { qos: 2 });
      await pub(p, `${root}/gone`, 'unsubscribed before it left', { qos: 1 });
      await pub(p, `${root}/a`, 'a2', { qos: 2 });
      await pub(p, `${root}/b/y`, 'b2', { qos: 1 });
      await b.crash();

      await b.start();
      p = await client();
      await pub(p, `${root}/a`, 'a3', { qos: 1 });
      await pub(p, `${root}/b/z`, 'b3', { qos: 1 });
      sub = await client({ clientId: id, ...kept(t.version) });
      assert.equal(sub.connack.sessionPresent, true, 'the session came back from the store');
      await pub(p, `${root}/a`, 'live', { qos: 1 });
      assert.deepEqual(payloads(await sub.waitFor(7)), ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'live']);
      assert.ok(sub.received.every((r) => r.qos === 1 && !r.dup), 'at the granted QoS, first deliveries');
      await quiet(sub, 200);

      // Every one was acknowledged (and that is committed by now): a restart brings none back,
      // and the session is still there, subscribed.
      await b.crash('SIGTERM');
      await b.start();
      sub = await client({ clientId: id, ...kept(t.version) });
      assert.equal(sub.connack.sessionPresent, true);
      await quiet(sub, 300);
      p = await client();
      await pub(p, `${root}/b/w`, 'after a graceful restart', { qos: 1 });
      assert.deepEqual(payloads(await sub.waitFor(1)), ['after a graceful restart']);
    });

    it('[MQTT-3.3.1-5] [MQTT-3.3.1-6] retained messages survive a crash with their QoS; replaced and cleared ones stay gone' + (t.version === 5 ? '; [MQTT-3.3.2-5] expired ones are not sent' : ''), async () => {
      const root = uniq('ret');
      await b.start();
      const p = await client();
      await pub(p, `${root}/1`, 'old', { qos: 1, retain: true });
      await pub(p, `${root}/2`, 'cleared', { qos: 1, retain: true });
      await pub(p, `${root}/1`, 'new', { qos: 0, retain: true });
      await pub(p, `${root}/2`, '', { qos: 0, retain: true });
      const expiresAt = Date.now() + 1000;
      if (t.version === 5) await pub(p, `${root}/4`, 'expires', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
      // Acknowledged (PUBCOMP) after its commit, so after everything before it: the crash loses nothing.
      await pub(p, `${root}/3`, 'exactly once', { qos: 2, retain: true });
      await b.crash();

      await b.start();
      if (t.version === 5) await sleep(Math.max(0, expiresAt + 200 - Date.now()));
      const s = await client();
      await s.mqtt.subscribeAsync(`${root}/#`, { qos: 2 });
      await s.waitFor(2);
      await quiet(s, 200);
      assert.deepEqual(
        s.received.map((r) => [r.topic, r.payload, r.qos, r.retain]).sort(),
        [
          [`${root}/1`, 'new', 0, true],
          [`${root}/3`, 'exactly once', 2, true],
        ],
      );
    });
  });
}

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

describe('kept sessions across a restart: bound, expiry, clean start', () => {
  it('the offline bound (6 here) holds across a crash: the oldest are dropped, from the store too', async () => {
    const topic = uniq('bound');
    const id = uniq('bsess');
    await b.start();
    let sub = await b.client({ clientId: id, clean: false });
    await sub.mqtt.subscribeAsync(topic, { qos: 1 });
    await sub.mqtt.endAsync();
    let p = await b.client();
    for (let i = 1; i <= 8; i++) await pub(p, topic, `m${i}`, { qos: 1 });
    await b.crash();
    await b.start();
    p = await b.client();
    await pub(p, topic, 'm9', { qos: 1 });
    sub = await b.client({ clientId: id, clean: false });
    assert.deepEqual(payloads(await sub.waitFor(6)), ['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    await quiet(sub, 200);
  });

  it('[MQTT-3.1.2-23] a kept session expires its Session Expiry Interval after the restart, not before; its end is stored; [MQTT-3.1.2-6] a clean start discards a stored session', async () => {
    const topic = uniq('exp');
    const [resumed, expired, discarded] = [uniq('resumed'), uniq('expired'), uniq('discarded')];
    const v5 = (id: string, clean: boolean) => b.client({ version: 5, clientId: id, clean, properties: { sessionExpiryInterval: clean ? 0 : 3 } });
    await b.start();
    for (const id of [resumed, expired, discarded]) {
      const c = await v5(id, false);
      await c.mqtt.subscribeAsync(topic, { qos: 1 });
      await c.mqtt.endAsync();
    }
    const p = await b.client();
    await pub(p, topic, 'waiting', { qos: 1 });
    const clean = await v5(discarded, true);
    assert.equal(clean.connack.sessionPresent, false);
    await clean.mqtt.endAsync();
    await sleep(1500);
    await b.crash();

    await b.start();
    const restarted = Date.now();
    await sleep(1500);
    // 3 s and more since its client left, 1.5 s since the restart: still there.
    const r = await v5(resumed, false);
    assert.equal(r.connack.sessionPresent, true);
    assert.deepEqual(payloads(await r.waitFor(1)), ['waiting']);
    const d = await v5(discarded, false);
    assert.equal(d.connack.sessionPresent, false, 'the clean start discarded it before the crash');
    await quiet(d, 100);
    await d.mqtt.endAsync();
    // 3 s after the restart the other one ends; crash again: its end was stored.
    await sleep(Math.max(0, restarted + 3400 - Date.now()));
    await b.crash();
    await b.start();
    const e = await v5(expired, false);
    assert.equal(e.connack.sessionPresent, false);
    await quiet(e, 200);
  });
});

/** The next `n` PUBLISH packets, in the order they came. */
async function publishes(r: RawMqtt, n: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(await r.next('publish'));
  return out;
}
