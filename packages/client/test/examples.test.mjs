// The examples run as their users would run them. examples/miniprogram-chat: the page,
// with lib/stompbox.min.js copied in as utils/stompbox.min.js, loaded into a bare
// mini-program runtime (no window, WebSocket, TextEncoder) with a fake `wx` on real
// WebSockets, NULs stripped, the socket dropped. examples/browser-chat: two pages in
// headless Chromium talking to each other, one of them dropped and back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnBroker } from '../../broker/dist/test/support/spawn-broker.js';
import { Client } from '../dist/src/node.js';
import { fakeMiniProgram } from './support/fake-mini.mjs';
import { SINGLE_FILE } from './support/mini-runtime.mjs';
import { startProxy } from './support/proxy.mjs';
import { inbox, unique } from './support/env.mjs';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

let broker;
before(async () => (broker = await spawnBroker(['--stomp-ws-paths', '/ws,/chat'])));
after(() => broker?.stop());

async function until(pred, what, ms = 8000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Loads the page as the mini-program runtime would: CommonJS modules in a bare context. */
function loadPage(wx, globalData) {
  let options;
  const context = vm.createContext({ console, setTimeout, clearTimeout, setInterval, clearInterval, wx, getApp: () => ({ globalData }), Page: (o) => (options = o) });
  const files = { [join(EXAMPLES, 'miniprogram-chat/utils/stompbox.min.js')]: readFileSync(SINGLE_FILE, 'utf8') };
  const cache = new Map();
  const load = (file) => {
    if (cache.has(file)) return cache.get(file).exports;
    const module = { exports: {} };
    cache.set(file, module);
    const src = files[file] ?? readFileSync(file, 'utf8');
    const fn = vm.runInContext(`(function (require, module, exports) {${src}\n})`, context, { filename: file });
    fn((spec) => load(resolve(dirname(file), spec)), module, module.exports);
    return module.exports;
  };
  load(join(EXAMPLES, 'miniprogram-chat/pages/chat/chat.js'));
  assert.equal(vm.runInContext('typeof window + typeof WebSocket + typeof TextEncoder', context), 'undefinedundefinedundefined');
  const page = { ...options, data: { ...options.data } };
  page.setData = (patch) => Object.assign(page.data, patch);
  page.onLoad({});
  return page;
}

test('examples/miniprogram-chat: connects, receives, sends; NULs stripped and a dropped socket change nothing', async () => {
  const uid = unique('u');
  const wx = fakeMiniProgram('wx');
  wx.stripNul = true;
  const page = loadPage(wx, { WSURL: `ws://127.0.0.1:${broker.httpPort}`, uid });
  const observer = new Client({ url: broker.wsUrl });
  await observer.connect();
  const child = inbox();
  await observer.subscribe(`/child/${uid}/1`, child.push).ready;
  page.send(); // before the page is even connected: queued, not lost
  assert.deepEqual((await child.next()).json(), { content: '发送的内容' });
  await until(() => page.client.connected, 'the page to connect');
  await observer.publish(`/response/${uid}/1`, JSON.stringify({ text: '回复 1' }));
  await until(() => page.data.messages.length === 1, 'the reply');
  wx.drop();
  page.setData({ content: 'sent while the socket was down' });
  page.send();
  assert.equal((await child.next()).json().content, 'sent while the socket was down');
  await observer.publish(`/response/${uid}/1`, JSON.stringify({ text: '回复 2' }));
  await until(() => page.data.messages.length === 2, 'the reply after the drop');
  assert.deepEqual(JSON.parse(JSON.stringify(page.data.messages)), [{ text: '回复 1' }, { text: '回复 2' }]);
  page.onShow(); // connected: nothing to do
  assert.equal(page.client.status, 'connected');
  assert.ok(wx.stripped > 3, `${wx.stripped} NULs stripped`);
  assert.equal(wx.opened, 2);
  page.onUnload();
  await until(() => wx.open === 0, 'the socket to close on unload');
  await observer.disconnect();
});

test('examples/browser-chat: two pages in headless Chromium chat; a dropped page comes back and gets what it missed sent', { timeout: 60000 }, async () => {
  const proxy = await startProxy(broker.httpPort);
  const server = http.createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/stompbox.min.js') res.writeHead(200, { 'content-type': 'application/javascript' }).end(readFileSync(SINGLE_FILE));
    else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(readFileSync(join(EXAMPLES, 'browser-chat/index.html')));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const base = `http://127.0.0.1:${server.address().port}/index.html?broker=`;
    const alice = await browser.newPage();
    const bob = await browser.newPage();
    await alice.goto(base + encodeURIComponent(broker.wsUrl));
    await bob.goto(base + encodeURIComponent(`ws://127.0.0.1:${proxy.port}/ws`));
    for (const p of [alice, bob]) await p.waitForFunction(() => document.getElementById('state').textContent === 'connected');
    await alice.fill('#who', 'alice');
    await alice.fill('#text', '你好 bob');
    await alice.click('button');
    await bob.waitForFunction(() => document.querySelector('#log').textContent.includes('alice: 你好 bob'));
    proxy.drop();
    await bob.fill('#who', 'bob');
    await bob.fill('#text', 'typed while offline');
    await bob.click('button');
    await alice.waitForFunction(() => document.querySelector('#log').textContent.includes('bob: typed while offline'), null, { timeout: 10000 });
    await bob.waitForFunction(() => document.getElementById('state').textContent === 'connected');
    await alice.fill('#text', 'welcome back');
    await alice.click('button');
    await bob.waitForFunction(() => document.querySelector('#log').textContent.includes('alice: welcome back'));
    if (process.env.STOMPBOX_SCREENSHOTS) await bob.screenshot({ path: process.env.STOMPBOX_SCREENSHOTS });
  } finally {
    await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
    server.close();
    await proxy.close();
  }
});
