// The stompjs 2.3.3 guide (shared/scenarios/stompjs-guide/snippets.js), call by call, in
// Node.js with the real `stompjs` package against the started `stompbox` CLI: the same set
// over TCP (`Stomp.overTCP`) and over WebSocket (`Stomp.overWS`, which uses the `websocket`
// npm package). Each test checks what the guide says the call does, with real messages.
// stompjs 2.3.3 speaks STOMP 1.1 (accept-version 1.1,1.0): ACK/NACK carry message-id and
// subscription.
// This file: sending, subscribing, selectors, acks and transactions; connecting, heart-beats
// and debug output are in stompjs-guide-connect.test.mjs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerSessions, inbox, unique } from './helpers.mjs';
import { KINDS, guideBrokers, guideClients, receiptOf, suiteName, sync } from './stompjs-guide-support.mjs';

const brokers = guideBrokers();

for (const kind of KINDS) {
  describe(suiteName(kind), () => {
    const { connected, sessionsBack, nextConsumer } = guideClients(kind, brokers);

    test('send(destination, {priority: 9}, body) and send(destination, {}, body)', async () => {
      const c = await connected();
      const dest = `/queue/${unique('test')}`;
      const box = inbox();
      c.subscribe(dest, box.cb);
      c.send(dest, { priority: 9 }, 'Hello, STOMP');
      c.send(dest, {}, 'body only');
      const [m1, m2] = await box.take(2);
      assert.equal(m1.body, 'Hello, STOMP');
      assert.equal(m1.headers.priority, '9');
      assert.equal(m1.headers.destination, dest);
      assert.ok(m1.headers['message-id']);
      assert.equal(m2.body, 'body only');
      assert.equal(m2.headers.priority, undefined);
      c.disconnect();
    });

    test('subscribe(destination, callback) and subscribe(destination, callback, {id: mysubid})', async () => {
      const c = await connected();
      const dest = `/queue/${unique('test')}`;
      const dest2 = `/queue/${unique('test')}`;
      const box = inbox();
      const box2 = inbox();
      const sub = c.subscribe(dest, box.cb);
      const mysub = c.subscribe(dest2, box2.cb, { id: 'mysubid' });
      assert.match(sub.id, /^sub-\d+$/);
      assert.equal(mysub.id, 'mysubid');
      c.send(dest, {}, 'one');
      c.send(dest2, {}, 'two');
      const m = await box.next();
      const m2 = await box2.next();
      assert.equal(m.headers.subscription, sub.id);
      assert.equal(m.body, 'one');
      assert.equal(m2.headers.subscription, 'mysubid');
      assert.equal(m2.body, 'two');
      c.disconnect();
    });

    test("subscribe with {ack: 'client', selector: \"location = 'Europe'\"}: only matching messages, acked with message.ack()", async () => {
      const before = await brokerSessions(brokers.main);
      const c = await connected();
      const dest = `/queue/${unique('test')}`;
      const box = inbox();
      c.subscribe(dest, (m) => (box.cb(m), m.ack()), { ack: 'client', selector: "location = 'Europe'" });
      c.send(dest, { location: 'Europe' }, 'e1');
      c.send(dest, { location: 'Asia' }, 'a1');
      c.send(dest, { location: 'Europe' }, 'e2');
      c.send(dest, {}, 'no location');
      assert.deepEqual((await box.take(2)).map((m) => m.body), ['e1', 'e2']);
      assert.equal(box.items[0].headers.location, 'Europe');
      await box.none(300);
      // The others stayed on the queue; the acked ones are gone.
      const { c2, rest } = await nextConsumer(c, dest, before);
      assert.deepEqual((await rest.take(2)).map((m) => m.body), ['a1', 'no location']);
      await rest.none(300);
      c2.disconnect();
    });

    test("several subscriptions share one callback: subscribe('queue/test'), subscribe('queue/another')", async () => {
      const c = await connected();
      const box = inbox();
      const onmessage = box.cb;
      const a = unique('queue/test');
      const b = unique('queue/another');
      const sub1 = c.subscribe(a, onmessage);
      const sub2 = c.subscribe(b, onmessage);
      assert.notEqual(sub1.id, sub2.id);
      c.send(a, {}, 'to test');
      c.send(b, {}, 'to another');
      const got = await box.take(2);
      const bySub = Object.fromEntries(got.map((m) => [m.headers.subscription, [m.headers.destination, m.body]]));
      // No leading '/': the queues /queue/test... and /queue/another... (docs/compatibility.md).
      assert.deepEqual(bySub, { [sub1.id]: ['/' + a, 'to test'], [sub2.id]: ['/' + b, 'to another'] });
      c.disconnect();
    });

    test('subscription.unsubscribe() stops the deliveries of that subscription only', async () => {
      const c = await connected();
      const topic = `/topic/${unique('news')}`;
      const gone = inbox();
      const kept = inbox();
      const subscription = c.subscribe(topic, gone.cb);
      c.subscribe(topic, kept.cb);
      c.send(topic, {}, 'before');
      assert.equal((await gone.next()).body, 'before');
      assert.equal((await kept.next()).body, 'before');
      subscription.unsubscribe();
      c.send(topic, {}, 'after');
      assert.equal((await kept.next()).body, 'after');
      await gone.none(200);
      // On a queue, what arrives after unsubscribe() waits for the next consumer.
      const before = await brokerSessions(brokers.main);
      const q = `/queue/${unique('test')}`;
      const c2 = await connected();
      const qsub = c2.subscribe(q, gone.cb);
      qsub.unsubscribe();
      c2.send(q, {}, 'kept for later');
      await sync(c2);
      await gone.none(100);
      c2.disconnect();
      await sessionsBack(before);
      const later = inbox();
      c.subscribe(q, later.cb);
      assert.equal((await later.next()).body, 'kept for later');
      c.disconnect();
    });

    test('JSON bodies: send(JSON.stringify(quote)) and JSON.parse(message.body)', async () => {
      const c = await connected();
      const topic = `/topic/${unique('stocks')}`;
      const box = inbox();
      c.subscribe(topic, (message) => box.cb(JSON.parse(message.body)));
      const quote = { symbol: 'APPL', value: 195.46 };
      c.send(topic, {}, JSON.stringify(quote));
      const unicode = { symbol: '腾讯', value: -0.5, note: 'naïve "quotes" \\ and\nnewline' };
      c.send(topic, {}, JSON.stringify(unicode));
      assert.deepEqual(await box.next(), quote);
      assert.deepEqual(await box.next(), unicode);
      c.disconnect();
    });

    test("ack: 'client' is cumulative, 'client-individual' is not (unacked messages go to the next consumer)", async () => {
      for (const [mode, left] of [['client', []], ['client-individual', ['m1']]]) {
        const before = await brokerSessions(brokers.main);
        const c = await connected();
        const q = `/queue/${unique('test')}`;
        const box = inbox();
        c.subscribe(q, box.cb, { ack: mode });
        c.send(q, {}, 'm1');
        c.send(q, {}, 'm2');
        const [, m2] = await box.take(2);
        m2.ack(); // acks m1 too in 'client' mode
        await sync(c);
        const { c2, rest } = await nextConsumer(c, q, before);
        assert.deepEqual((await rest.take(left.length)).map((m) => m.body), left, mode);
        await rest.none(300);
        c2.disconnect();
      }
    });

    test('message.ack({transaction: tx.id, receipt}) takes effect at tx.commit(), not at tx.abort()', async () => {
      for (const end of ['commit', 'abort']) {
        const before = await brokerSessions(brokers.main);
        const c = await connected();
        const q = `/queue/${unique('test')}`;
        const box = inbox();
        c.subscribe(q, box.cb, { ack: 'client' });
        c.send(q, {}, `to be acked, then ${end}`);
        const message = await box.next();
        const tx = c.begin();
        message.ack({ transaction: tx.id, receipt: 'my-receipt' });
        const r = await receiptOf(c, 'my-receipt');
        assert.equal(r.command, 'RECEIPT');
        tx[end]();
        await sync(c);
        const { c2, rest } = await nextConsumer(c, q, before);
        if (end === 'commit') {
          await rest.none(400);
        } else {
          const again = await rest.next();
          assert.equal(again.body, message.body);
          assert.equal(again.headers['message-id'], message.headers['message-id']);
          assert.equal(again.headers.redelivered, 'true');
        }
        c2.disconnect();
      }
    });

    test('message.nack(): the message was not consumed and is delivered again', async () => {
      const c = await connected();
      const q = `/queue/${unique('test')}`;
      const box = inbox();
      c.subscribe(q, box.cb, { ack: 'client' });
      c.send(q, {}, 'try me twice');
      const first = await box.next();
      assert.equal(first.headers.redelivered, undefined);
      first.nack();
      const second = await box.next();
      assert.equal(second.body, 'try me twice');
      assert.equal(second.headers['message-id'], first.headers['message-id']);
      assert.equal(second.headers.redelivered, 'true');
      second.ack();
      await sync(c);
      await box.none(200);
      c.disconnect();
    });

    test('transactions: a send in tx is delivered only at tx.commit(); sends outside tx go at once; tx.abort() drops', async () => {
      const c = await connected();
      const q = `/queue/${unique('test')}`;
      const box = inbox();
      c.subscribe(q, box.cb);

      let tx = c.begin();
      assert.match(tx.id, /^tx-\d+$/);
      c.send(q, { transaction: tx.id }, 'message in a transaction');
      c.send(q, {}, 'outside');
      assert.equal((await box.next()).body, 'outside');
      await sync(c);
      await box.none(200);
      tx.commit(); // only now is the message delivered
      const m = await box.next();
      assert.equal(m.body, 'message in a transaction');
      assert.equal(m.headers.transaction, undefined);

      tx = c.begin();
      c.send(q, {}, 'I thought I was in a transaction!');
      c.send(q, { transaction: tx.id }, 'really in the transaction');
      assert.equal((await box.next()).body, 'I thought I was in a transaction!');
      tx.abort();
      c.send(q, {}, 'after abort');
      assert.equal((await box.next()).body, 'after abort');
      await box.none(300);
      c.disconnect();
    });
  });
}
