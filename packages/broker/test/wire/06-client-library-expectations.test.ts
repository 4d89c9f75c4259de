/**
 * 06: what the client libraries our users run expect of the wire, where STOMP 1.2 leaves
 * the broker a choice (docs/compatibility.md):
 * - every frame ends with NUL then EOL, as RabbitMQ sends (php-stomp 2.0 reads one byte
 *   past the NUL and loses the next frame's first letter without it);
 * - the RECEIPT of a SEND (or COMMIT) comes before the sender's own copy of the message,
 *   also when the RECEIPT waits for the disk (Net::Stomp's send_with_receipt and
 *   php-stomp's send() read the very next frame as the receipt);
 * - a destination without its leading '/' is refused, as RabbitMQ refuses it, except
 *   `queue/<name>` and `topic/<key>`, read as `/queue/<name>` and `/topic/<key>` (the
 *   stompjs 2.3.3 guide subscribes to "queue/test").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { errorThenClose, headerOf as h, roundTrip, stompConnect, tcpPeer, wsPeer, type Peer } from '../support/wire.js';

describe('06 what client libraries expect', () => {
  let broker: SpawnedBroker;
  before(async () => {
    broker = await spawnBroker();
  });
  after(async () => {
    await broker?.stop();
  });

  async function connected(ws = false): Promise<Peer> {
    const c = ws ? await wsPeer(broker.wsUrl) : await tcpPeer(broker.stompPort);
    await stompConnect(c);
    return c;
  }

  /** The commands of the frames received so far, in the order the bytes arrived. */
  function commandsInOrder(c: Peer): string[] {
    const text = Buffer.concat(c.arrivals.map((a) => a.data)).toString('latin1');
    return [...text.matchAll(/(?:^|\0\n*)([A-Z]+)\n/g)].map((m) => m[1]);
  }

  // TCP only: a WebSocket message is one frame and ends at its NUL (docs/compatibility.md).
  for (const ws of [false]) {
    const over = ws ? 'WebSocket' : 'TCP';
    test(`${over}: CONNECTED, MESSAGE, RECEIPT and ERROR each end with NUL then EOL`, async () => {
      const c = await connected(ws);
      await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/eol', id: 's' });
      await roundTrip(c, 'SEND', { destination: '/topic/eol' }, 'x');
      await c.next('MESSAGE');
      c.write('BOGUS\n\n\0');
      await errorThenClose(c);
      const all = Buffer.concat(c.arrivals.map((a) => a.data)).toString('latin1');
      const frames = all.split('\0');
      assert.equal(frames.at(-1), '\n', 'the last frame (ERROR) ends NUL EOL');
      for (const f of frames.slice(1)) assert.ok(f.startsWith('\n'), `a frame follows NUL EOL: ${JSON.stringify(f.slice(0, 20))}`);
      assert.deepEqual(commandsInOrder(c), ['CONNECTED', 'RECEIPT', 'RECEIPT', 'MESSAGE', 'ERROR']);

    });
  }

  for (const [kind, persistent] of [['topic', false], ['queue', false], ['queue', true]] as const) {
    test(`the RECEIPT of a SEND precedes the sender's own MESSAGE (/${kind}/, persistent ${persistent})`, async () => {
      const c = await connected();
      const dest = `/${kind}/own-${kind}-${persistent}`;
      await roundTrip(c, 'SUBSCRIBE', { destination: dest, id: 's', ack: 'client-individual' });
      const n = 20;
      for (let i = 0; i < n; i++) c.send('SEND', { destination: dest, receipt: `r${i}`, persistent: String(persistent) }, `m${i}`);
      for (let i = 0; i < n; i++) await c.next('MESSAGE', (f) => Buffer.from(f.body).toString() === `m${i}`);
      const order = commandsInOrder(c).slice(2); // CONNECTED, SUBSCRIBE's RECEIPT
      // Each RECEIPT r<i> comes before MESSAGE m<i>; messages stay in publish order.
      const text = Buffer.concat(c.arrivals.map((a) => a.data)).toString('latin1');
      for (let i = 0; i < n; i++) {
        const r = text.indexOf(`receipt-id:r${i}\n`);
        const m = text.indexOf(`\n\nm${i}\0`);
        assert.ok(r >= 0 && m >= 0 && r < m, `RECEIPT r${i} before MESSAGE m${i}: ${order.join(' ')}`);
        if (i > 0) assert.ok(text.indexOf(`\n\nm${i - 1}\0`) < m, 'messages in publish order');
      }
      c.close();
    });
  }

  test('a message from another publisher is not held back by nor overtakes a fenced one', async () => {
    const c = await connected();
    const other = await connected();
    await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/fence-mix', id: 's' });
    for (let i = 0; i < 10; i++) {
      c.send('SEND', { destination: '/queue/fence-mix', receipt: `own${i}`, persistent: 'true' }, `own${i}`);
      other.send('SEND', { destination: '/queue/fence-mix' }, `other${i}`);
    }
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) bodies.push(Buffer.from((await c.next('MESSAGE')).body).toString());
    assert.deepEqual(bodies.filter((b) => b.startsWith('own')), [...Array(10).keys()].map((i) => `own${i}`));
    assert.deepEqual(bodies.filter((b) => b.startsWith('other')), [...Array(10).keys()].map((i) => `other${i}`));
    c.close();
    other.close();
  });

  test('the RECEIPT of a COMMIT precedes the sender\'s own copies of what it sent', async () => {
    const c = await connected();
    await roundTrip(c, 'SUBSCRIBE', { destination: '/topic/tx-own', id: 's' });
    await roundTrip(c, 'BEGIN', { transaction: 't' });
    c.send('SEND', { destination: '/topic/tx-own', transaction: 't' }, 'a');
    c.send('SEND', { destination: '/topic/tx-own', transaction: 't' }, 'b');
    await roundTrip(c, 'COMMIT', { transaction: 't' });
    await c.next('MESSAGE', (f) => Buffer.from(f.body).toString() === 'b');
    assert.deepEqual(commandsInOrder(c), ['CONNECTED', 'RECEIPT', 'RECEIPT', 'RECEIPT', 'MESSAGE', 'MESSAGE']);
    c.close();
  });

  for (const dest of ['orders', 'news.today', 'amq/typo']) {
    test(`SEND and SUBSCRIBE to '${dest}' (no leading /) get an ERROR, as in RabbitMQ`, async () => {
      for (const command of ['SEND', 'SUBSCRIBE']) {
        const c = await connected();
        c.send(command, { destination: dest, id: 's', receipt: 'r' }, 'x');
        const err = await errorThenClose(c);
        assert.equal(h(err.headers, 'code'), 'STOMPBOX_ERR_BAD_DESTINATION');
        assert.equal(h(err.headers, 'receipt-id'), 'r');
        assert.match(h(err.headers, 'message') ?? '', /not a valid destination/);
      }
    });
  }

  test("'queue/x' is the queue /queue/x: a SEND with nobody subscribed waits for the consumer that comes", async () => {
    const p = await connected();
    await roundTrip(p, 'SEND', { destination: 'queue/early' }, 'kept');
    p.close();
    const c = await connected();
    await roundTrip(c, 'SUBSCRIBE', { destination: '/queue/early', id: 's' });
    const m = await c.next('MESSAGE');
    assert.equal(h(m.headers, 'destination'), '/queue/early');
    assert.equal(Buffer.from(m.body).toString(), 'kept');
    c.close();
  });

  test("'topic/a.b' is the topic /topic/a.b: a subscription to 'topic/a.*' matches it", async () => {
    const c = await connected();
    await roundTrip(c, 'SUBSCRIBE', { destination: 'topic/a.*', id: 's' });
    await roundTrip(c, 'SEND', { destination: '/topic/a.b' }, 'hi');
    const m = await c.next('MESSAGE');
    assert.equal(h(m.headers, 'destination'), '/topic/a.b');
    assert.equal(h(m.headers, 'subscription'), 's');
    c.close();
  });

  test('any destination that starts with / is still a topic matched exactly (Spring simple broker)', async () => {
    const c = await connected();
    await roundTrip(c, 'SUBSCRIBE', { destination: '/response/1/2', id: 's' });
    await roundTrip(c, 'SEND', { destination: '/response/1/2' }, 'hi');
    assert.equal(Buffer.from((await c.next('MESSAGE')).body).toString(), 'hi');
    c.close();
  });
});
