// Recovery end to end against the real broker (docs/recovery.md): a stream of
// messages to a topic, the subscriber's connection dropped in the middle, and the
// broker restarted in the middle (same data directory and ports): the subscriber sees
// every message once, in order, because the SDK resumes after the last position it saw.
// The broker keeps a history for every `/topic/` destination here (a destination policy).
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnBroker } from '../../broker/dist/test/support/spawn-broker.js';
import { Client, nodeWebSocket } from '../dist/src/node.js';
import { startProxy } from './support/proxy.mjs';
import { LOGIN, PASSCODE, unique } from './support/env.mjs';

const OPTS = { timeout: 30000 };
const HISTORY = ['--destinations', JSON.stringify([{ match: '/topic/#', history: 1000 }])];
const N = 300;

let dataDir;
let broker;
let args;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stompbox-client-recovery-'));
  broker = await spawnBroker(['--users', `${LOGIN}:${PASSCODE}`, '--data-dir', dataDir, ...HISTORY]);
  args = ['--users', `${LOGIN}:${PASSCODE}`, '--data-dir', dataDir, ...HISTORY, '--stomp-port', String(broker.stompPort), '--http-port', String(broker.httpPort)];
});

// A failing test leaves its clients reconnecting: end them, or the file never exits.
const clients = new Set();
afterEach(async () => {
  for (const c of clients) await c.disconnect().catch(() => undefined);
  clients.clear();
});

after(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function client(url, extra = {}) {
  return track(new Client({ url, login: LOGIN, passcode: PASSCODE, transport: nodeWebSocket(), reconnect: { initialDelay: 50, maxDelay: 300 }, ...extra }));
}

function track(c) {
  clients.add(c);
  return c;
}

/** Publishes 0..N-1 to `dest`, a few at a time, each confirmed before the next batch. */
async function stream(publisher, dest, onHalf) {
  for (let i = 0; i < N; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, k) => publisher.publish(dest, String(i + k))));
    if (i + 10 === N / 2) await onHalf();
    await sleep(2);
  }
}

/** Waits for the stream, then checks it: each message once, in order, at consecutive positions. */
async function received(got, positions, what) {
  // Until all came, or nothing more for 1.5 s (a lost stretch never comes).
  let seen = -1;
  let quietSince = Date.now();
  while (got.length < N && Date.now() - quietSince < 1500) {
    if (got.length !== seen) [seen, quietSince] = [got.length, Date.now()];
    await sleep(20);
  }
  await sleep(200); // anything extra (a duplicate) would arrive now
  const expected = Array.from({ length: N }, (_, i) => String(i));
  assert.deepEqual(got, expected, `${what}: ${got.length} messages`);
  assert.deepEqual(positions, positions.map((_, i) => positions[0] + i), `${what}: positions not consecutive`);
}

/** A subscriber on `subUrl` and a publisher streaming N messages; `interrupt` runs mid-stream. The subscriber must see each once, in order, and no gap. */
async function streamAcross(subUrl, name, interrupt) {
  const dest = `/topic/${unique(name)}`;
  const sub = client(subUrl);
  const pub = client(broker.wsUrl);
  await Promise.all([sub.connect(), pub.connect()]);
  const got = [];
  const positions = [];
  const gaps = [];
  sub.on('gap', (g) => gaps.push(g));
  await sub.subscribe(dest, (m) => {
    got.push(m.body);
    positions.push(m.position);
  }).ready;
  await stream(pub, dest, interrupt);
  await received(got, positions, `across ${name}`);
  assert.deepEqual(gaps, []);
  await Promise.all([sub.disconnect(), pub.disconnect()]);
}

test('a dropped subscriber connection in the middle of a stream: every message once, in order', OPTS, async () => {
  const proxy = await startProxy(broker.httpPort);
  try {
    await streamAcross(`ws://127.0.0.1:${proxy.port}/ws`, 'stream-drop', async () => proxy.drop());
  } finally {
    await proxy.close();
  }
});

test('a broker restart in the middle of a stream: every message once, in order', OPTS, async () => {
  await streamAcross(broker.wsUrl, 'stream-restart', async () => {
    await broker.stop();
    broker = await spawnBroker(args);
  });
});

