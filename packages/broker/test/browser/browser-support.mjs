// Shared helpers for the browser tests (not a test file itself): a tiny static file
// server on 127.0.0.1, the headless Chromium launch, the broker spawner, screenshots
// of the test's pages when a test fails, and the set-up of the stompjs guide tests.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';

const require = createRequire(import.meta.url);

/** `<x>/shared/` beside the repository `<x>/main` (CI clones shared/ next to the repo). */
export const SHARED_DIR = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
export const SCENARIOS_DIR = join(SHARED_DIR, 'scenarios');

/** A file inside an installed npm package, resolved the way node resolves it (hoisting-proof). */
export function packageFile(pkg, file) {
  return join(dirname(require.resolve(`${pkg}/package.json`)), file);
}

/** The scripts the scenario page loads, as it names them. */
export const CLIENT_SCRIPTS = {
  '/js/sockjs.min.js': packageFile('sockjs-client', 'dist/sockjs.min.js'),
  // stompjs 2.3.3, or a file that claims to replace it (the client package's facade).
  '/js/stomp.min.js': process.env.STOMPBOX_TEST_STOMP_MIN_JS ?? packageFile('stompjs', 'lib/stomp.min.js'),
  '/js/jquery-3.4.1.min.js': packageFile('jquery', 'dist/jquery.min.js'),
};

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'application/javascript; charset=utf-8' };

/**
 * Serves `routes` (url path -> absolute file path, or `{ body, type }`) from 127.0.0.1
 * on a free port. Files are read on each request, byte for byte.
 */
