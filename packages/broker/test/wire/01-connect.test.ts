/**
 * 01: CONNECT / STOMP, version negotiation, CONNECTED headers, login, connect timeout
 * (STOMP 1.2 §"Connecting", §"Protocol Negotiation"). Black box against the CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { delay, errorThenClose, headerOf as h, roundTrip, stompConnect, tcpPeer, within } from '../support/wire.js';

describe('01 connect', () => {
  let open: SpawnedBroker;
  let secured: SpawnedBroker;

  before(async () => {
    [open, secured] = await Promise.all([
      spawnBroker(['--connect-timeout-ms', '300']),
      spawnBroker(['--users', 'admin:admin,guest:s3cr:et']),
    ]);
  });
  after(async () => {
    await Promise.all([open?.stop(), secured?.stop()]);
  });

  describe('version negotiation', () => {
    test('no accept-version means STOMP 1.0 (SUBSCRIBE without id is then fine)', async () => {
      const c = await tcpPeer(open.stompPort);
      c.send('CONNECT', { host: '/' });
      const connected = await c.next('CONNECTED');
      assert.ok([undefined, '1.0'].includes(h(connected.headers, 'version')), `version ${h(connected.headers, 'version')}`);
      await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/v10' });
      c.close();
    });

    test('accept-version 1.0,1.1 gives 1.1', async () => {
      const c = await tcpPeer(open.stompPort);
      c.send('CONNECT', { 'accept-version': '1.0,1.1', host: '/' });
      assert.equal(h((await c.next('CONNECTED')).headers, 'version'), '1.1');
      c.close();
    });

    test('accept-version 1.2 gives 1.2', async () => {
      const c = await tcpPeer(open.stompPort);
      c.send('CONNECT', { 'accept-version': '1.2', host: '/' });
      assert.equal(h((await c.next('CONNECTED')).headers, 'version'), '1.2');
      c.close();
    });

    test('the highest common version wins whatever the order offered', async () => {
      const c = await tcpPeer(open.stompPort);
      c.send('CONNECT', { 'accept-version': '1.2, 1.0 ,1.1', host: '/' });
      assert.equal(h((await c.next('CONNECTED')).headers, 'version'), '1.2');
      c.close();
    });

    test('accept-version 2.0 only: ERROR naming the supported versions, then close', async () => {
      const c = await tcpPeer(open.stompPort);
      c.send('CONNECT', { 'accept-version': '2.0', host: '/' });
      const err = await errorThenClose(c);
      const version = h(err.headers, 'version');
      assert.ok(version !== undefined, 'ERROR must carry a version header');
      assert.deepEqual(version.split(',').map((v) => v.trim()).sort(), ['1.0', '1.1', '1.2']);
      assert.ok(h(err.headers, 'message'), 'ERROR should say why');
      assert.ok(c.frames.every((f) => f.command !== 'CONNECTED'));
    });
  });

  test('the STOMP frame is the same as CONNECT', async () => {
    const c = await tcpPeer(open.stompPort);
    c.send('STOMP', { 'accept-version': '1.2', host: 'localhost' });
    const f = await c.next('CONNECTED');
    assert.equal(h(f.headers, 'version'), '1.2');
    await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/stomp-frame', id: '0' });
    c.close();
  });

  test('CONNECTED carries version, server, session and heart-beat', async () => {
    const a = await tcpPeer(open.stompPort);
    const b = await tcpPeer(open.stompPort);
    const fa = await stompConnect(a, { 'heart-beat': '0,0' });
    const fb = await stompConnect(b);
    assert.equal(h(fa.headers, 'version'), '1.2');
    assert.match(h(fa.headers, 'server') ?? '', /^Stompbox\/\d+\.\d+\.\d+/);
    const session = h(fa.headers, 'session');
    assert.ok(session && session.length > 0, 'session header');
    assert.notEqual(session, h(fb.headers, 'session'), 'sessions are unique');
    assert.match(h(fa.headers, 'heart-beat') ?? '', /^\d+,\d+$/);
    assert.equal(fa.body.length, 0);
    a.close();
    b.close();
  });

  test('any host header is accepted (and so is none)', async () => {
    for (const host of ['/', 'localhost', 'some.vhost.example', undefined]) {
      const c = await tcpPeer(open.stompPort);
      c.send('CONNECT', { 'accept-version': '1.2', ...(host === undefined ? {} : { host }) });
      await c.next('CONNECTED');
      c.close();
    }
  });

  test('an invalid heart-beat header gets ERROR and close', async () => {
    const c = await tcpPeer(open.stompPort);
    c.send('CONNECT', { 'accept-version': '1.2', host: '/', 'heart-beat': 'often' });
    const err = await errorThenClose(c);
    assert.match(h(err.headers, 'message') ?? '', /heart-beat/);
  });

  describe('login (--users admin:admin)', () => {
    test('the right login and passcode is accepted', async () => {
      const c = await tcpPeer(secured.stompPort);
      const f = await stompConnect(c, { login: 'admin', passcode: 'admin' });
      assert.equal(h(f.headers, 'version'), '1.2');
      await roundTrip(c, 'SEND', { destination: '/queue/auth' }, 'hi');
      c.close();
    });

    test('a passcode holding a colon works (the passcode is all after the first colon)', async () => {
      const c = await tcpPeer(secured.stompPort);
      await stompConnect(c, { login: 'guest', passcode: 's3cr:et' });
      c.close();
    });

    test('a wrong passcode gets ERROR with a useful message (and no echoed passcode), then close', async () => {
      const c = await tcpPeer(secured.stompPort);
      c.send('CONNECT', { 'accept-version': '1.2', host: '/', login: 'admin', passcode: 'wrong-passcode-123' });
      const err = await errorThenClose(c);
      const message = h(err.headers, 'message') ?? '';
      assert.match(message, /admin/);
      assert.match(message, /refused|denied|invalid|login|auth/i);
      assert.ok(!Buffer.from(err.body).toString().includes('wrong-passcode-123'), 'the passcode must not be echoed back');
      assert.ok(!err.headers.join('\n').includes('wrong-passcode-123'));
      assert.ok(c.frames.every((f) => f.command !== 'CONNECTED'));
    });

    test('a STOMP 1.0 CONNECT written as the 1.0 spec shows it (`login: admin`) is accepted', async () => {
      // STOMP 1.0 predates "header values are never trimmed"; its own examples put a space after the colon.
      const c = await tcpPeer(secured.stompPort);
      c.write('CONNECT\nlogin: admin\npasscode: admin\n\n\0');
      const f = await c.next('CONNECTED');
      assert.equal(h(f.headers, 'version') ?? '1.0', '1.0');
      await roundTrip(c, 'SEND', { destination: '/queue/v10-login' }, 'x');
      c.close();
    });

    test('from 1.1 on, header values are not trimmed: `passcode: admin` is a different passcode', async () => {
      const c = await tcpPeer(secured.stompPort);
      c.write('CONNECT\naccept-version:1.1,1.2\nhost:/\nlogin:admin\npasscode: admin\n\n\0');
      await errorThenClose(c);
    });

    test('an unknown login gets ERROR then close', async () => {
      const c = await tcpPeer(secured.stompPort);
      c.send('CONNECT', { 'accept-version': '1.2', host: '/', login: 'mallory', passcode: 'admin' });
      const err = await errorThenClose(c);
      assert.match(h(err.headers, 'message') ?? '', /mallory|refused|login/i);
    });

    test('no login at all when users are configured gets ERROR then close', async () => {
      const c = await tcpPeer(secured.stompPort);
      c.send('CONNECT', { 'accept-version': '1.2', host: '/' });
      const err = await errorThenClose(c);
      assert.match(h(err.headers, 'message') ?? '', /login|auth|credential/i);
    });
  });

  describe('frame order', () => {
    for (const [command, headers] of [
      ['SEND', { destination: '/queue/early' }],
      ['SUBSCRIBE', { destination: '/queue/early', id: '1' }],
      ['DISCONNECT', {}],
    ] as const) {
      test(`${command} before CONNECT gets ERROR then close`, async () => {
        const c = await tcpPeer(open.stompPort);
        c.send(command, { ...headers, receipt: 'early' });
        const err = await errorThenClose(c);
        assert.match(h(err.headers, 'message') ?? '', /CONNECT/);
        assert.ok(c.frames.every((f) => f.command !== 'RECEIPT'));
      });
    }

    test('a second CONNECT gets ERROR then close', async () => {
      const c = await tcpPeer(open.stompPort);
      await stompConnect(c);
      c.send('CONNECT', { 'accept-version': '1.2', host: '/' });
      const err = await errorThenClose(c);
      assert.match(h(err.headers, 'message') ?? '', /already connected/i);
      assert.ok(c.frames.every((f) => f.command !== 'CONNECTED'));
    });

    test('a second STOMP frame gets ERROR then close', async () => {
      const c = await tcpPeer(open.stompPort);
      await stompConnect(c);
      c.send('STOMP', { 'accept-version': '1.2', host: '/' });
      await errorThenClose(c);
    });
  });

  describe('connect timeout (--connect-timeout-ms 300)', () => {
    test('a silent socket is closed after about 300 ms', async () => {
      const c = await tcpPeer(open.stompPort);
      const started = Date.now();
      await within(c.closed, 3000, 'the idle socket to be closed');
      const took = Date.now() - started;
      assert.ok(took >= 250, `closed too early (${took} ms)`);
      assert.ok(took < 1500, `closed too late (${took} ms)`);
    });

    test('a socket that sends only part of a CONNECT is closed too', async () => {
      const c = await tcpPeer(open.stompPort);
      c.write('CONNECT\naccept-version:1.2\n');
      await within(c.closed, 3000, 'the half-connected socket to be closed');
    });

    test('heart-beat EOLs alone do not count as a CONNECT', async () => {
      const c = await tcpPeer(open.stompPort);
      const beat = setInterval(() => c.isClosed() || c.write('\n'), 50);
      try {
        await within(c.closed, 3000, 'the socket to be closed');
      } finally {
        clearInterval(beat);
      }
    });

    test('a connected session is not closed by the connect timeout', async () => {
      const c = await tcpPeer(open.stompPort);
      await stompConnect(c);
      await delay(500);
      assert.equal(c.isClosed(), false);
      await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/still-here', id: 's' });
      c.close();
    });
  });
});
