/**
 * 07: what MQTT clients leave with the broker survives a restart and a crash
 * (SIGKILL) of the broker: kept sessions (their subscriptions, the QoS 1/2 messages
 * that waited, the offline bound), and retained messages; a session's expiry counts
 * from the restart. mqtt.js 5 for MQTT 3.1.1 and 5 over TCP and WebSocket. (What
 * was in flight: 08; across protocols: 09.)
 *
 * Every test starts the broker on the file's data directory itself and crashes it
 * (restartableBroker); a test waits for an acknowledgement that comes after the
 * commit of what it needs before it crashes the broker, since nothing promises
 * more than that.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MATRIX, payloads, pub, quiet, restartableBroker, sleep, uniq } from '../support/mqtt.js';

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