export async function startStaticServer(routes) {
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[path];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    try {
      const isFile = typeof route === 'string';
      const body = isFile ? await readFile(route) : Buffer.from(route.body, 'utf8');
      const type = isFile ? TYPES[route.slice(route.lastIndexOf('.'))] ?? 'application/octet-stream' : route.type;
      res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store' });
      res.end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Awaits every start (brokers, static sites, browsers); if one fails (no Chromium), stops
 * those that started before throwing: after() never sees them, and a broker child left
 * running keeps the test process alive for ever.
 */
export async function startTogether(starts) {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed === undefined) return settled.map((r) => r.value);
  for (const r of settled) {
    if (r.status !== 'fulfilled') continue;
    const v = r.value;
    await (v.stop?.() ?? v.close?.())?.catch?.(() => undefined);
  }
  throw failed.reason;
}

/** Closes the browser; Playwright ends the Chromium process it started (by its pid). */
export async function closeChromium(browser) {
  if (browser === undefined) return;
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
}

/** The compiled spawn-broker helper (`npx tsc -b packages/broker` builds it). */
export async function spawnBroker(args = []) {
  const url = new URL('../../dist/test/support/spawn-broker.js', import.meta.url);
  const mod = await import(url.href).catch((err) => {
    throw new Error(`cannot load ${fileURLToPath(url)}: build the broker first (npx tsc -b packages/broker): ${err.message}`);
  });
  return mod.spawnBroker(args);
}

/**
 * Runs `fn(track)` where `track(page)` registers a page; if `fn` throws, each tracked
 * page is screenshotted to a temp file (named in the error and as a test diagnostic).
 */
export async function withScreenshots(t, fn) {
  const pages = [];
  const track = (page) => {
    pages.push(page);
    return page;
  };
  try {
    return await fn(track);
  } catch (err) {
    const shots = [];
    const slug = t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    for (let i = 0; i < pages.length; i++) {
      const path = join(tmpdir(), `stompbox-browser-${slug}-${process.pid}-${i}.png`);
      try {
        if (!pages[i].isClosed()) {
          await pages[i].screenshot({ path, fullPage: true, timeout: 3000 });
          shots.push(path);
        }
      } catch { /* the screenshot is only a help */ }
    }
    if (shots.length > 0) {
      t.diagnostic(`screenshots: ${shots.join(', ')}`);
      if (err instanceof Error) err.message += `\n(screenshots: ${shots.join(', ')})`;
    }
    throw err;
  } finally {
    for (const p of pages) await p.close().catch(() => undefined);
  }
}

// The stompjs 2.3.3 guide in headless Chromium (stompjs-browser-*.test.mjs).

// Helpers the page offers to the evaluated snippets; the STOMP calls themselves are the guide's.
const HELPERS = `
window.sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves when pred() holds (checked every 10 ms); rejects after ms. */
window.until = async (pred, ms = 4000, what = 'condition') => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(10);
  }
};
/** Calls client.connect(...args, onConnect, onError) and settles with the CONNECTED frame or the error. */
window.connected = (client, ...args) => new Promise((resolve, reject) => {
  client.connect(...args, (frame) => resolve(frame), (err) => reject(new Error(typeof err === 'string' ? err : 'ERROR ' + JSON.stringify(err.headers))));
});
/** Plain data of a received MESSAGE frame. */
window.plain = (m) => ({ command: m.command, headers: { ...m.headers }, body: m.body });
/** Waits for the RECEIPT with this id: everything the client sent before it was processed. */
window.receipt = (client, id) => new Promise((resolve, reject) => {
  const prev = client.onreceipt;
  const timer = setTimeout(() => reject(new Error('no RECEIPT ' + id)), 4000);
  client.onreceipt = (frame) => {
    if (frame.headers['receipt-id'] === id) { clearTimeout(timer); client.onreceipt = prev; resolve(frame); }
    else if (prev) prev(frame);
  };
});
`;

const TEST_PAGE = `<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>stompjs guide</title>
<script src="/js/sockjs.min.js"></script>
<script src="/js/stomp.min.js"></script>
<script>${HELPERS}</script>
</head><body><h1>stompjs 2.3.3 guide</h1></body></html>`;

// The guide's own credentials. Server heart-beats are short so that the heart-beat test
// sees them within a second; a client gets them only if it asks (its default is 10 s).
export const GUIDE_LOGIN = 'mylogin';
export const GUIDE_PASSCODE = 'mypasscode';

/**
 * Call inside a describe: before its tests, starts a broker with the guide's login, a
 * static site serving the guide page with stomp.min.js, and Chromium; stops them after.
 * Returns `inPage(fn)`, a test function that runs `fn(page)` on a fresh guide page (with
 * screenshots on failure), `env()`, what the page's snippets need, and the running `broker`
 * with its `sessionsUrl`.
 */
export function guideInBrowser() {
  let broker;
  let site;
  let browser;
  let sessionsUrl;

  before(async () => {
    [broker, site, browser] = await startTogether([
      spawnBroker(['--users', `${GUIDE_LOGIN}:${GUIDE_PASSCODE}`, '--heartbeat-send-ms', '200', '--heartbeat-receive-ms', '500']),
      startStaticServer({ '/guide.html': { body: TEST_PAGE, type: 'text/html; charset=utf-8' }, ...CLIENT_SCRIPTS }),
      launchChromium(),
    ]);
    sessionsUrl = `http://127.0.0.1:${broker.httpPort}/healthz`;
  });

  after(async () => {
    await closeChromium(browser);
    await site?.close();
    await broker?.stop();
  });

  /** A fresh page with stomp.min.js loaded; runs `fn(page)` with screenshots on failure. */
  function inPage(fn, { screenshots = true } = {}) {
    return (t) =>
      withScreenshots(t, async (track) => {
        const page = await browser.newPage();
        if (screenshots) track(page);
        else t.after(() => page.close().catch(() => undefined));
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${site.origin}/guide.html`);
        assert.equal(await page.evaluate(() => typeof Stomp), 'object');
        await fn(page);
        assert.deepEqual(errors, [], 'no uncaught errors in the page');
      });
  }

  const env = () => ({ wsUrl: broker.wsUrl, login: GUIDE_LOGIN, passcode: GUIDE_PASSCODE });

  return {
    inPage,
    env,
    get broker() { return broker; },
    get sessionsUrl() { return sessionsUrl; },
  };
}
