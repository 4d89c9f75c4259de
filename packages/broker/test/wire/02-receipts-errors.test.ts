/**
 * 02: RECEIPT for every frame that asks for one, ERROR frames (receipt-id, flushed
 * before the close), malformed input (one bad connection never hurts the others),
 * and framing over TCP: tiny writes, several frames per write, EOLs, CR-LF.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { delay, errorThenClose, headerOf as h, roundTrip, stompConnect, tcpPeer, type TcpPeer } from '../support/wire.js';

describe('02 receipts and errors', () => {
  let broker: SpawnedBroker;
  /** Subscribed to /topic/alive all along: proves a bad connection hurts no other. */
  let watcher: TcpPeer;
  let publisher: TcpPeer;
  let seq = 0;

  before(async () => {
    broker = await spawnBroker(['--max-frame-size', '2048', '--max-headers', '10', '--max-header-length', '128']);
    watcher = await tcpPeer(broker.stompPort);
    publisher = await tcpPeer(broker.stompPort);
    await stompConnect(watcher);
    await stompConnect(publisher);
    await roundTrip(watcher, 'SUBSCRIBE', { destination: '/topic/alive', id: 'w' });
  });
  after(async () => {
    watcher?.close();
    publisher?.close();
    await broker?.stop();
  });

  async function othersStillWork(): Promise<void> {
    const body = `alive-${++seq}`;
    await roundTrip(publisher, 'SEND', { destination: '/topic/alive' }, body);
    const m = await watcher.next('MESSAGE', (f) => Buffer.from(f.body).toString() === body);
    assert.equal(h(m.headers, 'subscription'), 'w');
  }

  async function connected(version = '1.2'): Promise<TcpPeer> {
    const c = await tcpPeer(broker.stompPort);
    await stompConnect(c, { 'accept-version': version });
    return c;
  }

  describe('receipts', () => {
    test('SUBSCRIBE, SEND, UNSUBSCRIBE each get their RECEIPT', async () => {
      const c = await connected();
      const r1 = await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/r', id: 's1' });
      assert.equal(r1.body.length, 0);
      await roundTrip(c, 'SEND', { destination: '/queue/r' }, 'x');
      await c.next('MESSAGE');
      await roundTrip(c, 'UNSUBSCRIBE', { id: 's1' });
      c.close();
    });

    test('the receipt-id echoes the receipt header exactly (escaped characters included)', async () => {
      const c = await connected();
      c.send('SEND', { destination: '/queue/r2', receipt: 'a:b\\c d' }, 'x', '1.2');
      const r = await c.next('RECEIPT');
      assert.equal(h(r.headers, 'receipt-id'), 'a:b\\c d');
      c.close();
    });

    test('ACK and NACK get their RECEIPT', async () => {
      const c = await connected();
      await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/acks', id: 'a', ack: 'client-individual' });
      await roundTrip(c, 'SEND', { destination: '/queue/acks' }, 'one');
      const m1 = await c.next('MESSAGE');
      await roundTrip(c, 'ACK', { id: h(m1.headers, 'ack') as string });
      await roundTrip(c, 'SEND', { destination: '/queue/acks' }, 'two');
      const m2 = await c.next('MESSAGE');
      await roundTrip(c, 'NACK', { id: h(m2.headers, 'ack') as string, requeue: 'false' });
      c.close();
    });

    test('BEGIN, COMMIT and ABORT get their RECEIPT; the commit delivers', async () => {
      const c = await connected();
      await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/tx', id: 't' });
      await roundTrip(c, 'BEGIN', { transaction: 'tx1' });
      await roundTrip(c, 'SEND', { destination: '/queue/tx', transaction: 'tx1' }, 'in-tx');
      assert.equal(c.frames.filter((f) => f.command === 'MESSAGE').length, 0, 'nothing before COMMIT');
      await roundTrip(c, 'COMMIT', { transaction: 'tx1' });
      assert.equal(Buffer.from((await c.next('MESSAGE')).body).toString(), 'in-tx');
      await roundTrip(c, 'BEGIN', { transaction: 'tx2' });
      await roundTrip(c, 'SEND', { destination: '/queue/tx', transaction: 'tx2' }, 'aborted');
      await roundTrip(c, 'ABORT', { transaction: 'tx2' });
      await delay(50);
      assert.equal(c.frames.filter((f) => f.command === 'MESSAGE').length, 0, 'an aborted SEND is never delivered');
      c.close();
    });

    test('DISCONNECT: the RECEIPT arrives before the close', async () => {
      const c = await connected();
      await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/bye', id: 'b' });
      c.send('DISCONNECT', { receipt: 'bye-1' });
      await errorFreeClose(c);
      const r = c.frames.find((f) => f.command === 'RECEIPT');
      assert.ok(r, 'RECEIPT must be read before the connection closes');
      assert.equal(h(r.headers, 'receipt-id'), 'bye-1');
    });

    test('DISCONNECT without receipt just closes, with no ERROR', async () => {
      const c = await connected('1.1');
      c.send('DISCONNECT', {});
      await errorFreeClose(c);
    });

    async function errorFreeClose(c: TcpPeer): Promise<void> {
      await Promise.race([c.closed, delay(3000).then(() => assert.fail('not closed after DISCONNECT'))]);
      assert.ok(c.frames.every((f) => f.command !== 'ERROR'), 'no ERROR on a clean DISCONNECT');
    }
  });

  describe('ERROR frames', () => {
    test('ERROR carries receipt-id when the failing frame asked for a receipt', async () => {
      const c = await connected();
      c.send('SEND', { receipt: 'will-fail' }, 'no destination');
      const err = await errorThenClose(c);
      assert.equal(h(err.headers, 'receipt-id'), 'will-fail');
      assert.match(h(err.headers, 'message') ?? '', /destination/);
      assert.ok(c.frames.every((f) => f.command !== 'RECEIPT'));
      await othersStillWork();
    });

    test('ERROR without receipt has no receipt-id, and its body explains', async () => {
      const c = await connected();
      c.send('SUBSCRIBE', { destination: '/queue/x', id: 'dup' });
      c.send('SUBSCRIBE', { destination: '/queue/y', id: 'dup' });
      const err = await errorThenClose(c);
      assert.equal(h(err.headers, 'receipt-id'), undefined);
      assert.match(h(err.headers, 'message') ?? '', /dup/);
      assert.ok(err.body.length > 0, 'ERROR body should carry details');
      assert.equal(h(err.headers, 'content-length'), String(err.body.length));
    });

    test('the ERROR is still readable while the client keeps sending (no reset loses it)', async () => {
      const c = await connected();
      c.write('BOGUS\n\n\0');
      const junk = Buffer.alloc(64 * 1024, 'j');
      for (let i = 0; i < 32; i++) c.write(junk); // 2 MB the broker will never look at
      const err = await errorThenClose(c, 5000);
      assert.match(h(err.headers, 'message') ?? '', /BOGUS/);
      await othersStillWork();
    });

    test('frames after the failing one in the same write are not processed', async () => {
      const c = await connected();
      c.write('FOO\n\n\0SEND\ndestination:/topic/alive\nreceipt:after-bad\n\nleak\0');
      await errorThenClose(c);
      assert.ok(c.frames.every((f) => f.command !== 'RECEIPT'));
      await delay(50);
      assert.ok(watcher.frames.every((f) => Buffer.from(f.body).toString() !== 'leak'), 'a frame after the ERROR leaked through');
    });
  });

  describe('malformed input: ERROR, close, and every other connection carries on', () => {
    const cases: Array<[string, () => Uint8Array | string, RegExp, string?]> = [
      ['unknown command', () => 'FROB\ndestination:/queue/a\n\n\0', /unknown command/i],
      ['header without a colon', () => 'SEND\ndestination:/queue/a\nno-colon-here\n\nx\0', /':'|colon/i],
      ['header with an empty name', () => 'SEND\ndestination:/queue/a\n:value\n\nx\0', /empty name|header/i],
      ['undefined escape \\t in 1.2', () => 'SEND\ndestination:/queue/a\nx:a\\tb\n\nx\0', /escape/i],
      ['content-length not followed by NUL', () => 'SEND\ndestination:/queue/a\ncontent-length:3\n\nabcdef\0', /NUL|content-length/i],
      ['non-numeric content-length', () => 'SEND\ndestination:/queue/a\ncontent-length:12ab\n\nx\0', /content-length/i],
      ['SEND without destination', () => 'SEND\nfoo:bar\n\nbody\0', /destination/i],
      ['SUBSCRIBE to a destination without its leading /', () => 'SUBSCRIBE\nid:s\ndestination:orders\n\n\0', /not a valid destination/],
      ['frame over --max-frame-size 2048 (no content-length)', () => `SEND\ndestination:/queue/a\n\n${'x'.repeat(3000)}\0`, /larger than 2048/],
      ['frame over --max-frame-size 2048 (content-length)', () => `SEND\ndestination:/queue/a\ncontent-length:3000\n\n${'x'.repeat(3000)}\0`, /2048/],
      ['body streamed without NUL past the size limit', () => `SEND\ndestination:/queue/a\n\n${'x'.repeat(2100)}`, /larger than 2048/],
      ['11 headers over --max-headers 10', () => `SEND\ndestination:/queue/a\n${Array.from({ length: 10 }, (_, i) => `h${i}:v\n`).join('')}\nx\0`, /more than 10 headers/],
      ['header line over --max-header-length 128', () => `SEND\ndestination:/queue/a\nlong:${'v'.repeat(200)}\n\nx\0`, /longer than 128/],
      ['command line over --max-header-length 128 without EOL', () => 'S'.repeat(300), /longer than 128/],
      ['random garbage bytes', () => randomBytes(4096), /./],
      ['garbage before CONNECT', () => randomBytes(4096), /./, 'unconnected'],
      ['malformed CONNECT', () => 'CONNECT\naccept-version\n\n\0', /':'|colon/i, 'unconnected'],
    ];
    for (const [name, bytes, message, mode] of cases) {
      test(name, async () => {
        const c = mode === 'unconnected' ? await tcpPeer(broker.stompPort) : await connected();
        c.write(bytes());
        const err = await errorThenClose(c);
        assert.match(h(err.headers, 'message') ?? '', message);
        await othersStillWork();
      });
    }

    test('the same junk over 1.1 (a \\t escape is also undefined there)', async () => {
      const c = await connected('1.1');
      c.write('SEND\ndestination:/queue/a\nx:a\\tb\n\nx\0');
      assert.match(h((await errorThenClose(c)).headers, 'message') ?? '', /escape/i);
      await othersStillWork();
    });

    test('no escaping in 1.0: a backslash in a header is just a backslash', async () => {
      const c = await connected('1.0');
      await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/esc10' });
      c.write('SEND\ndestination:/queue/esc10\nx:a\\tb\n\nx\0');
      const m = await c.next('MESSAGE');
      assert.equal(h(m.headers, 'x'), 'a\\tb');
      c.close();
    });

    test('a frame exactly at the size limit is accepted', async () => {
      const c = await connected();
      await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/limit', id: 'l' });
      const head = 'SEND\ndestination:/queue/limit\n\n';
      c.write(head + 'y'.repeat(2048 - head.length - 1) + '\0');
      const m = await c.next('MESSAGE');
      assert.equal(m.body.length, 2048 - head.length - 1);
      c.close();
    });
  });

  describe('framing over TCP', () => {
    test('a frame split into one-byte writes with small delays works', async () => {
      const c = await tcpPeer(broker.stompPort);
      const bytes = Buffer.from(
        'CONNECT\naccept-version:1.2\nhost:/\n\n\0' +
          'SUBSCRIBE\ndestination:/queue/tiny\nid:t\n\n\0' +
          'SEND\ndestination:/queue/tiny\ncontent-length:5\nreceipt:tiny\n\nhe\0lo\0' +
          'SEND\ndestination:/queue/tiny\n\nno length\0',
      );
      for (let i = 0; i < bytes.length; i++) {
        c.write(bytes.subarray(i, i + 1));
        if (i % 2 === 1) await delay(1);
      }
      await c.next('CONNECTED');
      await c.next('RECEIPT', (f) => h(f.headers, 'receipt-id') === 'tiny');
      const m1 = await c.next('MESSAGE');
      assert.deepEqual(Buffer.from(m1.body), Buffer.from('he\0lo'));
      const m2 = await c.next('MESSAGE');
      assert.equal(Buffer.from(m2.body).toString(), 'no length');
      c.close();
    });

    test('several frames in one write all work, in order', async () => {
      const c = await tcpPeer(broker.stompPort);
      let s = 'CONNECT\naccept-version:1.2\nhost:/\n\n\0SUBSCRIBE\ndestination:/queue/many\nid:m\n\n\0';
      for (let i = 0; i < 20; i++) s += `SEND\ndestination:/queue/many\nreceipt:r${i}\n\nmsg ${i}\0`;
      c.write(s);
      await c.next('CONNECTED');
      for (let i = 0; i < 20; i++) {
        await c.next('RECEIPT', (f) => h(f.headers, 'receipt-id') === `r${i}`);
        assert.equal(Buffer.from((await c.next('MESSAGE')).body).toString(), `msg ${i}`);
      }
      c.close();
    });

    test('EOLs (LF and CR-LF) between frames are accepted', async () => {
      const c = await tcpPeer(broker.stompPort);
      c.write('\n\r\n\nCONNECT\naccept-version:1.2\nhost:/\n\n\0\n\n\r\n');
      await c.next('CONNECTED');
      c.write('\r\n\nSUBSCRIBE\ndestination:/queue/eol\nid:e\nreceipt:r1\n\n\0\r\n\r');
      await delay(5);
      c.write('\n\n');
      await c.next('RECEIPT');
      await roundTrip(c, 'SEND', { destination: '/queue/eol' }, 'between');
      assert.equal(Buffer.from((await c.next('MESSAGE')).body).toString(), 'between');
      assert.equal(c.isClosed(), false);
      c.close();
    });

    test('CR-LF frames work (command, headers and the blank line)', async () => {
      const c = await tcpPeer(broker.stompPort);
      c.write('CONNECT\r\naccept-version:1.2\r\nhost:/\r\n\r\n\0');
      assert.equal(h((await c.next('CONNECTED')).headers, 'version'), '1.2');
      c.write('SUBSCRIBE\r\ndestination:/queue/crlf\r\nid:c\r\n\r\n\0');
      c.write('SEND\r\ndestination:/queue/crlf\r\ncustom:value\r\nreceipt:crlf\r\n\r\nbody\r\n\0');
      await c.next('RECEIPT');
      const m = await c.next('MESSAGE');
      assert.equal(h(m.headers, 'destination'), '/queue/crlf');
      assert.equal(h(m.headers, 'custom'), 'value', 'the CR is not part of the header value');
      assert.equal(Buffer.from(m.body).toString(), 'body\r\n', 'the body is kept as is');
      c.close();
    });
  });
});
