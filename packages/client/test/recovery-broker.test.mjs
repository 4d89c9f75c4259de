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

async function received(got, what) {
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
}

/** A subscriber on `subUrl` and a publisher streaming N messages; `interrupt` runs mid-stream. The subscriber must see each once, in order, and no gap. */
async function streamAcross(subUrl, name, interrupt) {
  const dest = `/topic/${unique(name)}`;
  const sub = client(subUrl);
  const pub = client(broker.wsUrl);
  await Promise.all([sub.connect(), pub.connect()]);
  const got = [];
  const gaps = [];
  sub.on('gap', (g) => gaps.push(g));
  await sub.subscribe(dest, (m) => got.push(m.body)).ready;
  await stream(pub, dest, interrupt);
  await received(got, `across ${name}`);
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
