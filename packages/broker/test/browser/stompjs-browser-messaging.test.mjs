// Scenario stompjs-guide (shared/scenarios/stompjs-guide/snippets.js), in the browser:
// stompjs 2.3.3's `stomp.min.js` loaded by a page in headless Chromium, each call of
// the guide made through `page.evaluate` against a Stompbox broker, and checked to do
// what the guide says it does.
// This file: sending, subscribing, acks, selectors, transactions and UTF-8; connecting,
// debug output and heart-beats are in stompjs-browser-connect.test.mjs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { guideInBrowser } from './browser-support.mjs';

describe('stompjs 2.3.3 guide in headless Chromium', { timeout: 50000 }, () => {
  const { inPage, env } = guideInBrowser();

  test('send with headers, subscribe with an id, JSON bodies on /queue/test and /topic/stocks', inPage(async (page) => {
    const r = await page.evaluate(async ({ wsUrl, login, passcode }) => {
      const client = Stomp.client(wsUrl);
      const other = Stomp.client(wsUrl);
      client.debug = other.debug = null;
      await connected(client, { login, passcode });
      await connected(other, { login, passcode });
      const queued = [];
      const subscription = client.subscribe('/queue/test', (m) => queued.push(plain(m)), { id: 'mysubid' });
      // Both clients' first topic subscription is sub-0 (their counters start at 0).
      const quotes = [];
      const quotesOther = [];
      const s1 = client.subscribe('/topic/stocks', (message) => quotes.push(JSON.parse(message.body)));
      const s2 = other.subscribe('/topic/stocks', (message) => quotesOther.push({ quote: JSON.parse(message.body), sub: message.headers.subscription }));
      const ready = receipt(client, 'subscribed');
      const readyOther = receipt(other, 'subscribed-other');
      client.send('/topic/sync', { receipt: 'subscribed' }, 'x');
      other.send('/topic/sync', { receipt: 'subscribed-other' }, 'x');
      await ready; await readyOther;

      client.send('/queue/test', { priority: 9 }, 'Hello, STOMP');
      const quote = { symbol: 'APPL', value: 195.46 };
      client.send('/topic/stocks', {}, JSON.stringify(quote));
      await until(() => queued.length === 1 && quotes.length === 1 && quotesOther.length === 1, 4000, 'deliveries');
      subscription.unsubscribe();
      const unsub = receipt(client, 'unsubscribed');
      client.send('/topic/sync', { receipt: 'unsubscribed' }, 'x');
      await unsub;
      // After unsubscribe() the queue keeps what is sent; the other client takes it.
      client.send('/queue/test', {}, 'kept for the next consumer');
      const later = [];
      other.subscribe('/queue/test', (m) => later.push(m.body));
      await until(() => later.length === 1, 4000, 'the kept message');
      await sleep(100);
      s1.unsubscribe(); s2.unsubscribe();
      client.disconnect(); other.disconnect();
      return { queued, quotes, quotesOther, later, s1: s1.id, s2: s2.id, queuedAfterUnsub: queued.length };
    }, env());
    assert.equal(r.queued.length, 1);
    const m = r.queued[0];
    assert.equal(m.command, 'MESSAGE');
    assert.equal(m.body, 'Hello, STOMP');
    assert.equal(m.headers.priority, '9');
    assert.equal(m.headers.destination, '/queue/test');
    assert.equal(m.headers.subscription, 'mysubid');
    assert.ok(m.headers['message-id']);
    assert.deepEqual(r.quotes, [{ symbol: 'APPL', value: 195.46 }]);
    assert.deepEqual(r.quotesOther, [{ quote: { symbol: 'APPL', value: 195.46 }, sub: r.s2 }]);
    assert.equal(r.s1, 'sub-0');
    assert.equal(r.s2, 'sub-0');
    assert.deepEqual(r.later, ['kept for the next consumer']);
    assert.equal(r.queuedAfterUnsub, 1, 'nothing reaches an unsubscribed callback');
  }));

  test('two subscriptions with one callback ("queue/test", "queue/another"), then unsubscribe()', inPage(async (page) => {
    const r = await page.evaluate(async ({ wsUrl, login, passcode }) => {
      const client = Stomp.client(wsUrl);
      client.debug = null;
      await connected(client, { login, passcode });
      const got = [];
      const onmessage = (m) => got.push([m.headers.subscription, m.headers.destination, m.body]);
      const sub1 = client.subscribe('queue/test', onmessage);
      const sub2 = client.subscribe('queue/another', onmessage);
      const ready = receipt(client, 'subs');
      client.send('/topic/sync', { receipt: 'subs' }, 'x');
      await ready;
      client.send('queue/test', {}, 'one');
      client.send('queue/another', {}, 'two');
      await until(() => got.length === 2, 4000, 'both');
      sub1.unsubscribe();
      sub2.unsubscribe();
      client.send('queue/test', {}, 'after unsubscribe');
      client.send('queue/another', {}, 'after unsubscribe');
      const done = receipt(client, 'unsubs');
      client.send('/topic/sync', { receipt: 'unsubs' }, 'x');
      await done;
      await sleep(50);
      const gotBeforeDrain = got.length;
      // Queues keep what nobody took: the next consumer gets the two sent after unsubscribe().
      const kept = [];
      client.subscribe('queue/test', (m) => kept.push(m.body));
      client.subscribe('queue/another', (m) => kept.push(m.body));
      await until(() => kept.length === 2, 4000, 'kept');
      client.disconnect();
      return { got, gotBeforeDrain, kept, ids: [sub1.id, sub2.id] };
    }, env());
    // "queue/test" is the queue /queue/test (docs/compatibility.md): MESSAGE names it so.
    assert.deepEqual(r.got, [[r.ids[0], '/queue/test', 'one'], [r.ids[1], '/queue/another', 'two']]);
    assert.equal(r.gotBeforeDrain, 2, 'nothing reaches the unsubscribed callback');
    assert.deepEqual(r.kept, ['after unsubscribe', 'after unsubscribe']);
    assert.notEqual(r.ids[0], r.ids[1]);
  }));

  test("ack: 'client' with message.ack(); what is not acked is redelivered", inPage(async (page) => {
    const r = await page.evaluate(async ({ wsUrl, login, passcode }) => {
      const a = Stomp.client(wsUrl);
      a.debug = null;
      await connected(a, { login, passcode });
      const got = [];
      a.subscribe('/queue/ack-test', (message) => {
        got.push(message.body);
        if (message.body === 'first') message.ack(); // 'second' is left unacked
      }, { ack: 'client' });
      a.send('/queue/ack-test', {}, 'first');
      a.send('/queue/ack-test', {}, 'second');
      await until(() => got.length === 2, 4000, 'two deliveries');
      const acked = receipt(a, 'acked');
      a.send('/topic/sync', { receipt: 'acked' }, 'x');
      await acked;
      a.disconnect(); // unacked 'second' goes back to the queue

      const b = Stomp.client(wsUrl);
      b.debug = null;
      await connected(b, { login, passcode });
      const again = [];
      b.subscribe('/queue/ack-test', (message) => { again.push({ body: message.body, redelivered: message.headers.redelivered }); message.ack(); }, { ack: 'client' });
      b.send('/queue/ack-test', {}, 'marker');
      await until(() => again.some((m) => m.body === 'marker'), 4000, 'the marker');
      b.disconnect();
      return { got, again };
    }, env());
    assert.deepEqual(r.got, ['first', 'second']);
    assert.deepEqual(r.again, [{ body: 'second', redelivered: 'true' }, { body: 'marker', redelivered: undefined }]);
  }));

  test('message.ack() inside a transaction with a receipt, and message.nack()', inPage(async (page) => {
    const r = await page.evaluate(async ({ wsUrl, login, passcode }) => {
      const client = Stomp.client(wsUrl);
      client.debug = null;
      await connected(client, { login, passcode });
      const got = [];
      let pendingAck;
      client.subscribe('/queue/tx-ack', (message) => {
        got.push({ body: message.body, redelivered: message.headers.redelivered });
        if (message.body === 'nack me' && !message.headers.redelivered) message.nack();
        else if (message.body === 'ack in tx') pendingAck = message;
        else message.ack();
      }, { ack: 'client-individual' });
      client.send('/queue/tx-ack', {}, 'nack me');
      await until(() => got.length === 2, 4000, 'the NACKed message again');
      client.send('/queue/tx-ack', {}, 'ack in tx');
      await until(() => pendingAck !== undefined, 4000, 'ack in tx');
      const tx = client.begin();
      const receipted = receipt(client, 'my-receipt');
      pendingAck.ack({ transaction: tx.id, receipt: 'my-receipt' });
      const receiptFrame = await receipted;
      tx.commit();
      const committed = receipt(client, 'committed');
      client.send('/topic/sync', { receipt: 'committed' }, 'x');
      await committed;
      client.disconnect(); // nothing unacked is left: a new consumer gets nothing but its marker

      const b = Stomp.client(wsUrl);
      b.debug = null;
      await connected(b, { login, passcode });
      const after = [];
      b.subscribe('/queue/tx-ack', (m) => after.push(m.body));
      b.send('/queue/tx-ack', {}, 'marker');
      await until(() => after.includes('marker'), 4000, 'marker');
      b.disconnect();
      return { got, receiptId: receiptFrame.headers['receipt-id'], txId: tx.id, after };
    }, env());
    assert.deepEqual(r.got, [
      { body: 'nack me', redelivered: undefined },
      { body: 'nack me', redelivered: 'true' },
      { body: 'ack in tx', redelivered: undefined },
    ]);
    assert.equal(r.receiptId, 'my-receipt');
    assert.match(r.txId, /^tx-\d+$/);
    assert.deepEqual(r.after, ['marker']);
  }));

  test("a selector header: only messages whose header location is 'Europe'", inPage(async (page) => {
    const r = await page.evaluate(async ({ wsUrl, login, passcode }) => {
      const client = Stomp.client(wsUrl);
      client.debug = null;
      await connected(client, { login, passcode });
      const europe = [];
      const headers = { ack: 'client', selector: "location = 'Europe'" };
      client.subscribe('/queue/selector-test', (message) => { europe.push(message.body); message.ack(); }, headers);
      const topic = [];
      client.subscribe('/topic/weather', (message) => topic.push(message.body), { selector: "location = 'Europe'" });
      for (const [location, body] of [['Asia', 'tokyo'], ['Europe', 'paris'], ['America', 'nyc'], ['Europe', 'berlin']]) {
        client.send('/queue/selector-test', { location }, body);
        client.send('/topic/weather', { location }, body);
      }
      await until(() => europe.length === 2 && topic.length === 2, 4000, 'Europe');
      const done = receipt(client, 'sel');
      client.send('/topic/sync', { receipt: 'sel' }, 'x');
      await done;
      await sleep(50);
      client.disconnect();
      // The others stayed in the queue for consumers without that selector.
      const b = Stomp.client(wsUrl);
      b.debug = null;
      await connected(b, { login, passcode });
      const rest = [];
      b.subscribe('/queue/selector-test', (m) => rest.push(m.body));
      await until(() => rest.length === 2, 4000, 'the rest');
      b.disconnect();
      return { europe, topic, rest };
    }, env());
    assert.deepEqual(r.europe, ['paris', 'berlin']);
    assert.deepEqual(r.topic, ['paris', 'berlin']);
    assert.deepEqual(r.rest, ['tokyo', 'nyc']);
  }));

  test('transactions: sends are held until commit and dropped on abort', inPage(async (page) => {
    const r = await page.evaluate(async ({ wsUrl, login, passcode }) => {
      const client = Stomp.client(wsUrl);
      client.debug = null;
      await connected(client, { login, passcode });
      const got = [];
      client.subscribe('/queue/tx-test', (m) => got.push(m.body));
      const checkpoint = async (id) => {
        const p = receipt(client, id);
        client.send('/queue/tx-test', { receipt: id }, 'marker ' + id);
        await p;
        await until(() => got.includes('marker ' + id), 4000, 'marker ' + id);
        return [...got];
      };

      const tx = client.begin();
      client.send('/queue/tx-test', { transaction: tx.id }, 'message in a transaction');
      const beforeCommit = await checkpoint('1');
      tx.commit(); // only now is the message delivered
      const afterCommit = await checkpoint('2');

      const tx2 = client.begin();
      client.send('/queue/tx-test', { transaction: tx2.id }, 'dropped by abort');
      client.send('/queue/tx-test', {}, 'I thought I was in a transaction!'); // outside: delivered at once
      const beforeAbort = await checkpoint('3');
      tx2.abort();
      const afterAbort = await checkpoint('4');
      client.disconnect();
      return { beforeCommit, afterCommit, beforeAbort, afterAbort, ids: [tx.id, tx2.id] };
    }, env());
    assert.deepEqual(r.beforeCommit, ['marker 1']);
    assert.deepEqual(r.afterCommit, ['marker 1', 'message in a transaction', 'marker 2']);
    assert.deepEqual(r.beforeAbort, ['marker 1', 'message in a transaction', 'marker 2', 'I thought I was in a transaction!', 'marker 3']);
    assert.deepEqual(r.afterAbort, [...r.beforeAbort, 'marker 4']);
    assert.notEqual(r.ids[0], r.ids[1]);
  }));

  test('UTF-8: Chinese bodies and headers round-trip through the browser', inPage(async (page) => {
    const small = '你好，世界！这是一条中文消息。🌏 Ünïcödé';
    // Over 16 KB: stompjs splits the frame over several WebSocket messages.
    const large = '中文消息'.repeat(6000);
    const r = await page.evaluate(async ({ wsUrl, login, passcode, small, large }) => {
      const client = Stomp.client(wsUrl);
      client.debug = null;
      await connected(client, { login, passcode });
      const q = [];
      const tp = [];
      client.subscribe('/queue/中文', (m) => q.push({ body: m.body, title: m.headers['x-标题'], len: m.headers['content-length'] }));
      client.subscribe('/topic/新闻', (m) => tp.push(m.body));
      const ready = receipt(client, 'r');
      client.send('/topic/sync', { receipt: 'r' }, 'x');
      await ready;
      client.send('/queue/中文', { 'x-标题': '问候' }, small);
      client.send('/queue/中文', {}, large);
      client.send('/topic/新闻', {}, small);
      client.send('/topic/新闻', { 'content-type': 'application/json' }, JSON.stringify({ 城市: '北京', 温度: 21.5 }));
      await until(() => q.length === 2 && tp.length === 2, 4000, 'UTF-8 messages');
      client.disconnect();
      return { q, tp };
    }, { ...env(), small, large });
    assert.equal(r.q[0].body, small);
    assert.equal(r.q[0].title, '问候');
    assert.equal(r.q[0].len, String(Buffer.byteLength(small)));
    assert.equal(r.q[1].body.length, large.length);
    assert.equal(r.q[1].body, large);
    assert.equal(r.tp[0], small);
    assert.deepEqual(JSON.parse(r.tp[1]), { 城市: '北京', 温度: 21.5 });
  }));
});
