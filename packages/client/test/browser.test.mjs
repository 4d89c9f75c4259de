// The shared client suite (support/scenarios.mjs) in headless Chromium: a page loads
// lib/stompbox.min.js with a <script> tag and each scenario's source runs in the page
// against the browser's own WebSocket (the SDK picks it by itself). Connections go
// through a TCP proxy, so that `env.drop()` (exposed to the page) can cut them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { spawnBroker } from '../../broker/dist/test/support/spawn-broker.js';
import { startProxy } from './support/proxy.mjs';
import { scenarios } from './support/scenarios.mjs';
import { BROKER_ARGS, LOGIN, PASSCODE, deadPort } from './support/env.mjs';
import { SINGLE_FILE } from './support/mini-runtime.mjs';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'];

// The page's env: the same shape as support/env.mjs builds in Node.
const PAGE_HELPERS = `
window.makeEnv = (url, deadUrl, login, passcode) => {
  const clients = [];
  let counter = 0;
  const fail = (m) => { throw new Error(m); };
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  return {
    kind: 'chromium', url, deadUrl,
    client(o = {}) { const c = new Stompbox.Client({ url, login, passcode, ...o }); clients.push(c); return c; },
    drop: () => window.__drop(),
    unique: (p) => p + '-browser-' + Date.now() + '-' + (++counter),
    sleep,
    inbox() {
      const items = []; let read = 0;
      const box = {
        items,
        push: (m) => items.push(m),
        async next(ms = 5000) {
          const end = Date.now() + ms;
          while (read >= items.length) { if (Date.now() > end) fail('timed out waiting for item #' + (read + 1)); await sleep(10); }
          return items[read++];
        },
        async take(n, ms = 5000) { const out = []; for (let i = 0; i < n; i++) out.push(await box.next(ms)); return out; },
        async none(ms = 200) { await sleep(ms); if (items.length > read) fail('expected nothing more, got ' + (items.length - read)); },
      };
      return box;
    },
    eq: (a, b, m) => a === b || fail((m || 'eq') + ': ' + JSON.stringify(a) + ' !== ' + JSON.stringify(b)),
    deep: (a, b, m) => same(a, b) || fail((m || 'deep') + ': ' + JSON.stringify(a) + ' != ' + JSON.stringify(b)),
    ok: (v, m) => v || fail(m || 'not ok'),
    async cleanup() { for (const c of clients) if (c.status !== 'disconnected' && c.status !== 'idle') await c.disconnect().catch(() => {}); },
  };
};`;

const PAGE = `<!DOCTYPE html><html><head><meta charset="UTF-8"><title>Stompbox client suite</title>
<script src="/stompbox.min.js"></script><script>${PAGE_HELPERS}</script></head><body></body></html>`;

describe('client in headless Chromium (the browser WebSocket, lib/stompbox.min.js)', { timeout: 90000 }, () => {
  let broker;
  let proxy;
  let server;
  let browser;
  let page;
  let dead;

  before(async () => {
    broker = await spawnBroker(BROKER_ARGS);
    proxy = await startProxy(broker.httpPort);
    dead = await deadPort();
    server = http.createServer((req, res) => {
      if (req.url === '/stompbox.min.js') {
        res.writeHead(200, { 'content-type': 'application/javascript' });
        return res.end(readFileSync(SINGLE_FILE));
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.exposeFunction('__drop', () => proxy.drop());
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    assert.equal(await page.evaluate(() => typeof Stompbox.Client), 'function');
    assert.equal(await page.evaluate(() => typeof Stomp.client), 'function', 'the single file defines Stomp for stompjs pages');
  });

  after(async () => {
    if (browser) await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
    server?.close();
    await proxy?.close();
    await broker?.stop();
  });

  for (const [title, fn] of scenarios) {
    test(title, { timeout: 20000 }, async () => {
      const url = `ws://127.0.0.1:${proxy.port}/ws`;
      await page.evaluate(
        async ({ src, url, deadUrl, login, passcode }) => {
          const env = window.makeEnv(url, deadUrl, login, passcode);
          try {
            await (0, eval)(`(${src})`)(env);
          } finally {
            await env.cleanup();
          }
        },
        { src: fn.toString(), url, deadUrl: `ws://127.0.0.1:${dead}/ws`, login: LOGIN, passcode: PASSCODE },
      );
    });
  }
});
