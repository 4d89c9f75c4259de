// The stompjs 2.3.3 guide (shared/scenarios/stompjs-guide/snippets.js), call by call, in
// Node.js with the real `stompjs` package against the started `stompbox` CLI: the same set
// over TCP (`Stomp.overTCP`) and over WebSocket (`Stomp.overWS`, which uses the `websocket`
// npm package). Each test checks what the guide says the call does, with real messages.
// stompjs 2.3.3 speaks STOMP 1.1 (accept-version 1.1,1.0): heart-beats are negotiated as in
// STOMP 1.1 §"Heart-beating".
// This file: connecting, heart-beats, debug output, disconnecting, and the browser-style
// Stomp.client / Stomp.over; sending, subscribing, acks and transactions are in
// stompjs-guide-messaging.test.mjs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { brokerSessions, inbox, sleep, unique } from './helpers.mjs';
import {
  KINDS, LOGIN, PASSCODE, Stomp, connecting, describeError, guideBrokers, guideClients, roundTrip, suiteName, sync, track,
} from './stompjs-guide-support.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const SockJS = require('sockjs-client');

const brokers = guideBrokers({ heartbeats: true });

for (const kind of KINDS) {
  describe(suiteName(kind), () => {
    const { make, connected, sessionsBack } = guideClients(kind, brokers);

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
      const c = make(brokers.hb);
      c.heartbeat.outgoing = 20000;
      c.heartbeat.incoming = 0;
      const frame = await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
      assert.equal(frame.headers['heart-beat'], '100,100');
      assert.match(c.log.find((l) => l.startsWith('>>> CONNECT\n')), /\nheart-beat:20000,0\n/);
      assert.ok(c.log.includes('send PING every 20000ms'), c.log.join(' | '));
      assert.ok(!c.log.some((l) => l.startsWith('check PONG')), 'no incoming check');
      // The EOL that ends CONNECTED (NUL EOL, as RabbitMQ sends) may arrive in its own TCP
      // chunk, which stompjs 2.3.3 logs as a PONG: count only what comes after it.
      await sleep(50);
      const from = c.log.length;
      await sleep(700);
      assert.equal(c.log.slice(from).filter((l) => l === '<<< PONG').length, 0, 'server sent heart-beats the client did not want');
      // The server wants beats every 100 ms but the client can only do 20000: 20000 is agreed,
      // so the quiet client is still connected.
      assert.equal(c.connected, true);
      await roundTrip(c, `/queue/${unique('hb')}`, 'still here');
      c.disconnect();
    });

    test('heart-beats every 100 ms both ways keep the connection up', async () => {
      const c = make(brokers.hb);
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
      const c = make(brokers.hb);
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
      const c = make(brokers.hb);
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
      const before = await brokerSessions(brokers.main);
      const c = await connected();
      assert.equal(await brokerSessions(brokers.main), before + 1);
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
          const url = brokers.main.wsUrl.replace(/\/ws$/, '/stomp');
          // One at a time: connect() must set ws.onopen before the socket opens.
          for (const create of [() => Stomp.client(url), () => Stomp.client(url, ['v11.stomp']), () => Stomp.client(brokers.main.wsUrl)]) {
            const c = track(create());
            const frame = await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
            assert.equal(frame.headers.version, '1.1');
            assert.equal(c.ws.protocol, 'v11.stomp');
            await roundTrip(c, `/topic/${unique('t')}`, 'over the native-style WebSocket');
            c.disconnect();
          }
        } finally {
          delete Stomp.WebSocketClass;
        }
      });

      test('Stomp.over(new SockJS(url))', { todo: 'Stompbox does not serve SockJS yet (ROADMAP item 2)' }, async () => {
        const url = `http://127.0.0.1:${brokers.main.httpPort}/stomp`;
        const c = track(Stomp.over(new SockJS(url)));
        await connecting((ok, err) => c.connect(LOGIN, PASSCODE, ok, err));
        c.disconnect();
      });
    }
  });
}
