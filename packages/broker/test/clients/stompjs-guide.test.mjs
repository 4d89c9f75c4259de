// The stompjs 2.3.3 guide (shared/scenarios/stompjs-guide/snippets.js), call by call, in
// Node.js with the real `stompjs` package against the started `stompbox` CLI: the same set
// over TCP (`Stomp.overTCP`) and over WebSocket (`Stomp.overWS`, which uses the `websocket`
// npm package). Each test checks what the guide says the call does, with real messages.
// stompjs 2.3.3 speaks STOMP 1.1 (accept-version 1.1,1.0): ACK/NACK carry message-id and
// subscription, heart-beats are negotiated as in STOMP 1.1 §"Heart-beating".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnBroker } from '../../dist/test/support/spawn-broker.js';
import { brokerSessions, inbox, sleep, unique, waitFor, within } from './helpers.mjs';

const require = createRequire(import.meta.url);
const Stomp = require('stompjs'); // Stomp with .over, .client, .overTCP, .overWS
const WebSocket = require('ws');
const SockJS = require('sockjs-client');

const LOGIN = 'mylogin';
const PASSCODE = 'mypasscode';

/** Requires logins (the guide always passes mylogin/mypasscode), default heart-beats (10 s). */
let broker;
/** Anonymous, offers and wants heart-beats every 100 ms (heart-beat:100,100 in CONNECTED). */
let hbBroker;
const clients = new Set();

before(async () => {
  [broker, hbBroker] = await Promise.all([
    spawnBroker(['--users', `${LOGIN}:${PASSCODE}`]),
    spawnBroker(['--heartbeat-send-ms', '100', '--heartbeat-receive-ms', '100']),
  ]);
});

after(async () => {
  for (const c of clients) if (c.connected) c.disconnect();
  await Promise.all([broker?.stop(), hbBroker?.stop()]);
});

const transports = {
  tcp: (b) => Stomp.overTCP('127.0.0.1', b.stompPort),
  ws: (b) => Stomp.overWS(b.wsUrl),
};

/** A client whose debug output is kept in `client.log` and whose receipts land in `client.receipts`. */
function track(client) {
  client.log = [];
  client.debug = (str) => client.log.push(str);
  client.receipts = inbox('receipt');
  client.onreceipt = client.receipts.cb;
  clients.add(client);
  return client;
}

function describeError(e) {
  return typeof e === 'string' ? e : `${e.command} ${JSON.stringify(e.headers)} ${e.body}`;
}

/** Runs `call(onConnect, onError)` and resolves with the CONNECTED frame. */
function connecting(call, what = 'CONNECTED') {
  return within(
    new Promise((resolve, reject) => call(resolve, (e) => reject(new Error(`connect failed: ${describeError(e)}`)))),
    5000,
    what,
  );
}

/** Waits for the RECEIPT with this id (frames on one connection are processed in order). */
async function receiptOf(client, id) {
  for (;;) {
    const f = await client.receipts.next(3000);
    if (f.headers['receipt-id'] === id) return f;
  }
}

/** A marker SEND with a receipt: when it comes back, every earlier frame of this client was handled. */
async function sync(client) {
  const id = unique('sync');
  client.send(`/topic/${id}`, { receipt: id }, '');
  await receiptOf(client, id);
}

