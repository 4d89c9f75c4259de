/**
 * 05: one routing core for STOMP and MQTT (docs/mqtt.md): MQTT `a/b/c` is STOMP
 * `/topic/a.b.c`, `$queue/q` is `/queue/q`; QoS 1 is `persistent`; user headers and
 * properties cross where both sides carry them; a kept MQTT session collects what
 * STOMP sends while it is away.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader } from '@stompbox/stomp-codec';
import { body, bodies, hdr, open, publish, rt, send, subscribe, take, type Client as StompClient } from '../support/messaging.js';
import { mqttBroker, payloads, pub, sleep, uniq } from '../support/mqtt.js';

const b = mqttBroker();
const stomp = async (): Promise<StompClient> => open(b.broker.stompPort);

describe('MQTT -> STOMP', () => {
  it('an MQTT QoS 1 publish to a/b/c reaches a STOMP subscriber of /topic/a.b.c as persistent, with its properties as headers', async () => {
    const root = uniq('m2s');
    const s = await stomp();
    await subscribe(s, 'x', `/topic/${root}.b.c`);
    const m = await b.client({ version: 5 });
    await pub(m, `${root}/b/c`, 'hello stomp', { qos: 1, properties: { contentType: 'text/plain', userProperties: { colour: 'blue' }, responseTopic: `${root}/reply` } });
    const [f] = await take(s, 1);
    assert.equal(body(f), 'hello stomp');
    assert.equal(hdr(f, 'destination'), `/topic/${root}.b.c`);
    assert.equal(hdr(f, 'persistent'), 'true');
    assert.equal(hdr(f, 'content-type'), 'text/plain');
    assert.equal(hdr(f, 'colour'), 'blue');
    assert.equal(hdr(f, 'reply-to'), `/topic/${root}.reply`, 'the response topic as a destination STOMP can SEND to');
  });

  it('STOMP wildcards match MQTT topics: /topic/<root>.*.temp and /topic/<root>.#', async () => {
    const root = uniq('wild');
    const s = await stomp();
    await subscribe(s, 'star', `/topic/${root}.*.temp`);
    await subscribe(s, 'hash', `/topic/${root}.#`);
    const m = await b.client({ version: 4 });
    await pub(m, `${root}/k1/temp`, '21', { qos: 0 });
    await pub(m, `${root}/k1/hum`, '40', { qos: 0 });
    const got = await take(s, 3);
    assert.deepEqual(got.map((f) => `${hdr(f, 'subscription')} ${body(f)}`).sort(), ['hash 21', 'hash 40', 'star 21']);
  });

  it('MQTT $queue/<name> is the STOMP queue /queue/<name> (competing consumers, acked)', async () => {
    const q = uniq('jobs');
    const s = await stomp();
    await subscribe(s, 'w', `/queue/${q}`, { ack: 'client-individual' });
    const m = await b.client({ version: 4 });
    await pub(m, `$queue/${q}`, 'job 1', { qos: 1 });
    const [f] = await take(s, 1);
    assert.equal(body(f), 'job 1');
    send(s, 'ACK', { id: getHeader(f.headers, 'ack') as string });
  });
});

describe('STOMP -> MQTT', () => {
  for (const version of [4, 5] as const) {
    it(`MQTT ${version === 4 ? '3.1.1' : '5'}: a persistent STOMP SEND to /topic/x.y reaches an MQTT QoS 1 subscriber of x/y at QoS 1`, async () => {
      const root = uniq('s2m');
      const m = await b.client({ version });
      await m.mqtt.subscribeAsync(`${root}/y`, { qos: 1 });
      const s = await stomp();
      await publish(s, `/topic/${root}.y`, ['from stomp'], { persistent: 'true', 'x-trace': 't-1', 'content-type': 'text/plain' });
      const [r] = await m.waitFor(1);
      assert.equal(r.topic, `${root}/y`);
      assert.equal(r.payload, 'from stomp');
      assert.equal(r.qos, 1);
      if (version === 5) {
        const p = r.properties as { userProperties?: Record<string, string>; contentType?: string };
        assert.equal(p.userProperties?.['x-trace'], 't-1');
        assert.equal(p.contentType, 'text/plain');
      }
    });
  }

  it('a non-persistent STOMP SEND arrives at QoS 0', async () => {
    const root = uniq('s2m0');
    const m = await b.client({ version: 4 });
    await m.mqtt.subscribeAsync(root, { qos: 1 });
    const s = await stomp();
    await publish(s, `/topic/${root}`, ['plain']);
    assert.equal((await m.waitFor(1))[0].qos, 0);
  });

  it('a STOMP SEND to /queue/<name> reaches an MQTT subscriber of $queue/<name>', async () => {
    const q = uniq('work');
    const m = await b.client({ version: 5 });
    await m.mqtt.subscribeAsync(`$queue/${q}`, { qos: 1 });
    const s = await stomp();
    await publish(s, `/queue/${q}`, ['w1', 'w2'], { persistent: 'true' });
    const got = await m.waitFor(2);
    assert.deepEqual(got.map((r) => `${r.topic} ${r.payload}`), [`$queue/${q} w1`, `$queue/${q} w2`]);
  });

  it('a kept MQTT session collects persistent STOMP messages while away, and gets them in order before live ones', async () => {
    const root = uniq('away');
    const id = uniq('cli_sub');
    const m = await b.client({ version: 4, clientId: id, clean: false });
    await m.mqtt.subscribeAsync(root, { qos: 1 });
    await m.mqtt.endAsync();
    const s = await stomp();
    await publish(s, `/topic/${root}`, ['s1', 's2', 's3'], { persistent: 'true' });
    const back = await b.client({ version: 4, clientId: id, clean: false });
    await publish(s, `/topic/${root}`, ['live'], { persistent: 'true' });
    assert.deepEqual(payloads(await back.waitFor(4)), ['s1', 's2', 's3', 'live']);
  });

  it('request/response across protocols: STOMP reply-to a temp queue, answered by an MQTT 5 responder', async () => {
    const svc = uniq('svc');
    const responder = await b.client({ version: 5 });
    await responder.mqtt.subscribeAsync(`${svc}/req`, { qos: 1 });
    responder.mqtt.on('message', (_t, payload, packet) => {
      const rt2 = packet.properties?.responseTopic;
      if (rt2 !== undefined) responder.mqtt.publish(rt2, `re: ${payload.toString()}`, { qos: 1, properties: { correlationData: packet.properties?.correlationData } });
    });
    const s = await stomp();
    await rt(s, 'SEND', { destination: `/topic/${svc}.req`, 'reply-to': '/temp-queue/answers', 'correlation-id': 'c-7' }, 'question');
    const [f] = await take(s, 1);
    assert.equal(body(f), 're: question');
    assert.equal(hdr(f, 'correlation-id'), 'c-7');
  });
});

describe('mixed fan-out', () => {
  it('one publish reaches STOMP (TCP) and MQTT (TCP, WebSocket) subscribers alike', async () => {
    const root = uniq('fan');
    const s1 = await stomp();
    await subscribe(s1, 'a', `/topic/${root}`);
    const m4 = await b.client({ version: 4, transport: 'ws' });
    await m4.mqtt.subscribeAsync(root, { qos: 0 });
    const m5 = await b.client({ version: 5 });
    await m5.mqtt.subscribeAsync(root, { qos: 0 });
    await sleep(20);
    const p = await b.client({ version: 4 });
    for (const x of ['1', '2', '3']) await pub(p, root, x, { qos: 0 });
    assert.deepEqual(bodies(await take(s1, 3)), ['1', '2', '3']);
    assert.deepEqual(payloads(await m4.waitFor(3)), ['1', '2', '3']);
    assert.deepEqual(payloads(await m5.waitFor(3)), ['1', '2', '3']);
  });
});
