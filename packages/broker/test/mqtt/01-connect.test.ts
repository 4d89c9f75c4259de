/**
 * 01: connecting (MQTT 3.1.1 §3.1-3.2, MQTT 5 §3.1-3.2) and the refusals, black box
 * against the started CLI. Raw packets built with mqtt-packet's generator (or by
 * hand) for what a well-behaved client never sends; mqtt.js 5 for the rest.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedWithin, connackCode, MATRIX, mqttBroker, sleep, uniq } from '../support/mqtt.js';

const b = mqttBroker(['--mqtt-max-packet-size', '4096', '--mqtt-max-keep-alive', '60']);
const secured = mqttBroker(['--users', 'alice:secret']);

describe('CONNECT rules', () => {
  it('[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection', async () => {
    const r = await b.raw();
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] });
    await closedWithin(r);
    assert.equal(r.packets.length, 0, 'nothing is answered');
  });

  it('[MQTT-3.1.0-2] a second CONNECT is a protocol violation: the connection is closed', async () => {
    const r = await b.raw();
    assert.equal(connackCode(await r.connect()), 0);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: uniq('x'), keepalive: 0 });
    await closedWithin(r);
  });

  it('[MQTT-3.1.0-2] MQTT 5: a second CONNECT gets DISCONNECT 0x82 (protocol error) before the close', async () => {
    const r = await b.raw();
    await r.connect({}, 5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: uniq('x'), keepalive: 0 }, 5);
    const d = await r.next('disconnect');
    assert.equal((d as { reasonCode?: number }).reasonCode, 0x82);
    await closedWithin(r);
  });

  it('[MQTT-3.1.2-1] a wrong protocol name closes the connection without CONNACK', async () => {
    const r = await b.raw();
    // CONNECT, protocol name "MQTX", level 4, clean, keep-alive 0, client id "x".
    r.write(Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x58, 4, 0x02, 0, 0, 0, 1, 0x78]));
    await closedWithin(r);
    assert.deepEqual(r.packets.map((p) => p.cmd), []);
  });

  it('[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 0x01 (3.1.1), then the close', async () => {
    const r = await b.raw();
    r.write(Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 6, 0x02, 0, 0, 0, 1, 0x78]));
    const ack = await r.next('connack');
    assert.equal(connackCode(ack), 1);
    await closedWithin(r);
  });

  it('[MQTT-3.1.2-3] the reserved CONNECT flag set closes the connection', async () => {
    const r = await b.raw();
    r.write(Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x03, 0, 0, 0, 1, 0x78]));
    await closedWithin(r);
    assert.equal(r.packets.filter((p) => p.cmd === 'connack' && connackCode(p) === 0).length, 0);
  });

  it('[MQTT-3.1.3-8] an empty client id with clean session 0 is refused with return code 2', async () => {
    const r = await b.raw();
    // By hand: mqtt-packet's generator refuses to build this CONNECT (flags 0: clean session 0).
    r.write(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 0, 0, 0]));
    const ack = await r.next('connack');
    assert.equal(connackCode(ack), 2);
    assert.equal((ack as { sessionPresent: boolean }).sessionPresent, false, '[MQTT-3.2.2-4] session present 0 on a refusal');
    await closedWithin(r);
  });

  it('[MQTT-3.1.3-6] an empty client id with clean session 1 is accepted (the server assigns one)', async () => {
    const r = await b.raw();
    assert.equal(connackCode(await r.connect({ clientId: '', clean: true })), 0);
  });

  it('[MQTT-3.2.2-16] MQTT 5: an empty client id gets an Assigned Client Identifier', async () => {
    const r = await b.raw();
    const ack = await r.connect({ clientId: '', clean: true }, 5);
    assert.equal(connackCode(ack), 0);
    const id = (ack as { properties?: { assignedClientIdentifier?: string } }).properties?.assignedClientIdentifier;
    assert.match(id ?? '', /^auto-/);
  });

  it('[MQTT-3.2.2-1] clean session 1 answers session present 0, [MQTT-3.2.2-2] a kept session answers 1', async () => {
    const id = uniq('sp');
    const a = await b.client({ clientId: id, clean: false });
    assert.equal(a.connack.sessionPresent, false);
    a.mqtt.end(true);
    await sleep(50);
    const again = await b.client({ clientId: id, clean: false });
    assert.equal(again.connack.sessionPresent, true);
    again.mqtt.end(true);
    await sleep(50);
    const clean = await b.client({ clientId: id, clean: true });
    assert.equal(clean.connack.sessionPresent, false);
  });

  it('[MQTT-3.1.2-22] 3.1.1: a password without a user name closes the connection', async () => {
    const r = await b.raw();
    // Flags 0x42: password + clean; payload client id "x", password "p".
    r.write(Buffer.from([0x10, 16, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x42, 0, 0, 0, 1, 0x78, 0, 1, 0x70]));
    await closedWithin(r);
  });

  it('MQTT 5: an Authentication Method is refused with 0x8C (bad authentication method)', async () => {
    const r = await b.raw();
    const ack = await r.connect({ properties: { authenticationMethod: 'SCRAM-SHA-1' } }, 5);
    assert.equal(connackCode(ack), 0x8c);
    await closedWithin(r);
  });

  it('MQTT 3.1 (MQIsdp, level 3) is accepted', async () => {
    const r = await b.raw();
    assert.equal(connackCode(await r.connect({}, 3)), 0);
  });
});

describe('logins', () => {
  it('3.1.1: a wrong password gets return code 4, then the close', async () => {
    const r = await secured.raw();
    const ack = await r.connect({ username: 'alice', password: Buffer.from('nope') });
    assert.equal(connackCode(ack), 4);
    await closedWithin(r);
  });

  it('MQTT 5: a wrong password gets 0x86 with a reason string', async () => {
    const r = await secured.raw();
    const ack = await r.connect({ username: 'alice', password: Buffer.from('nope') }, 5);
    assert.equal(connackCode(ack), 0x86);
    assert.match(String((ack as { properties?: { reasonString?: string } }).properties?.reasonString), /alice/);
    await closedWithin(r);
  });

  it('the right login is accepted (mqtt.js, both versions)', async () => {
    for (const version of [4, 5] as const) {
      const c = await secured.client({ version, username: 'alice', password: 'secret' });
      assert.equal(c.connack.returnCode ?? c.connack.reasonCode, 0);
    }
  });
});

describe('session takeover', () => {
  for (const t of MATRIX) {
    it(`[MQTT-3.1.4-2] ${t.name}: a second connection with the same client id closes the first`, async () => {
      const id = uniq('takeover');
      const first = await b.client({ transport: t.transport, version: t.version, clientId: id });
      const closed = new Promise<void>((r) => first.mqtt.once('close', () => r()));
      const disconnect = new Promise<number | undefined>((r) => first.mqtt.once('disconnect', (p) => r(p.reasonCode)));
      await b.client({ transport: t.transport, version: t.version, clientId: id });
      await closed;
      if (t.version === 5) assert.equal(await disconnect, 0x8e, '[MQTT-3.1.4-3] MQTT 5: DISCONNECT 0x8E session taken over');
    });
  }
});

describe('keep-alive', () => {
  it('[MQTT-3.1.2-24] 3.1.1: a client silent for 1.5 x its keep-alive is disconnected', async () => {
    const r = await b.raw();
    await r.connect({ keepalive: 1 });
    const t0 = Date.now();
    await closedWithin(r, 4000);
    const took = Date.now() - t0;
    assert.ok(took >= 1400 && took <= 3200, `closed after ${took} ms (expected 1.5 s to 2.5 s)`);
  });

  it('[MQTT-3.12.4-1] PINGREQ is answered with PINGRESP and keeps the connection alive', async () => {
    const r = await b.raw();
    await r.connect({ keepalive: 1 });
    for (let i = 0; i < 4; i++) {
      await sleep(600);
      r.send({ cmd: 'pingreq' });
      await r.next('pingresp');
    }
    assert.equal(r.isClosed(), false);
  });

  it('[MQTT-3.2.2-21] MQTT 5: keep-alive 0 (or above the limit) gets Server Keep Alive from the broker', async () => {
    const r = await b.raw();
    const ack = await r.connect({ keepalive: 0 }, 5);
    assert.equal((ack as { properties?: { serverKeepAlive?: number } }).properties?.serverKeepAlive, 60);
    const c = await b.client({ version: 5, keepalive: 600 });
    assert.equal((c.connack.properties as { serverKeepAlive?: number }).serverKeepAlive, 60);
  });
});

describe('CONNACK of MQTT 5 says what the broker offers', () => {
  it('Receive Maximum, Maximum Packet Size, Topic Alias Maximum, and the features', async () => {
    const c = await b.client({ version: 5 });
    const p = c.connack.properties as Record<string, unknown>;
    assert.equal(p.receiveMaximum, 100);
    assert.equal(p.maximumPacketSize, 4096);
    assert.equal(p.topicAliasMaximum, 64);
    assert.equal(p.sharedSubscriptionAvailable, true);
    assert.equal(p.subscriptionIdentifiersAvailable, true);
    assert.equal(p.wildcardSubscriptionAvailable, true);
    assert.equal(p.retainAvailable, true);
  });
});