for (const kind of ['tcp', 'ws']) {
  describe(`stompjs 2.3.3 guide over ${kind === 'tcp' ? 'TCP (Stomp.overTCP)' : 'WebSocket (Stomp.overWS)'}`, () => {
    const make = (b = broker) => track(transports[kind](b));

    /** A connected client, by the guide's 4-argument form. */
    async function connected(b = broker) {
      const c = make(b);
      await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
      return c;
    }

    /** Waits until the broker has `n` sessions (a closed client's cleanup is done). */
    const sessionsBack = (n) => waitFor(async () => (await brokerSessions(broker)) === n, 3000, `${n} broker sessions`);

    test('connect(login, passcode, connectCallback)', async () => {
      const c = make();
      const frame = await connecting((ok) => c.connect(LOGIN, PASSCODE, ok));
      assert.equal(frame.command, 'CONNECTED');
      assert.equal(frame.headers.version, '1.1');
      assert.match(frame.headers.server, /^Stompbox\//);
      assert.equal(frame.headers['user-name'], LOGIN);
      assert.equal(c.connected, true);
      c.disconnect();
    });

    test('connect(login, passcode, connectCallback, errorCallback)', async () => {
      const c = make();
      const errors = [];
      const frame = await connecting((ok) => c.connect(LOGIN, PASSCODE, ok, (e) => errors.push(e)));
      assert.equal(frame.headers.version, '1.1');
      await sync(c);
      assert.deepEqual(errors, []);
      c.disconnect();
    });

    test('connect(login, passcode, connectCallback, errorCallback, host) sends the host header', async () => {
      const c = make();
      await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err, '/'));
      const connectFrame = c.log.find((l) => l.startsWith('>>> CONNECT\n'));
      assert.ok(connectFrame, 'CONNECT frame in debug output');
      assert.match(connectFrame, /\nhost:\/\n/);
      assert.match(connectFrame, /\nlogin:mylogin\n/);
      c.disconnect();
    });

    test('connect(headers, connectCallback) with client-id', async () => {
      const c = make();
      const headers = { login: LOGIN, passcode: PASSCODE, 'client-id': 'my-client-id' };
      const frame = await connecting((ok) => c.connect(headers, ok));
      assert.equal(frame.headers.version, '1.1');
      assert.match(c.log.find((l) => l.startsWith('>>> CONNECT\n')), /\nclient-id:my-client-id\n/);
      c.disconnect();
    });

    test('connect(headers, connectCallback, errorCallback)', async () => {
      const c = make();
      const headers = { login: LOGIN, passcode: PASSCODE, 'client-id': 'my-client-id' };
      const frame = await connecting((ok, err) => c.connect(headers, ok, err));
      assert.equal(frame.headers['user-name'], LOGIN);
      c.disconnect();
    });

    test('a refused login calls errorCallback with an ERROR frame whose message header says why', async () => {
      for (const [args, expect] of [
        [[LOGIN, 'wrong'], /mylogin/],
        [['nobody', PASSCODE], /nobody/],
      ]) {
        const c = make();
        const errors = inbox('error callback');
        let connectedCalled = false;
        c.connect(...args, () => (connectedCalled = true), errors.cb);
        const error = await errors.next(5000);
        assert.equal(typeof error, 'object', `first error is the ERROR frame, got ${describeError(error)}`);
        assert.equal(error.command, 'ERROR');
        assert.equal(typeof error.headers.message, 'string');
        assert.match(error.headers.message, /refused/);
        assert.match(error.headers.message, expect);
        // STOMP 1.2 §ERROR: the server closes the connection after an ERROR frame.
        const lost = await errors.next(5000);
        assert.match(lost, /Whoops! Lost connection/);
        assert.equal(connectedCalled, false);
        assert.equal(c.connected, false);
      }
      // The headers form without any login.
      const c = make();
      const errors = inbox('error callback');
      c.connect({}, () => assert.fail('connected without a login'), errors.cb);
      const error = await errors.next(5000);
      assert.equal(error.command, 'ERROR');
      assert.match(error.headers.message, /login/);
    });

    test('heartbeat.outgoing = 20000, incoming = 0: client pings every 20 s, server sends no heart-beats', async () => {
      const c = make(hbBroker);
      c.heartbeat.outgoing = 20000;
      c.heartbeat.incoming = 0;
      const frame = await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
      assert.equal(frame.headers['heart-beat'], '100,100');
      assert.match(c.log.find((l) => l.startsWith('>>> CONNECT\n')), /\nheart-beat:20000,0\n/);
      assert.ok(c.log.includes('send PING every 20000ms'), c.log.join(' | '));
      assert.ok(!c.log.some((l) => l.startsWith('check PONG')), 'no incoming check');
      await sleep(700);
      assert.equal(c.log.filter((l) => l === '<<< PONG').length, 0, 'server sent heart-beats the client did not want');
      // The server wants beats every 100 ms but the client can only do 20000: 20000 is agreed,
      // so the quiet client is still connected.
      assert.equal(c.connected, true);
      const box = inbox();
      const dest = `/queue/${unique('hb')}`;
      c.subscribe(dest, box.cb);
      c.send(dest, {}, 'still here');
      assert.equal((await box.next()).body, 'still here');
      c.disconnect();
    });

    test('heart-beats every 100 ms both ways keep the connection up', async () => {
      const c = make(hbBroker);
      c.heartbeat.outgoing = 100;
      c.heartbeat.incoming = 100;
      const errors = [];
      await connecting((ok) => c.connect(LOGIN, PASSCODE, ok, (e) => errors.push(e)));
      assert.ok(c.log.includes('send PING every 100ms'), c.log.join(' | '));
      assert.ok(c.log.includes('check PONG every 100ms'), c.log.join(' | '));
      await sleep(1000);
      assert.deepEqual(errors, []);
      assert.equal(c.connected, true);
      const pings = c.log.filter((l) => l === '>>> PING').length;
      const pongs = c.log.filter((l) => l === '<<< PONG').length;
      assert.ok(pings >= 5, `client sent ${pings} heart-beats`);
      assert.ok(pongs >= 5, `server sent ${pongs} heart-beats`);
      c.disconnect();
    });

    // stompjs 2.3.3's TCP wrapper hands each socket read to the frame parser as is: a read
    // holding a heart-beat EOL and then a frame ("\nMESSAGE...") is parsed as a frame with an
    // empty command ("Unhandled frame") and the message is lost. That happens with any broker
    // that sends heart-beats; with 100 ms beats it is frequent because the client's Nagle-held
    // SEND is released by the ACK riding on the server's beat, so the MESSAGE follows the beat
    // within microseconds. Over WebSocket every frame is its own message and this cannot happen.
    test('messages flow while heart-beats run every 100 ms', kind === 'tcp' ? { todo: 'stompjs 2.3.3 overTCP loses a frame read together with a preceding heart-beat EOL (client bug)' } : {}, async () => {
      const c = make(hbBroker);
      c.heartbeat.outgoing = 100;
      c.heartbeat.incoming = 100;
      await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
      const box = inbox();
      const dest = `/queue/${unique('hb')}`;
      c.subscribe(dest, box.cb);
      for (let i = 0; i < 10; i++) {
        await sleep(50 + i * 7);
        c.send(dest, {}, `beat ${i}`);
        assert.equal((await box.next(1000)).body, `beat ${i}`, c.log.filter((l) => l.startsWith('Unhandled')).join('\n'));
      }
      c.disconnect();
    });

    test('a client that stops its heart-beats is disconnected by the server with an ERROR', async () => {
      const c = make(hbBroker);
      c.heartbeat.outgoing = 100;
      c.heartbeat.incoming = 0;
      const errors = inbox('error callback');
      await connecting((ok) => c.connect(LOGIN, PASSCODE, ok, errors.cb));
      Stomp.clearInterval(c.pinger); // the client freezes
      const error = await errors.next(3000);
      assert.equal(error.command, 'ERROR', describeError(error));
      assert.match(error.headers.message, /heart-beat/);
      assert.match(await errors.next(3000), /Lost connection/);
    });

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
      const before = await brokerSessions(broker);
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
      c.disconnect();
      await sessionsBack(before);
      // The others stayed on the queue; the acked ones are gone.
      const c2 = await connected();
      const rest = inbox();
      c2.subscribe(dest, rest.cb);
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
      assert.deepEqual(bySub, { [sub1.id]: [a, 'to test'], [sub2.id]: [b, 'to another'] });
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
      const before = await brokerSessions(broker);
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
        const before = await brokerSessions(broker);
        const c = await connected();
        const q = `/queue/${unique('test')}`;
        const box = inbox();
        c.subscribe(q, box.cb, { ack: mode });
        c.send(q, {}, 'm1');
        c.send(q, {}, 'm2');
        const [, m2] = await box.take(2);
        m2.ack(); // acks m1 too in 'client' mode
        await sync(c);
        c.disconnect();
        await sessionsBack(before);
        const c2 = await connected();
        const rest = inbox();
        c2.subscribe(q, rest.cb);
        assert.deepEqual((await rest.take(left.length)).map((m) => m.body), left, mode);
        await rest.none(300);
        c2.disconnect();
      }
    });

    test('message.ack({transaction: tx.id, receipt}) takes effect at tx.commit(), not at tx.abort()', async () => {
      for (const end of ['commit', 'abort']) {
        const before = await brokerSessions(broker);
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
        c.disconnect();
        await sessionsBack(before);
        const c2 = await connected();
        const rest = inbox();
        c2.subscribe(q, rest.cb);
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

    test('client.debug receives every frame sent and received', async () => {
      const c = make();
      await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
      const dest = `/queue/${unique('test')}`;
      const box = inbox();
      c.subscribe(dest, box.cb);
      c.send(dest, { priority: 9 }, 'debug me');
      await box.next();
      const starts = (p) => c.log.filter((l) => l.startsWith(p));
      assert.equal(starts('>>> CONNECT\n').length, 1);
      assert.equal(starts('<<< CONNECTED\n').length, 1);
      assert.match(starts('>>> SUBSCRIBE\n')[0], new RegExp(`destination:${dest}`));
      assert.match(starts('>>> SEND\n')[0], /priority:9/);
      const msg = starts('<<< MESSAGE\n')[0];
      assert.match(msg, /debug me/);
      assert.match(msg, /content-length:8/);
      assert.ok(c.log.some((l) => /^connected to server Stompbox\//.test(l)));
      c.disconnect();
      assert.ok(starts('>>> DISCONNECT\n').length === 1);
    });

    test('client.disconnect(callback) calls back and ends the session on the broker', async () => {
      const before = await brokerSessions(broker);
      const c = await connected();
      assert.equal(await brokerSessions(broker), before + 1);
      let called = 0;
      c.disconnect(() => called++);
      assert.equal(called, 1);
      assert.equal(c.connected, false);
      await sessionsBack(before);
    });

    if (kind === 'ws') {
      test('Stomp.client(url) and Stomp.client(url, ["v11.stomp"]) (browser API, with ws as the WebSocket class)', async () => {
        Stomp.WebSocketClass = WebSocket;
        try {
          const url = broker.wsUrl.replace(/\/ws$/, '/stomp');
          // One at a time: connect() must set ws.onopen before the socket opens.
          for (const create of [() => Stomp.client(url), () => Stomp.client(url, ['v11.stomp']), () => Stomp.client(broker.wsUrl)]) {
            const c = track(create());
            const frame = await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
            assert.equal(frame.headers.version, '1.1');
            assert.equal(c.ws.protocol, 'v11.stomp');
            const box = inbox();
            const dest = `/topic/${unique('t')}`;
            c.subscribe(dest, box.cb);
            c.send(dest, {}, 'over the native-style WebSocket');
            assert.equal((await box.next()).body, 'over the native-style WebSocket');
            c.disconnect();
          }
        } finally {
          delete Stomp.WebSocketClass;
        }
      });

      test('Stomp.over(new SockJS(url))', { todo: 'Stompbox does not serve SockJS yet (ROADMAP item 2)' }, async () => {
        const url = `http://127.0.0.1:${broker.httpPort}/stomp`;
        const c = track(Stomp.over(new SockJS(url)));
        await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
        c.disconnect();
      });
    }
  });
}
