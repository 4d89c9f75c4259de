/**
 * 04: STOMP over WebSocket: paths, sub-protocol choice, text and binary messages,
 * frames spanning messages (stompjs 2.3.3 splits above 16 KB) and messages holding
 * several frames, and how MESSAGE frames go out (content-length always; binary
 * WebSocket messages for non-UTF-8 bodies, text otherwise).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { encodeFrame } from '@stompbox/stomp-codec';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { errorThenClose, headerOf as h, roundTrip, stompConnect, tcpPeer, within, wsPeer, type WsPeer } from '../support/wire.js';

/** Opens a WebSocket and reports the handshake outcome: the chosen protocol, or the HTTP status of a refusal. */
function handshake(url: string, protocols: string[] = []): Promise<{ protocol?: string; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on('open', () => {
      const protocol = ws.protocol;
      ws.close();
      resolve({ protocol });
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

describe('04 websocket', () => {
  let broker: SpawnedBroker;
  let base: string;
  const peers: WsPeer[] = [];
  async function peer(path = '/ws', protocols?: string[]): Promise<WsPeer> {
    const p = await wsPeer(base + path, protocols);
    peers.push(p);
    return p;
  }

  before(async () => {
    broker = await spawnBroker();
    base = `ws://127.0.0.1:${broker.httpPort}`;
  });
  after(async () => {
    for (const p of peers) p.ws.terminate();
    await broker?.stop();
  });

  describe('paths and sub-protocols', () => {
    for (const path of ['/ws', '/stomp', '/ws?access_token=abc']) {
      test(`STOMP works at ${path}`, async () => {
        const c = await peer(path);
        const f = await stompConnect(c);
        assert.equal(h(f.headers, 'version'), '1.2');
        await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/path', id: '0' });
        c.close();
      });
    }

    for (const p of ['v10.stomp', 'v11.stomp', 'v12.stomp']) {
      test(`sub-protocol ${p} alone is chosen`, async () => {
        assert.equal((await handshake(base + '/ws', [p])).protocol, p);
      });
    }

    test('the highest of several offered sub-protocols is chosen', async () => {
      assert.equal((await handshake(base + '/ws', ['v10.stomp', 'v11.stomp', 'v12.stomp'])).protocol, 'v12.stomp');
      assert.equal((await handshake(base + '/stomp', ['v12.stomp', 'v10.stomp'])).protocol, 'v12.stomp');
      assert.equal((await handshake(base + '/ws', ['v10.stomp', 'v11.stomp'])).protocol, 'v11.stomp');
      assert.equal((await handshake(base + '/ws', ['mqtt', 'v10.stomp'])).protocol, 'v10.stomp');
    });

    test('no sub-protocol offered works too', async () => {
      const c = await peer('/ws', []);
      assert.equal(c.ws.protocol, '');
      await stompConnect(c);
      await roundTrip(c, 'SEND', { destination: '/queue/noproto' }, 'x');
      c.close();
    });

    // (/mqtt is MQTT over WebSocket: test/mqtt/03-messaging)
    for (const path of ['/', '/other', '/ws/extra', '/STOMP', '/mqtt/extra']) {
      test(`an upgrade at ${path} is refused with 404`, async () => {
        assert.equal((await handshake(base + path, ['v12.stomp'])).status, 404);
      });
    }
  });

  describe('client messages', () => {
    test('text and binary WebSocket messages are both accepted', async () => {
      const c = await peer();
      c.ws.send('CONNECT\naccept-version:1.2\nhost:/\n\n\0'); // text
      await c.next('CONNECTED');
      c.ws.send(Buffer.from('SUBSCRIBE\ndestination:/queue/kinds\nid:k\nreceipt:bin\n\n\0')); // binary
      await c.next('RECEIPT');
      c.ws.send('SEND\ndestination:/queue/kinds\n\nfrom text\0');
      c.ws.send(Buffer.from('SEND\ndestination:/queue/kinds\n\nfrom binary\0'));
      assert.equal(Buffer.from((await c.next('MESSAGE')).body).toString(), 'from text');
      assert.equal(Buffer.from((await c.next('MESSAGE')).body).toString(), 'from binary');
      c.close();
    });

    test('a 40 KB SEND split into 16 KB WebSocket messages (as stompjs 2.3.3 does) is reassembled', async () => {
      const sub = await peer();
      await stompConnect(sub);
      await roundTrip(sub, 'SUBSCRIBE', { destination: '/queue/big', id: 'big' });
      const c = await peer();
      await stompConnect(c);
      const body = Array.from({ length: 40 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      const frame = Buffer.from(encodeFrame('SEND', { destination: '/queue/big', receipt: 'big-1' }, body, { version: '1.2' })).toString();
      const pieces: string[] = [];
      for (let i = 0; i < frame.length; i += 16 * 1024) pieces.push(frame.slice(i, i + 16 * 1024));
      assert.equal(pieces.length, 3);
      for (const p of pieces) c.ws.send(p);
      await c.next('RECEIPT');
      const m = await sub.next('MESSAGE');
      assert.equal(m.body.length, body.length);
      assert.equal(Buffer.from(m.body).toString(), body);
      c.close();
      sub.close();
    });

    test('a frame split mid-header across messages works', async () => {
      const c = await peer();
      for (const piece of ['CONN', 'ECT\naccept-', 'version:1.2\nhost:/\n', '\n', '\0']) c.ws.send(piece);
      await c.next('CONNECTED');
      c.close();
    });

    test('two frames in one WebSocket message', async () => {
      const c = await peer();
      await stompConnect(c);
      c.ws.send('SUBSCRIBE\ndestination:/queue/two\nid:t\n\n\0SEND\ndestination:/queue/two\nreceipt:r2\n\nsecond\0');
      await c.next('RECEIPT');
      assert.equal(Buffer.from((await c.next('MESSAGE')).body).toString(), 'second');
      c.close();
    });

    test('malformed input over WebSocket: ERROR, then the WebSocket closes', async () => {
      const c = await peer();
      await stompConnect(c);
      c.ws.send('SUBSCRIBE\nid:s\ndestination:orders\n\n\0'); // no leading /
      const err = await errorThenClose(c);
      assert.match(h(err.headers, 'message') ?? '', /not a valid destination/);
      assert.ok(c.closeCode !== undefined && c.closeCode >= 1000 && c.closeCode !== 1006, `close code ${c.closeCode}`);
    });

    test('an ERROR whose message is long non-ASCII text still closes the WebSocket', async () => {
      // The close reason is limited to 123 bytes: 120 characters of Chinese are 360.
      const c = await peer();
      await stompConnect(c);
      const id = '订阅'.repeat(60);
      await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/cn', id });
      c.send('SUBSCRIBE', { destination: '/topic/cn2', id }, undefined, '1.2');
      const err = await errorThenClose(c);
      assert.ok((h(err.headers, 'message') ?? '').includes(id.slice(0, 10)));
      assert.notEqual(c.closeCode, 1006, 'closed by a handshake, not dropped');
    });

    test('TCP and WebSocket clients share destinations', async () => {
      const w = await peer();
      await stompConnect(w);
      await roundTrip(w, 'SUBSCRIBE', { destination: '/topic/mixed', id: 'm' });
      const t = await tcpPeer(broker.stompPort);
      await stompConnect(t);
      await roundTrip(t, 'SEND', { destination: '/topic/mixed' }, 'tcp to ws');
      assert.equal(Buffer.from((await w.next('MESSAGE')).body).toString(), 'tcp to ws');
      t.close();
      w.close();
    });
  });

  describe('size limits over WebSocket (--max-frame-size 2048)', () => {
    let small: SpawnedBroker;
    before(async () => {
      small = await spawnBroker(['--max-frame-size', '2048']);
    });
    after(async () => {
      await small?.stop();
    });
    const big = (n: number) => `SEND\ndestination:/queue/big\n\n${'b'.repeat(n)}\0`;

    test('a frame over the limit in one message: ERROR, then close 1009', async () => {
      const c = await wsPeer(small.wsUrl);
      await stompConnect(c);
      c.ws.send(big(3000));
      assert.match(h((await errorThenClose(c)).headers, 'message') ?? '', /2048/);
      assert.equal(c.closeCode, 1009);
    });

    test('a frame over the limit spread over several messages: ERROR, then close 1009', async () => {
      const c = await wsPeer(small.wsUrl);
      await stompConnect(c);
      const f = big(3000);
      for (let i = 0; i < f.length; i += 1000) c.ws.send(f.slice(i, i + 1000));
      await errorThenClose(c);
      assert.equal(c.closeCode, 1009);
    });

    test('a message far over the limit is refused by the WebSocket layer with 1009', async () => {
      const c = await wsPeer(small.wsUrl);
      await stompConnect(c);
      c.ws.send(big(20000));
      await within(c.closed, 3000, 'the close');
      assert.equal(c.closeCode, 1009);
      const other = await wsPeer(small.wsUrl);
      await stompConnect(other);
      await roundTrip(other, 'SEND', { destination: '/queue/after' }, 'fine');
      other.close();
    });
  });

  describe('MESSAGE frames sent to WebSocket clients', () => {
    /** Two subscribers to a topic (the fan-out path) and one to a queue (the single path). */
    async function setup(tag: string) {
      const subs = [await peer(), await peer(), await peer()];
      for (const s of subs) await stompConnect(s);
      await roundTrip(subs[0], 'SUBSCRIBE', { destination: `/topic/${tag}`, id: 'sub-0' });
      await roundTrip(subs[1], 'SUBSCRIBE', { destination: `/topic/${tag}`, id: 'sub-0' });
      await roundTrip(subs[2], 'SUBSCRIBE', { destination: `/queue/${tag}`, id: 'sub-0', ack: 'client' });
      const pub = await peer();
      await stompConnect(pub);
      return { subs, pub };
    }

    /** The one WebSocket message that carried `frameBody` (each frame goes out whole in one message). */
    function carrier(s: WsPeer, frameBody: Buffer) {
      const found = s.arrivals.filter((a) => a.data.subarray(0, 8).toString() === 'MESSAGE\n' && a.data.includes(frameBody));
      assert.equal(found.length, 1, 'one WebSocket message per MESSAGE frame');
      return found[0];
    }

    test('MESSAGE always carries content-length (bodies empty, text, and with NULs)', async () => {
      const { subs, pub } = await setup('len');
      const bodies = [Buffer.alloc(0), Buffer.from('hello'), Buffer.from([104, 0, 105, 0])];
      for (const body of bodies) {
        await roundTrip(pub, 'SEND', { destination: '/topic/len' }, body);
        await roundTrip(pub, 'SEND', { destination: '/queue/len' }, body);
      }
      for (const s of subs) {
        for (const body of bodies) {
          const m = await s.next('MESSAGE');
          assert.equal(h(m.headers, 'content-length'), String(body.length));
          assert.deepEqual(Buffer.from(m.body), body);
        }
      }
    });

    test('a non-UTF-8 body goes in a binary WebSocket message, byte for byte', async () => {
      const { subs, pub } = await setup('bin');
      const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x42]);
      pub.write(Buffer.from(encodeFrame('SEND', { destination: '/topic/bin' }, body, { version: '1.2' })));
      pub.write(Buffer.from(encodeFrame('SEND', { destination: '/queue/bin' }, body, { version: '1.2' })));
      for (const s of subs) {
        const m = await s.next('MESSAGE');
        assert.deepEqual(Buffer.from(m.body), body);
        assert.equal(carrier(s, body).binary, true, 'non-UTF-8 must not be sent as a text message');
      }
    });

    test('a UTF-8 body (Chinese text) goes in a text WebSocket message', async () => {
      const { subs, pub } = await setup('utf8');
      const text = '你好，世界！STOMP 消息代理 🎉';
      await roundTrip(pub, 'SEND', { destination: '/topic/utf8', 'content-type': 'text/plain;charset=utf-8' }, text);
      await roundTrip(pub, 'SEND', { destination: '/queue/utf8' }, text);
      for (const s of subs) {
        const m = await s.next('MESSAGE');
        assert.equal(Buffer.from(m.body).toString('utf8'), text);
        assert.equal(h(m.headers, 'content-length'), String(Buffer.byteLength(text)));
        assert.equal(carrier(s, Buffer.from(text)).binary, false, 'UTF-8 should be a text message');
      }
    });

    test('a large (100 KB) MESSAGE arrives whole in one WebSocket message', async () => {
      const { subs, pub } = await setup('large');
      const body = Buffer.alloc(100 * 1024, 'z');
      await roundTrip(pub, 'SEND', { destination: '/topic/large' }, body);
      for (const s of subs.slice(0, 2)) {
        const m = await within(s.next('MESSAGE'), 3000, 'the large message');
        assert.equal(m.body.length, body.length);
        carrier(s, body);
      }
    });
  });
});
