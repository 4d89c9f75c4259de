/**
 * The SDK's side of recovery (docs/recovery.md) against a fake broker that keeps the
 * contract: positions are tracked from MESSAGE headers, every re-SUBSCRIBE asks to
 * resume after the last one, the replay is delivered once and in order, duplicates
 * are dropped, and an `unavailable` RECEIPT becomes a gap event with its reason.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, tcp, type GapEvent, type Message } from '../src/node.js';
import { FakeBroker } from './support/fake-broker.js';

let fake: FakeBroker;
const clients: Client[] = [];

before(async () => {
  fake = new FakeBroker();
  await fake.start();
});
after(() => fake.stop());
afterEach(async () => {
  for (const c of clients.splice(0)) await c.disconnect().catch(() => undefined);
});

function client(): Client {
  const c = new Client({ url: `tcp://127.0.0.1:${fake.port}`, transport: tcp(), reconnect: { initialDelay: 20, maxDelay: 50 }, heartbeat: { outgoing: 0, incoming: 0 } });
  clients.push(c);
  return c;
}

async function until(pred: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const subscribes = (dest: string) => fake.frames.filter((f) => f.command === 'SUBSCRIBE' && f.headers.includes(dest));
const resumeOf = (f: { headers: string[] }) => {
  const i = f.headers.indexOf('stompbox-resume');
  return i === -1 ? undefined : f.headers[i + 1];
};

test('after a drop the SDK resumes after the last position: what was missed arrives once, in order, then live', async () => {
  const dest = '/topic/resume-1';
  const c = client();
  await c.connect();
  const got: Message[] = [];
  const gaps: GapEvent[] = [];
  c.on('gap', (g) => gaps.push(g));
  const sub = c.subscribe(dest, (m) => got.push(m));
  await sub.ready;
  assert.equal(resumeOf(subscribes(dest)[0]), undefined, 'a first SUBSCRIBE asks for no resume');
  for (const b of ['a', 'b', 'c']) fake.publish(dest, b);
  await until(() => got.length === 3, 'three live messages');
  assert.deepEqual(sub.position, { epoch: 'e1', position: 3 });
  fake.dropAll();
  fake.publish(dest, 'd (missed)');
  fake.publish(dest, 'e (missed)');
  await until(() => c.connected && subscribes(dest).length === 2 && got.length === 5, 'the replay');
  assert.equal(resumeOf(subscribes(dest)[1]), 'e1:3');
  fake.publish(dest, 'f (live)');
  await until(() => got.length === 6, 'the live message');
  assert.deepEqual(got.map((m) => m.body), ['a', 'b', 'c', 'd (missed)', 'e (missed)', 'f (live)']);
  assert.deepEqual(got.map((m) => m.position), [1, 2, 3, 4, 5, 6]);
  assert.equal(got[3].epoch, 'e1');
  assert.deepEqual(gaps, []);
});

test('messages replayed twice (position not past the last one seen) are delivered once', async () => {
  const dest = '/topic/resume-dup';
  const c = client();
  await c.connect();
  const got: string[] = [];
  await c.subscribe(dest, (m) => got.push(m.body)).ready;
  for (const b of ['1', '2', '3']) fake.publish(dest, b);
  await until(() => got.length === 3, 'three messages');
  fake.replayFrom = 0; // a broker that replays everything
  try {
    fake.dropAll();
    fake.publish(dest, '4');
    await until(() => got.length >= 4 && subscribes(dest).length === 2, 'the replay');
    await sleep(50);
  } finally {
    fake.replayFrom = undefined;
  }
  assert.deepEqual(got, ['1', '2', '3', '4']);
});

test('an epoch change is a gap (epoch-changed): onGap and the gap event, live messages go on, the next resume uses the new epoch', async () => {
  const dest = '/topic/resume-epoch';
  const c = client();
  await c.connect();
  const got: string[] = [];
  const gaps: GapEvent[] = [];
  const events: GapEvent[] = [];
  c.on('gap', (g) => events.push(g));
  const sub = c.subscribe(dest, (m) => got.push(m.body), { onGap: (g) => gaps.push(g) });
  await sub.ready;
  fake.publish(dest, 'old 1');
  fake.publish(dest, 'old 2');
  await until(() => got.length === 2, 'two messages');
  fake.dropAll();
  fake.newEpoch('e2');
  fake.publish(dest, 'lost in the new epoch');
  await until(() => gaps.length === 1, 'the gap');
  assert.deepEqual(gaps[0], {
    subscription: sub.id,
    destination: dest,
    reason: 'epoch-changed',
    from: { epoch: 'e1', position: 2 },
    to: { epoch: 'e2', position: 1 },
  });
  assert.deepEqual(events, gaps);
  fake.publish(dest, 'new live');
  await until(() => got.length === 3, 'a live message after the gap');
  assert.equal(got[2], 'new live');
  fake.dropAll();
  await until(() => subscribes(dest).length === 3, 'the next re-SUBSCRIBE');
  assert.equal(resumeOf(subscribes(dest)[2]), 'e2:2');
});

test('history shorter than the gap (history-too-short) is reported; the subscription runs live', async () => {
  const dest = '/topic/resume-short';
  const c = client();
  await c.connect();
  const got: string[] = [];
  const gaps: GapEvent[] = [];
  await c.subscribe(dest, (m) => got.push(m.body), { onGap: (g) => gaps.push(g) }).ready;
  fake.publish(dest, 'seen');
  await until(() => got.length === 1, 'one message');
  fake.dropAll();
  for (let i = 0; i < 5; i++) fake.publish(dest, `missed ${i}`);
  fake.trim(dest, 2);
  await until(() => gaps.length === 1 && c.connected, 'the gap');
  assert.equal(gaps[0].reason, 'history-too-short');
  assert.deepEqual(gaps[0].from, { epoch: fake.epoch, position: 1 });
  assert.deepEqual(gaps[0].to, { epoch: fake.epoch, position: 6 });
  fake.publish(dest, 'live');
  await until(() => got.length === 2, 'live');
  assert.deepEqual(got, ['seen', 'live']);
});

test('a saved position resumes on the first SUBSCRIBE (after an app restart); patterns never ask to resume', async () => {
  const dest = '/topic/resume-saved';
  for (const b of ['x1', 'x2', 'x3', 'x4']) fake.publish(dest, b);
  const c = client();
  await c.connect();
  const got: string[] = [];
  await c.subscribe(dest, (m) => got.push(m.body), { resume: { epoch: fake.epoch, position: 2 } }).ready;
  await until(() => got.length === 2, 'the replay of x3, x4');
  assert.deepEqual(got, ['x3', 'x4']);
  assert.equal(resumeOf(subscribes(dest)[0]), `${fake.epoch}:2`);

  const pattern = '/topic/resume.*';
  const sub = c.subscribe(pattern, () => undefined);
  await sub.ready;
  fake.dropAll();
  await until(() => subscribes(pattern).length === 2, 'the renewed pattern subscription');
  assert.equal(resumeOf(subscribes(pattern)[1]), undefined);
  assert.equal(sub.position, undefined);
  // resume: false turns it off for one subscription.
  const plain = '/topic/resume-off';
  fake.publish(plain, 'p');
  const off = c.subscribe(plain, () => undefined, { resume: false });
  await off.ready;
  assert.equal(off.position, undefined);
});
