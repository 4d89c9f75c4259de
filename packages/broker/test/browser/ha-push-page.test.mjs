// Scenario ha-push-page (shared/scenarios/ha-push-page): a push page written for
// RabbitMQ Web-STOMP, served unchanged with its three scripts and driven in headless
// Chromium against a Stompbox broker. Only the host field is changed, as a user would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  CLIENT_SCRIPTS, SCENARIOS_DIR, closeChromium, launchChromium, spawnBroker, startStaticServer, startTogether, withScreenshots,
} from './browser-support.mjs';

const PAGE_FILE = join(SCENARIOS_DIR, 'ha-push-page', 'index.html');
const WAIT = { timeout: 5000 };

describe('ha-push-page scenario in headless Chromium', { timeout: 45000 }, () => {
  let broker;
  let site;
  let browser;

  before(async () => {
    [broker, site, browser] = await startTogether([
      spawnBroker(['--users', 'admin:admin']),
      startStaticServer({ '/index.html': PAGE_FILE, ...CLIENT_SCRIPTS }),
      launchChromium(),
    ]);
  });

  after(async () => {
    await closeChromium(browser);
    await site?.close();
    await broker?.stop();
  });

  /** Opens the page as its user would; collects uncaught page errors. */
  async function openPage(track) {
    const page = track(await browser.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site.origin}/index.html`);
    // The page's own default points at the author's RabbitMQ; its scripts loaded and defined Stomp and $.
    assert.equal(await page.inputValue('#host'), 'ws://192.168.56.101:15674/ws');
    assert.equal(await page.evaluate(() => typeof Stomp.client === 'function' && typeof $ === 'function' && typeof SockJS === 'function'), true);
    return { page, errors };
  }

  /** Fills the host and user, clicks 登录 and waits for "Connected" in #response. */
  async function login(page, wsUrl, username) {
    await page.fill('#host', wsUrl);
    await page.fill('#username', username);
    await page.click('#loginButton');
    await page.waitForFunction(() => document.querySelector('#response').textContent.includes('Connected'), null, WAIT);
    await page.waitForSelector('#message-container', { state: 'visible', ...WAIT });
    assert.equal(await page.isDisabled('#loginButton'), true, '登录 is disabled once connected');
  }

  /** Clicks 发送 with `message` in the field; returns the JSON the page sends. */
  async function send(page, username, message) {
    await page.fill('#message', message);
    await page.click('#send');
    return JSON.stringify({ username, message });
  }

  const responseText = (page) => page.textContent('#response');
  const waitForResponse = (page, text) =>
    page.waitForFunction((t) => document.querySelector('#response').textContent.includes(t), text, WAIT);

  test('登录 then 发送 shows the message JSON in #response', async (t) => {
    await withScreenshots(t, async (track) => {
      const { page, errors } = await openPage(track);
      await login(page, broker.wsUrl, 'jack');
      const json = await send(page, 'jack', 'hello,world!');
      await waitForResponse(page, json);
      const lines = await page.$$eval('#response > div', (ds) => ds.map((d) => d.textContent));
      assert.match(lines[0], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} :Connected$/);
      assert.match(lines[1], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} :\{"username":"jack","message":"hello,world!"\}$/);
      assert.equal(lines.length, 2);
      // 断开连接 ends the session cleanly.
      await page.click('#disconnect');
      await waitForResponse(page, 'Disconnected');
      assert.deepEqual(errors, []);
    });
  });

  test('two pages (jack, rose) each see only their own queue', async (t) => {
    await withScreenshots(t, async (track) => {
      const jack = await openPage(track);
      const rose = await openPage(track);
      await Promise.all([login(jack.page, broker.wsUrl, 'jack'), login(rose.page, broker.wsUrl, 'rose')]);

      const j1 = await send(jack.page, 'jack', 'hello rose? it is jack');
      const r1 = await send(rose.page, 'rose', '你好，我是 rose');
      const j2 = await send(jack.page, 'jack', 'jack again');
      await Promise.all([waitForResponse(jack.page, j1), waitForResponse(jack.page, j2), waitForResponse(rose.page, r1)]);
      // One more round trip on each page: anything misrouted would have arrived by now.
      const j3 = await send(jack.page, 'jack', 'jack last');
      const r2 = await send(rose.page, 'rose', 'rose last');
      await Promise.all([waitForResponse(jack.page, j3), waitForResponse(rose.page, r2)]);

      const jackSees = await responseText(jack.page);
      const roseSees = await responseText(rose.page);
      for (const m of [j1, j2, j3]) assert.ok(jackSees.includes(m), `jack sees ${m}`);
      for (const m of [r1, r2]) assert.ok(roseSees.includes(m), `rose sees ${m}`);
      assert.ok(!jackSees.includes('"username":"rose"'), `jack saw rose's messages: ${jackSees}`);
      assert.ok(!roseSees.includes('"username":"jack"'), `rose saw jack's messages: ${roseSees}`);
      // Each message exactly once, in the order sent.
      const jackLines = await jack.page.$$eval('#response > div', (ds) => ds.map((d) => d.textContent.replace(/^.*? :/, '')));
      assert.deepEqual(jackLines, ['Connected', j1, j2, j3]);
      const roseLines = await rose.page.$$eval('#response > div', (ds) => ds.map((d) => d.textContent.replace(/^.*? :/, '')));
      assert.deepEqual(roseLines, ['Connected', r1, r2]);
      assert.deepEqual([...jack.errors, ...rose.errors], []);
    });
  });

  test('a wrong password shows "Connect fail" with the ERROR frame', async (t) => {
    // A broker where admin has another passcode: the page's admin/admin is refused.
    const strict = await spawnBroker(['--users', 'admin:not-admin']);
    try {
      await withScreenshots(t, async (track) => {
        const { page, errors } = await openPage(track);
        await page.fill('#host', strict.wsUrl);
        await page.click('#loginButton');
        await waitForResponse(page, 'Connect fail');
        const text = await responseText(page);
        // stompjs hands the ERROR frame to the error callback; its message header says why.
        assert.match(text, /Connect fail:ERROR/);
        assert.match(text, /message:access refused for user 'admin'/);
        assert.ok(!text.includes(':Connected'), text);
        assert.equal(await page.isDisabled('#loginButton'), false, '登录 stays enabled');
        assert.equal(await page.isVisible('#message-container'), false);
        assert.deepEqual(errors, []);
      });
    } finally {
      await strict.stop();
    }
  });
});
