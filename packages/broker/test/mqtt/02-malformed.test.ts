/**
 * 02: malformed input and limits, from raw bytes and packets built with mqtt-packet's
 * generator: the right reason code (MQTT 5) and a closed connection, never a crash.
 * The broker must still serve other clients afterwards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'mqtt-packet';
import { closedWithin, connackCode, mqttBroker, pub, sleep, uniq, type RawMqtt } from '../support/mqtt.js';

const b = mqttBroker(['--mqtt-max-packet-size', '2048', '--connect-timeout-ms', '400', '--mqtt-max-inflight', '3', '--mqtt-max-topic-alias', '4']);
const small = mqttBroker(['--max-output-bytes', '65536']);

/** The reason code of the DISCONNECT the broker sent before closing (MQTT 5). */
async function disconnectReason(r: RawMqtt): Promise<number | undefined> {
  const d = await r.next('disconnect');
  await closedWithin(r);
  return (d as { reasonCode?: number }).reasonCode;
}

async function v5(): Promise<RawMqtt> {
  const r = await b.raw();
  assert.equal(connackCode(await r.connect({}, 5)), 0);
  return r;
}

async function v4(): Promise<RawMqtt> {
  const r = await b.raw();
  assert.equal(connackCode(await r.connect({}, 4)), 0);
  return r;
}

describe('malformed packets close the connection', () => {
  it('[MQTT-2.2.2-2] reserved flags of SUBSCRIBE not 0010: 3.1.1 closes', async () => {
    const r = await v4();
    const bad = generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] });
    bad[0] = 0x80; // flags 0000 instead of 0010
    r.write(bad);
    await closedWithin(r);
    assert.equal(r.packets.some((p) => p.cmd === 'suback'), false);
  });

  it('[MQTT-2.2.2-2] MQTT 5: reserved flags get DISCONNECT 0x81 (malformed packet)', async () => {
    const r = await v5();
    const bad = generate({ cmd: 'unsubscribe', messageId: 1, unsubscriptions: ['a'] }, { protocolVersion: 5 });
    bad[0] = 0xa0;
    r.write(bad);
    assert.equal(await disconnectReason(r), 0x81);
  });

  it('[MQTT-3.3.1-4] a PUBLISH with both QoS bits set is malformed', async () => {
    const r = await v5();
    const bad = generate({ cmd: 'publish', topic: 'a', payload: 'x', qos: 0, retain: false, dup: false }, { protocolVersion: 5 });
    bad[0] = 0x36; // QoS 3
    r.write(bad);
    assert.equal(await disconnectReason(r), 0x81);
  });

  it('[MQTT-3.3.1-2] DUP set on a QoS 0 PUBLISH closes the connection', async () => {
    const r = await v4();
    const bad = generate({ cmd: 'publish', topic: 'a', payload: 'x', qos: 0, retain: false, dup: false });
    bad[0] |= 0x08;
    r.write(bad);
    await closedWithin(r);
  });

  it('[MQTT-1.5.5-1] a remaining length of more than 4 bytes is malformed', async () => {
    const r = await v5();
    r.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    assert.equal(await disconnectReason(r), 0x81);
  });

  it('a string longer than its packet is malformed', async () => {
    const r = await v5();
    // PUBLISH, remaining length 4, topic length 200.
    r.write(Buffer.from([0x30, 4, 0, 200, 0x61, 0x62]));
    assert.equal(await disconnectReason(r), 0x81);
  });

  it('[MQTT-3.3.2-2] a wildcard in a PUBLISH topic name: MQTT 5 DISCONNECT 0x90, 3.1.1 closes', async () => {
    const r = await v5();
    r.send({ cmd: 'publish', topic: 'a/+/c', payload: 'x', qos: 0, retain: false, dup: false });
    assert.equal(await disconnectReason(r), 0x90);
    const r4 = await v4();
    r4.send({ cmd: 'publish', topic: 'a/#', payload: 'x', qos: 0, retain: false, dup: false });
    await closedWithin(r4);
  });

  it('[MQTT-4.7.3-2] [MQTT-1.5.3-2] U+0000 in a topic name closes the connection', async () => {
    const r = await v4();
    r.send({ cmd: 'publish', topic: 'a\u0000b', payload: 'x', qos: 0, retain: false, dup: false });
    await closedWithin(r);
  });

  it('[MQTT-2.3.1-1] a QoS 1 PUBLISH with packet identifier 0: MQTT 5 DISCONNECT 0x82', async () => {
    const r = await v5();
    r.write(Buffer.from([0x32, 7, 0, 1, 0x61, 0, 0, 0, 0x78]));
    assert.equal(await disconnectReason(r), 0x82);
  });

  it('a packet only a server sends (CONNACK) from a client is a protocol error (0x82)', async () => {
    const r = await v5();
    r.write(Buffer.from([0x20, 3, 0, 0, 0]));
    assert.equal(await disconnectReason(r), 0x82);
  });

  it('random bytes after CONNECT never crash the broker', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await (i % 2 === 0 ? v4() : v5());
      const junk = Buffer.alloc(64);
      for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(Math.random() * 256);
      r.write(junk);
      r.destroy();
    }
    await sleep(100);
    const c = await b.client({ version: 5 });
    const t = uniq('after-junk');
    await c.mqtt.subscribeAsync(t, { qos: 1 });
    await pub(c, t, 'still here', { qos: 1 });
    assert.equal((await c.waitFor(1))[0].payload, 'still here');
  });
});

