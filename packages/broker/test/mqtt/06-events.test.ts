/**
 * 06: events for a program that embeds the broker (mosca's and Aedes' users had
 * them): clientConnected, clientDisconnected, published, subscribed, unsubscribed,
 * from both protocols. In-process: `startBroker` with a memory store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'mqtt';
import { defaultConfig, startBroker, MemoryStore, type RunningBroker, createLogger } from '../../src/index.js';
import type { ConnectedEvent, DisconnectedEvent, PublishedEvent, SubscribedEvent } from '../../src/events.js';
import { open, publish, subscribe } from '../support/messaging.js';
import { sleep } from '../support/mqtt.js';

let broker: RunningBroker;
let mqttPort = 0;
let stompPort = 0;

before(async () => {
  const config = { ...defaultConfig(), stompPort: 0, httpPort: -1, mqttPort: 0, mqttSysIntervalMs: 0, logLevel: 'silent' as const };
  broker = await startBroker(config, createLogger(config), { store: new MemoryStore() });
  mqttPort = broker.addresses.find((a) => a.protocol === 'mqtt')!.port;
  stompPort = broker.addresses.find((a) => a.protocol === 'stomp')!.port;
});
after(() => broker.close());

describe('broker events', () => {
  it('MQTT: connected, subscribed, published, unsubscribed, disconnected, in that order', async () => {
    const seen: string[] = [];
    const on = {
      clientConnected: (e: ConnectedEvent) => seen.push(`connected ${e.client.protocol} ${e.client.clientId}`),
      subscribed: (e: SubscribedEvent) => seen.push(`subscribed ${e.topic} ${e.destination} qos${e.qos}`),
      published: (e: PublishedEvent) => seen.push(`published ${e.topic} ${Buffer.from(e.message.body).toString()} qos${e.qos} ${e.client?.clientId}`),
      unsubscribed: (e: SubscribedEvent) => seen.push(`unsubscribed ${e.topic}`),
      clientDisconnected: (e: DisconnectedEvent) => seen.push(`disconnected ${e.client.clientId} ${e.reason}`),
    };
    for (const [k, f] of Object.entries(on)) broker.events.on(k as never, f as never);
    const c = connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'ev1', reconnectPeriod: 0 });
    await new Promise((r) => c.once('connect', r));
    await c.subscribeAsync('sensors/+/temp', { qos: 1 });
    await c.publishAsync('sensors/k1/temp', '21', { qos: 1 });
    await c.unsubscribeAsync('sensors/+/temp');
    await c.endAsync();
    await sleep(50);
    for (const [k, f] of Object.entries(on)) broker.events.off(k as never, f as never);
    assert.deepEqual(seen, [
      'connected mqtt ev1',
      'subscribed sensors/+/temp /topic/sensors.*.temp qos1',
      'published sensors/k1/temp 21 qos1 ev1',
      'unsubscribed sensors/+/temp',
      'disconnected ev1 disconnect',
    ]);
    assert.equal(broker.events.wants.published, false, 'no listener left: nothing is built for the event');
  });

  it('STOMP emits the same events, with the connection\'s client-id (ActiveMQ\'s header)', async () => {
    const seen: string[] = [];
    const l = (name: string) => (e: { client?: { protocol: string; clientId?: string } }) => seen.push(`${name} ${e.client?.protocol} ${e.client?.clientId}`);
    const names = ['clientConnected', 'subscribed', 'published', 'clientDisconnected'] as const;
    const ls = names.map((n) => [n, l(n)] as const);
    for (const [n, f] of ls) broker.events.on(n, f as never);
    const s = await open(stompPort, { headers: { 'client-id': 'page-7' } });
    await subscribe(s, 'a', '/topic/ev.stomp');
    await publish(s, '/topic/ev.stomp', ['x']);
    s.close();
    await sleep(100);
    for (const [n, f] of ls) broker.events.off(n, f as never);
    assert.deepEqual(seen, ['clientConnected stomp page-7', 'subscribed stomp page-7', 'published stomp page-7', 'clientDisconnected stomp page-7']);
  });

  it('a listener that throws does not break the session', async () => {
    const bad = () => {
      throw new Error('listener bug');
    };
    broker.events.on('published', bad);
    const c = connect(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 });
    await new Promise((r) => c.once('connect', r));
    await c.subscribeAsync('t/throw', { qos: 1 });
    const got = new Promise<string>((r) => c.once('message', (_t, p) => r(p.toString())));
    await c.publishAsync('t/throw', 'still delivered', { qos: 1 });
    assert.equal(await got, 'still delivered');
    broker.events.off('published', bad);
    await c.endAsync();
  });
});
