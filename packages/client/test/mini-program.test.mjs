// What only mini-programs do, on the fake wx/uni in a bare runtime (no window,
// WebSocket, TextEncoder): WeChat's limit of five sockets (a sixth connectSocket
// fails), sockets never leaked across reconnects (each connection has its own
// SocketTask and closes it), and uni-app's connectSocket that returns its task only
// when given a callback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnBroker } from '../../broker/dist/test/support/spawn-broker.js';
import { fakeMiniProgram } from './support/fake-mini.mjs';
import { fileURLToPath } from 'node:url';
import { miniRuntime } from './support/mini-runtime.mjs';
import { BROKER_ARGS, LOGIN, PASSCODE, inbox, unique } from './support/env.mjs';

let broker;
before(async () => (broker = await spawnBroker(BROKER_ARGS)));
after(() => broker?.stop());

async function until(pred, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function runtime(kind) {
  const api = fakeMiniProgram(kind);
  const { Stompbox } = miniRuntime({ [kind]: api });
  const make = (o = {}) => new Stompbox.Client({ url: broker.wsUrl, login: LOGIN, passcode: PASSCODE, reconnect: { initialDelay: 30, maxDelay: 100 }, ...o });
  return { api, make };
}

test('WeChat refuses a sixth socket: that client keeps trying and connects once one of the five closes', async () => {
  const { api, make } = runtime('wx');
  const five = Array.from({ length: 5 }, () => make());
  await Promise.all(five.map((c) => c.connect()));
  assert.equal(api.open, 5);
  const sixth = make();
  const connected = sixth.connect();
  await until(() => api.refused >= 2, 'connectSocket to be refused twice');
  assert.ok(['connecting', 'reconnecting'].includes(sixth.status), sixth.status);
  await five[0].disconnect();
  await connected;
  assert.equal(sixth.status, 'connected');
  assert.equal(api.peakOpen, 5, 'never more than five sockets');
  for (const c of [...five.slice(1), sixth]) await c.disconnect();
  await until(() => api.open === 0, 'every socket closed');
});

test('eight drops in a row leak no socket, and the subscription survives them all', async () => {
  const { api, make } = runtime('wx');
  const c = make();
  await c.connect();
  const dest = `/topic/${unique('wx-drops')}`;
  const box = inbox();
  await c.subscribe(dest, box.push).ready;
  for (let i = 0; i < 8; i++) {
    api.drop();
    await until(() => c.status !== 'connected', 'the drop to be seen');
    await until(() => c.status === 'connected', 'the reconnect');
    assert.ok(api.open <= 1, `${api.open} sockets open`);
  }
  await c.publish(dest, 'still subscribed');
  assert.equal((await box.next()).body, 'still subscribed');
  assert.equal(api.peakOpen, 1);
  assert.equal(api.opened, 9);
  await c.disconnect();
});

test('uni-app: connectSocket without a callback returns no task; the SDK passes one and gets its own task', async () => {
  const { api, make } = runtime('uni');
  assert.equal(api.connectSocket({ url: broker.wsUrl }), undefined);
  await until(() => api.open === 1, 'the stray socket');
  api.drop();
  await until(() => api.open === 0, 'the stray socket to close');
  const a = make();
  const b = make();
  await Promise.all([a.connect(), b.connect()]);
  assert.equal(api.open, 2, 'one task per client');
  const dest = `/queue/${unique('uni')}`;
  const box = inbox();
  await b.subscribe(dest, box.push).ready;
  await a.publish(dest, '你好, uni-app');
  assert.equal((await box.next()).body, '你好, uni-app');
  await a.disconnect();
  await b.disconnect();
});

test('wake() (onShow) retries at once instead of waiting out a long backoff', async () => {
  const { api, make } = runtime('wx');
  const c = make({ reconnect: { initialDelay: 20000, maxDelay: 20000, jitter: 0 } });
  await c.connect();
  api.drop();
  await until(() => c.status === 'reconnecting', 'the drop to be seen');
  await sleep(100);
  assert.equal(c.status, 'reconnecting', 'still waiting out the 20 s backoff');
  const woke = Date.now();
  c.wake();
  await until(() => c.status === 'connected', 'the reconnect', 3000);
  assert.ok(Date.now() - woke < 2000);
  await c.disconnect();
});

const lib = (f) => fileURLToPath(new URL(`../lib/${f}`, import.meta.url));

test('the bundler entry @stompbox/client/mini-program (lib/mini-program.cjs) finds wx and brings UTF-8 without TextEncoder', async () => {
  const api = fakeMiniProgram('wx');
  const { Stompbox } = miniRuntime({ wx: api }, lib('mini-program.cjs'));
  const c = new Stompbox.Client({ url: broker.wsUrl, login: LOGIN, passcode: PASSCODE });
  await c.connect();
  const box = inbox();
  const dest = `/queue/${unique('mp-entry')}`;
  await c.subscribe(dest, (m) => box.push(m)).ready;
  await c.publish(dest, 'héllo 中文 😀');
  assert.equal((await box.next(5000)).body, 'héllo 中文 😀');
  assert.equal(api.open, 1, 'over wx.connectSocket');
  await c.disconnect();
});

test('the main entry (lib/index.cjs) in a mini-program says which entry to use instead', () => {
  const { Stompbox } = miniRuntime({ wx: fakeMiniProgram('wx') }, lib('index.cjs'));
  const c = new Stompbox.Client({ url: broker.wsUrl });
  assert.throws(() => c.connect(), (e) => e.code === 'STOMPBOX_CLIENT_ERR_NO_TRANSPORT' && /mini-program/.test(e.message));
});
