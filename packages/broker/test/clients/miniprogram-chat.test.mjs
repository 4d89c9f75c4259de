// The WeChat mini-program chat (shared/scenarios/miniprogram-chat/), run unchanged: its
// page.js and websocket.js are copied, with stompjs 2.3.3's lib/stomp.js as stomp.js, into a
// temp dir laid out as the mini-program was (pages/chat/, static/js/), and evaluated by a small
// loader that turns their `import X from "..."` / `export default` into CommonJS at load
// time. `wx`, `getApp` and `Page` are globals: `wx` is a fake backed by a real WebSocket
// (the `ws` package) to the started `stompbox` CLI; `Page` builds the page instance with
// `setData`. The page's `console` is recorded: its subscription callback logs each message.
//
// URL: the page connects to `${WSURL}/chat`, its server's endpoint. The broker is started with
// `--stomp-ws-paths /ws,/stomp,/chat`, as a user moving this app to Stompbox would, so WSURL is
// just `ws://127.0.0.1:PORT`: only host and port change.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { inbox, sleep, unique, waitFor, within } from './helpers.mjs';

const require = createRequire(import.meta.url);
const WS_PATHS = ['--stomp-ws-paths', '/ws,/stomp,/chat'];
const Stomp = require('stompjs');
const SCENARIO = fileURLToPath(new URL('../../../../../shared/scenarios/miniprogram-chat/', import.meta.url));
// The page's stomp.js: stompjs 2.3.3, or another file that claims to replace it (the
// client package runs this file again with its stompjs facade, lib/stompbox.min.js).
const STOMP_JS = process.env.STOMPBOX_TEST_STOMP_JS ?? require.resolve('stompjs/lib/stomp.js');

let broker;
let appDir;

before(async () => {
  broker = await spawnBroker(WS_PATHS);
  // The mini-program's own layout: page.js imports "../../static/js/websocket".
  appDir = mkdtempSync(join(tmpdir(), 'stompbox-miniprogram-'));
  mkdirSync(join(appDir, 'pages', 'chat'), { recursive: true });
  mkdirSync(join(appDir, 'static', 'js'), { recursive: true });
  copyFileSync(join(SCENARIO, 'page.js'), join(appDir, 'pages', 'chat', 'page.js'));
  copyFileSync(join(SCENARIO, 'websocket.js'), join(appDir, 'static', 'js', 'websocket.js'));
  copyFileSync(STOMP_JS, join(appDir, 'static', 'js', 'stomp.js'));
});