// Issue 15: the broker SIGKILLed the moment the subscriber has the stream's middle message
// (killed from its message callback, no wait for the store). What followed it may be
// lost, so the SDK's automatic resume reports one gap, `history-too-short`, under the
// same epoch (never `epoch-changed`, never a position twice), and the stream goes on
// after the restart: every message published after it, in order.
test('a broker SIGKILLed the moment a subscriber has a message: one history-too-short gap, then the rest in order', OPTS, async () => {
  const dest = `/topic/${unique('stream-crash')}`;
  const sub = client(broker.wsUrl);
  const pub = client(broker.wsUrl);
  await Promise.all([sub.connect(), pub.connect()]);
  const got = [];
  const gaps = [];
  let restarted;
  sub.on('gap', (g) => gaps.push(g));
  await sub.subscribe(dest, (m) => {
    got.push({ body: m.body, epoch: m.epoch, position: m.position });
    if (m.body !== String(N / 2 - 1) || restarted !== undefined) return;
    process.kill(broker.pid, 'SIGKILL');
    // Restarted from here: the publisher may be waiting for RECEIPTs the dead broker never sent.
    restarted = (async () => {
      await broker.stop('SIGKILL');
      broker = await spawnBroker(args);
    })();
  }).ready;
  await stream(pub, dest, async () => {
    while (restarted === undefined) await sleep(5);
    await restarted;
    // The second half once the subscriber is back (its resume answered with the gap).
    while (gaps.length === 0) await sleep(5);
  });
  const end = Date.now() + 5000;
  while (got.at(-1)?.body !== String(N - 1) && Date.now() < end) await sleep(20);
  await sleep(200);
  assert.equal(gaps.length, 1, JSON.stringify(gaps));
  const [gap] = gaps;
  assert.equal(gap.reason, 'history-too-short');
  const crash = got.findIndex((m) => m.body === String(N / 2 - 1));
  assert.deepEqual(gap.from, { epoch: got[crash].epoch, position: got[crash].position });
  assert.equal(gap.to.epoch, gap.from.epoch, 'the epoch stays');
  assert.ok(gap.to.position > gap.from.position);
  // Before the crash: 0..N/2-1 at consecutive positions. After it: positions right after
  // the gap's end, consecutive, and every message of the second half, in order. The
  // publisher may send its unconfirmed last batch again: those may arrive again, at new
  // positions (or fall inside the gap, if sent before the subscriber was back).
  assert.deepEqual(got.slice(0, crash + 1).map((m) => m.body), Array.from({ length: N / 2 }, (_, i) => String(i)));
  const afterCrash = got.slice(crash + 1);
  assert.deepEqual(afterCrash.map((m) => m.position), afterCrash.map((_, i) => gap.to.position + 1 + i));
  const bodies = afterCrash.map((m) => Number(m.body));
  assert.ok(bodies.every((b) => b >= N / 2 - 10), `only the last batch may come again: ${bodies}`);
  assert.deepEqual(bodies.filter((b) => b >= N / 2), Array.from({ length: N / 2 }, (_, i) => N / 2 + i));
  await Promise.all([sub.disconnect(), pub.disconnect()]);
});

test('the RECEIPT of a resumed SUBSCRIBE says stompbox-resume: ok, and a wrong epoch is reported as a gap', OPTS, async () => {
  const dest = `/topic/${unique('receipt')}`;
  const c = client(broker.wsUrl);
  await c.connect();
  const pub = client(broker.wsUrl);
  await pub.connect();
  const got = [];
  const first = c.subscribe(dest, (m) => got.push(m));
  await first.ready;
  await pub.publish(dest, 'one');
  const end = Date.now() + 3000;
  while (got.length === 0 && Date.now() < end) await sleep(10);
  assert.equal(got.length, 1);
  assert.ok(got[0].epoch, 'MESSAGE carries stompbox-epoch');
  assert.equal(got[0].position, 1, 'the first message of a new topic is at position 1');
  const gaps = [];
  const wrong = c.subscribe(dest, () => undefined, { resume: { epoch: 'not-the-epoch', position: 1 }, onGap: (g) => gaps.push(g) });
  await wrong.ready;
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0].reason, 'epoch-changed');
  assert.deepEqual(gaps[0].to, { epoch: got[0].epoch, position: 1 });
  await Promise.all([c.disconnect(), pub.disconnect()]);
});
