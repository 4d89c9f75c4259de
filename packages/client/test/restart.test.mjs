// A broker restart, without recovery: both clients notice, reconnect by themselves
// (backoff with jitter) to the same URL, the subscriber renews its subscription, and
// what the publisher sent while the broker was down (held in its offline queue) is
// delivered once, in order. Topic streams across a restart need the broker's history:
// see recovery-broker.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBroker } from '../../broker/dist/test/support/spawn-broker.js';
import { Client } from '../dist/src/node.js';
import { LOGIN, PASSCODE, inbox, unique } from './support/env.mjs';

let dataDir;
let broker;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stompbox-client-restart-'));
  broker = await spawnBroker(['--users', `${LOGIN}:${PASSCODE}`, '--data-dir', dataDir]);
});
const clients = [];
after(async () => {
  for (const c of clients) await c.disconnect().catch(() => undefined);
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('after a broker restart the clients reconnect, the subscription is renewed, and sends made meanwhile arrive in order', { timeout: 30000 }, async () => {
  const opts = { login: LOGIN, passcode: PASSCODE, reconnect: { initialDelay: 100, maxDelay: 400 } };
  for (const url of [broker.wsUrl, `tcp://127.0.0.1:${broker.stompPort}`]) {
    const sub = new Client({ url, ...opts });
    const pub = new Client({ url, ...opts });
    clients.push(sub, pub);
    const events = [];
    sub.on('connected', (e) => events.push(e.reconnected));
    await Promise.all([sub.connect(), pub.connect()]);
    const q = `/queue/${unique('restart')}`;
    const box = inbox();
    await sub.subscribe(q, box.push).ready;
    const ports = ['--stomp-port', String(broker.stompPort), '--http-port', String(broker.httpPort)];
    await broker.stop();
    const sends = [1, 2, 3, 4, 5].map((i) => pub.publish(q, `while down ${i}`, { headers: { persistent: 'true' } }));
    await new Promise((r) => setTimeout(r, 300));
    assert.notEqual(pub.status, 'connected');
    assert.equal(pub.pending, 5);
    broker = await spawnBroker(['--users', `${LOGIN}:${PASSCODE}`, '--data-dir', dataDir, ...ports]);
    await Promise.all(sends);
    assert.deepEqual((await box.take(5, 8000)).map((m) => m.body), [1, 2, 3, 4, 5].map((i) => `while down ${i}`));
    await box.none(200);
    assert.deepEqual(events, [false, true]);
    await Promise.all([sub.disconnect(), pub.disconnect()]);
  }
});