after(async () => {
  await broker?.stop();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

// --- the mini-program runtime -------------------------------------------------

/**
 * Timers handed to the loaded modules, so that a test can end whatever they left running
 * (stompjs's heart-beat intervals, websocket.js's 3 s reconnect): after `dispose()` they
 * are cleared and new ones are never started, so a finished page cannot come back to life.
 */
function timerPool() {
  const timeouts = new Set();
  const intervals = new Set();
  let disposed = false;
  return {
    setTimeout: (f, ms, ...a) => {
      if (disposed) return 0;
      const t = setTimeout(() => (timeouts.delete(t), f(...a)), ms);
      timeouts.add(t);
      return t;
    },
    clearTimeout: (t) => (timeouts.delete(t), clearTimeout(t)),
    setInterval: (f, ms, ...a) => {
      if (disposed) return 0;
      const t = setInterval(f, ms, ...a);
      intervals.add(t);
      return t;
    },
    clearInterval: (t) => (intervals.delete(t), clearInterval(t)),
    dispose() {
      disposed = true;
      for (const t of timeouts) clearTimeout(t);
      for (const t of intervals) clearInterval(t);
      timeouts.clear();
      intervals.clear();
    },
  };
}

/** A console that records; `messages` gets every STOMP frame the page logs (its subscription callback). */
function recordingConsole() {
  const lines = [];
  const messages = inbox('page message');
  const record = (...args) => {
    lines.push(args);
    if (args[0] && typeof args[0] === 'object' && args[0].command === 'MESSAGE') messages.cb(args[0]);
  };
  return { lines, messages, console: { log: record, info: record, warn: record, error: record, debug: record } };
}

/**
 * Loads a module of the mini-program: ES `import X from "p"` and `export default` become
 * CommonJS; relative requires resolve against the file, `.js` added as the mini-program
 * toolchain does. Every load is fresh (module state such as websocket.js's socket queue
 * starts anew for each test).
 */
function loadMiniProgram(entry, scope) {
  const cache = new Map();
  const load = (file) => {
    if (cache.has(file)) return cache.get(file).exports;
    let src = readFileSync(file, 'utf8');
    src = src.replace(/^import\s+([A-Za-z_$][\w$]*)\s+from\s+(['"])([^'"]+)\2;?[ \t]*$/gm, 'const $1 = require($2$3$2);');
    src = src.replace(/^export\s+default\s+/m, 'module.exports = ');
    assert.doesNotMatch(src, /^\s*(import|export)\s/m, `${file}: an import/export the loader does not handle`);
    const module = { exports: {} };
    cache.set(file, module);
    const localRequire = (spec) => {
      if (!spec.startsWith('.')) throw new Error(`unexpected require('${spec}') in ${file}`);
      let p = resolve(dirname(file), spec);
      if (!p.endsWith('.js')) p += '.js';
      return load(p);
    };
    const names = ['require', 'module', 'exports', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'];
    const fn = new Function(...names, `${src}\n//# sourceURL=${file}`);
    fn(localRequire, module, module.exports, scope.console, scope.timers.setTimeout, scope.timers.clearTimeout, scope.timers.setInterval, scope.timers.clearInterval);
    return module.exports;
  };
  return load(entry);
}

/**
 * The old single-socket `wx` API over a real WebSocket. One listener per event, as
 * `wx.onSocketX(cb)` sets it; a new connectSocket replaces the previous socket.
 * `stripNul`: drop the trailing NUL of text frames, as iOS does (`stripped` counts them).
 */
function fakeWx() {
  const handlers = {};
  const wx = {
    urls: [],
    raw: [],
    socket: null,
    stripNul: false,
    stripped: 0,
    connects: [],
    connectSocket({ url, header, protocols } = {}) {
      if (wx.socket) wx.socket.terminate();
      wx.urls.push(url);
      wx.connects.push(Date.now());
      const ws = new WebSocket(url, protocols);
      ws.binaryType = 'arraybuffer';
      wx.socket = ws;
      const current = () => wx.socket === ws;
      ws.on('open', () => current() && handlers.open?.({ header: {}, profile: {} }));
      ws.on('message', (data, isBinary) => {
        if (!current()) return;
        let d = isBinary ? data : data.toString('utf8');
        if (!isBinary) wx.raw.push(d);
        // iOS drops the NUL that ends a text frame (and with it the EOL after it, the harder case).
        if (!isBinary && wx.stripNul && /\0\n?$/.test(d)) {
          d = d.replace(/\0\n?$/, '');
          wx.stripped++;
        }
        handlers.message?.({ data: d });
      });
      ws.on('error', (err) => current() && handlers.error?.({ errMsg: err.message }));
      ws.on('close', (code, reason) => {
        if (!current()) return;
        wx.socket = null;
        handlers.close?.({ code, reason: reason.toString() });
      });
      void header;
      return {};
    },
    onSocketOpen: (cb) => (handlers.open = cb),
    onSocketMessage: (cb) => (handlers.message = cb),
    onSocketError: (cb) => (handlers.error = cb),
    onSocketClose: (cb) => (handlers.close = cb),
    sendSocketMessage({ data, success, fail } = {}) {
      if (wx.socket?.readyState === WebSocket.OPEN) {
        wx.socket.send(data);
        success?.({ errMsg: 'sendSocketMessage:ok' });
      } else fail?.({ errMsg: 'sendSocketMessage:fail WebSocket is not connected' });
    },
    closeSocket({ code = 1000, reason = '' } = {}) {
      wx.socket?.close(code, reason);
    },
    /** A dropped network: no closing handshake, close code 1006. */
    drop() {
      wx.socket?.terminate();
    },
  };
  return wx;
}

/** Starts the chat page with a fresh runtime; resolves once it is loaded (not yet connected). */
function startPage({ wsurl, uid }) {
  const timers = timerPool();
  const { console, lines, messages } = recordingConsole();
  const wx = fakeWx();
  const app = { globalData: { WSURL: wsurl, uid } };
  let options;
  globalThis.wx = wx;
  globalThis.getApp = () => app;
  globalThis.Page = (o) => (options = o);
  loadMiniProgram(join(appDir, 'pages', 'chat', 'page.js'), { console, timers });
  const page = { ...options, data: { ...options.data } };
  page.setData = (patch) => Object.assign(page.data, patch);
  page.onLoad({});
  return {
    page,
    wx,
    lines,
    messages,
    /** Closes the page's socket with code 1000 (no reconnect), then ends its timers. */
    async stop() {
      const sock = wx.socket;
      if (sock) {
        const closed = new Promise((r) => sock.once('close', r));
        wx.closeSocket();
        await within(closed, 2000, 'the page socket to close').catch(() => sock.terminate());
      }
      timers.dispose();
      delete globalThis.wx;
      delete globalThis.getApp;
      delete globalThis.Page;
    },
  };
}

const running = new Set();
afterEach(async () => {
  for (const r of running) await r.stop();
  running.clear();
});

/** stompjs 2.3.3 over TCP: the "second plain client" on the other side of the chat. */
async function observer() {
  const c = Stomp.overTCP('127.0.0.1', broker.stompPort);
  c.debug = () => undefined;
  // No heart-beats: stompjs 2.3.3 over TCP mis-reads a beat glued to a frame (see stompjs-guide.test.mjs).
  c.heartbeat.outgoing = 0;
  c.heartbeat.incoming = 0;
  await within(new Promise((res, rej) => c.connect({}, res, rej)), 5000, 'observer CONNECTED');
  running.add({ stop: async () => c.connected && c.disconnect() });
  return c;
}

/** The page appends its endpoint path, /chat. */
const wsurl = () => `ws://127.0.0.1:${broker.httpPort}`;

/** Waits until the page is connected and subscribed (its setData calls). */
async function pageReady(chat, previousClient = null) {
  await waitFor(() => chat.page.data.client && chat.page.data.client !== previousClient && chat.page.data.subscription, 8000, 'the page to connect and subscribe');
  return chat.page.data.client;
}

/**
 * page.send() reaches /child/<uid>/<objUid>; since it follows the page's SUBSCRIBE on the
 * same connection, its arrival also proves the page's subscription is in place.
 */
async function roundTrip(chat, obs, childBox, uid, text) {
  chat.page.setData({ content: text });
  chat.page.send();
  const m = await childBox.next(5000);
  assert.equal(m.headers.destination, `/child/${uid}/1`);
  assert.deepEqual(JSON.parse(m.body), { content: text });
  const reply = { from: 'server', text: `回复: ${text}` };
  obs.send(`/response/${uid}/1`, { 'content-type': 'application/json' }, JSON.stringify(reply));
  const got = await chat.messages.next(5000);
  assert.equal(got.headers.destination, `/response/${uid}/1`);
  assert.equal(got.headers.subscription, chat.page.data.subscription.id);
  assert.deepEqual(JSON.parse(got.body), reply);
}

function start(uid) {
  const chat = startPage({ wsurl: wsurl(), uid });
  running.add(chat);
  return chat;
}

test('the page connects, subscribes to /response/<uid>/<objUid>, and send() goes to /child/<uid>/<objUid>', async () => {
  const uid = unique('u');
  const obs = await observer();
  const childBox = inbox('/child message');
  obs.subscribe(`/child/${uid}/1`, childBox.cb);
  const chat = start(uid);
  await pageReady(chat);
  assert.deepEqual(chat.wx.urls, [`${wsurl()}/chat`]);
  assert.ok(chat.lines.some((l) => l[0] === 'stomp connected'));
  assert.equal(chat.page.data.subscription.id, 'sub-0');
  await roundTrip(chat, obs, childBox, uid, '发送的内容');
  // Another user's messages do not reach this page.
  obs.send(`/response/${unique('other')}/1`, {}, '{"not":"mine"}');
  await roundTrip(chat, obs, childBox, uid, 'second message');
  await chat.messages.none(200);
});

test('frames that arrive without their trailing NUL (iOS) are still understood', async () => {
  const uid = unique('ios');
  const obs = await observer();
  const childBox = inbox('/child message');
  obs.subscribe(`/child/${uid}/1`, childBox.cb);
  const chat = startPage({ wsurl: wsurl(), uid });
  chat.wx.stripNul = true; // before any frame arrives: CONNECTED loses its NUL too
  running.add(chat);
  await pageReady(chat);
  for (const text of ['one', 'two', '三']) await roundTrip(chat, obs, childBox, uid, text);
  assert.ok(chat.wx.stripped >= 4, `${chat.wx.stripped} frames had their NUL removed`);
  // What made it work: every MESSAGE carries content-length, and websocket.js puts the NUL back.
  for (const raw of chat.wx.raw.filter((r) => r.startsWith('MESSAGE\n'))) assert.match(raw, /\ncontent-length:\d+\n/);
});

test('after the socket drops (not code 1000) websocket.js reconnects 3 s later and the page keeps receiving', async () => {
  const uid = unique('drop');
  const obs = await observer();
  const childBox = inbox('/child message');
  obs.subscribe(`/child/${uid}/1`, childBox.cb);
  const chat = start(uid);
  const first = await pageReady(chat);
  await roundTrip(chat, obs, childBox, uid, 'before the drop');

  const droppedAt = Date.now();
  chat.wx.drop();
  await waitFor(() => chat.lines.some((l) => l[0] === 'WebSocket 已关闭!'), 2000, 'the close to be seen');
  assert.equal(chat.lines.find((l) => l[0] === 'WebSocket 已关闭!')[1].code, 1006);
  await pageReady(chat, first);
  assert.equal(chat.wx.connects.length, 2);
  const waited = chat.wx.connects[1] - droppedAt;
  assert.ok(waited >= 2900 && waited < 4500, `reconnected after ${waited} ms`);
  await roundTrip(chat, obs, childBox, uid, 'after the drop');
});

test('after the broker restarts (close 1001) the page reconnects by itself and keeps receiving', async () => {
  const uid = unique('restart');
  const ports = ['--stomp-port', String(broker.stompPort), '--http-port', String(broker.httpPort), ...WS_PATHS];
  const chat = start(uid);
  const first = await pageReady(chat);
  await broker.stop();
  await waitFor(() => chat.lines.some((l) => l[0] === 'WebSocket 已关闭!'), 3000, 'the close to be seen');
  assert.equal(chat.lines.find((l) => l[0] === 'WebSocket 已关闭!')[1].code, 1001);
  broker = await spawnBroker(ports);
  const obs = await observer();
  const childBox = inbox('/child message');
  obs.subscribe(`/child/${uid}/1`, childBox.cb);
  await pageReady(chat, first);
  await roundTrip(chat, obs, childBox, uid, 'after the restart');
});

test('onShow after a normal close (code 1000, app sent to the background) connects again', async () => {
  const uid = unique('show');
  const obs = await observer();
  const childBox = inbox('/child message');
  obs.subscribe(`/child/${uid}/1`, childBox.cb);
  const chat = start(uid);
  const first = await pageReady(chat);
  chat.page.onShow(); // still connected: nothing happens
  first.close(); // wx.closeSocket(): code 1000
  await waitFor(() => chat.lines.some((l) => l[0] === 'WebSocket 已关闭!'), 2000, 'the close to be seen');
  assert.equal(chat.lines.find((l) => l[0] === 'WebSocket 已关闭!')[1].code, 1000);
  await sleep(3300);
  assert.equal(chat.wx.connects.length, 1, 'no reconnect after code 1000');
  chat.page.onShow();
  await pageReady(chat, first);
  assert.equal(chat.wx.connects.length, 2);
  await roundTrip(chat, obs, childBox, uid, 'back from the background');
});

test('the page reaches STOMP at its own URL, WSURL + "/chat" (--stomp-ws-paths)', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${broker.httpPort}/chat`);
  try {
    await within(new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej))), 3000, 'the WebSocket to /chat to open');
  } finally {
    ws.terminate();
  }
});