describe('limits', () => {
  it('a packet above mqttMaxPacketSize: MQTT 5 DISCONNECT 0x95 (packet too large), without buffering it', async () => {
    const r = await v5();
    // Only the header of a 100 MB PUBLISH is sent: the broker refuses from the length alone.
    r.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x30]));
    assert.equal(await disconnectReason(r), 0x95);
  });

  it('3.1.1: a packet above mqttMaxPacketSize closes the connection', async () => {
    const r = await v4();
    r.send({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(5000), qos: 0, retain: false, dup: false });
    await closedWithin(r);
  });

  it('a CONNECT above the limit is closed without CONNACK (its version is unknown until it is read)', async () => {
    const r = await b.raw();
    r.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'x'.repeat(3000), keepalive: 0 }));
    await closedWithin(r);
    assert.equal(r.packets.length, 0);
  });

  it('[MQTT-3.3.4-7] MQTT 5: a client that exceeds our Receive Maximum is disconnected with 0x93', async () => {
    const r = await v5();
    // QoS 2 publishes whose PUBREL never comes: each holds a slot of the Receive Maximum (3).
    for (let id = 1; id <= 4; id++) r.send({ cmd: 'publish', topic: uniq('rm'), payload: 'x', qos: 2, messageId: id, retain: false, dup: false });
    assert.equal(await disconnectReason(r), 0x93);
    assert.equal(r.packets.filter((p) => p.cmd === 'pubrec').length, 3, 'the three within the limit were acknowledged');
  });

  it('[MQTT-3.3.2-8] MQTT 5: Topic Alias 0 gets DISCONNECT 0x94', async () => {
    const r = await v5();
    r.send({ cmd: 'publish', topic: 'a', payload: 'x', qos: 0, retain: false, dup: false, properties: { topicAlias: 0 } } as never);
    const reason = await disconnectReason(r);
    // mqtt-packet may refuse to encode alias 0; then the packet is still malformed for us.
    assert.ok(reason === 0x94 || reason === 0x81, `reason ${reason}`);
  });

  it('[MQTT-3.3.2-9] MQTT 5: a Topic Alias above our Topic Alias Maximum gets DISCONNECT 0x94', async () => {
    const r = await v5();
    r.send({ cmd: 'publish', topic: 'a', payload: 'x', qos: 0, retain: false, dup: false, properties: { topicAlias: 5 } });
    assert.equal(await disconnectReason(r), 0x94);
  });

  it('MQTT 5: a Topic Alias never set is a protocol error (0x82)', async () => {
    const r = await v5();
    r.send({ cmd: 'publish', topic: '', payload: 'x', qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } });
    assert.equal(await disconnectReason(r), 0x82);
  });

  it('a socket that sends no CONNECT is closed after connectTimeoutMs', async () => {
    const r = await b.raw();
    const t0 = Date.now();
    await closedWithin(r, 3000);
    assert.ok(Date.now() - t0 >= 350, 'not before the deadline');
  });

  it('a CONNECT split into single bytes is put together', async () => {
    const r = await b.raw();
    const bytes = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: uniq('bytes'), keepalive: 0 }, { protocolVersion: 5 });
    r.version = 5;
    for (const byte of bytes) {
      r.write(Buffer.from([byte]));
      await sleep(1);
    }
    assert.equal(connackCode(await r.next('connack')), 0);
  });
});

describe('slow consumers', () => {
  it('a QoS 0 subscriber that stops reading is disconnected once its output passes maxOutputBytes (MQTT 5: 0x97)', async () => {
    const topic = uniq('slow');
    const r = await small.raw();
    await r.connect({}, 5);
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0, nl: false, rap: false, rh: 0 }] });
    await r.next('suback');
    // Stop reading: the kernel's buffers fill, then the broker's bounded output.
    r.socket?.pause();
    const p = await small.client({ version: 4 });
    const chunk = Buffer.alloc(60000, 120);
    for (let i = 0; i < 400 && !r.isClosed(); i++) {
      await pub(p, topic, chunk, { qos: 0 });
      if (i % 20 === 19) await sleep(5);
    }
    r.socket?.resume();
    await closedWithin(r, 5000);
    const d = r.packets.find((x) => x.cmd === 'disconnect') as { reasonCode?: number } | undefined;
    assert.equal(d?.reasonCode, 0x97);
    // The publisher and the broker are fine.
    await pub(p, topic, 'after', { qos: 1 });
  });
});
