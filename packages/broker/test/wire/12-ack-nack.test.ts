/**
 * Acknowledgement over the wire: `client` (cumulative) and `client-individual`
 * acks, redelivery of what a closed connection or an UNSUBSCRIBE left unacked,
 * NACK (requeue, dead-lettering, --max-deliveries), the ACK forms of STOMP 1.0,
 * 1.1 and 1.2, and the prefetch bound.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { spawnBroker, type SpawnedBroker } from '../support/spawn-broker.js';
import { bodies, body, errorAndClose, open, publish, quiet, rt, send, sleep, subscribe, take, uniq, type Client } from '../support/messaging.js';

let broker: SpawnedBroker;
const clients: Client[] = [];
async function client(opts: Parameters<typeof open>[1] = {}): Promise<Client> {
  const c = await open(broker.stompPort, opts);
  clients.push(c);
  return c;
}

before(async () => {
  broker = await spawnBroker(['--max-deliveries', '3']);
});
after(async () => {
  for (const c of clients) c.close();
  await broker.stop();
});

const ack = (f: Frame) => getHeader(f.headers, 'ack') as string;
const redelivered = (f: Frame) => getHeader(f.headers, 'redelivered') === 'true';
const five = ['m1', 'm2', 'm3', 'm4', 'm5'];

/** A queue holding `msgs`, and a consumer subscribed to it with `ackMode` that received them all. */
async function delivered(ackMode: string, msgs = five, extra: Record<string, string> = {}) {
  const q = `/queue/${uniq('ack')}`;
  const p = await client();
  await publish(p, q, msgs);
  const c = await client();
  await subscribe(c, 's', q, { ack: ackMode, ...extra });
  const got = await take(c, msgs.length);
  assert.deepEqual(bodies(got), msgs);
  for (const f of got) assert.ok(ack(f), 'a client-ack MESSAGE carries an ack header (1.2)');
  return { q, c, got };
}

/** What a fresh consumer of `q` receives (n messages, then nothing). */
async function drain(q: string, n: number): Promise<Frame[]> {
  const c = await client();
  await subscribe(c, 'drain', q);
  const got = await take(c, n);
  await quiet(c);
  return got;
}

/** The dead-letter queue's copy of a message that came from `from` (selected, so tests do not meet). */
async function deadLetter(from: string): Promise<Frame> {
  const c = await client();
  await subscribe(c, 'dlq', '/queue/DLQ', { selector: `"x-original-destination" = '${from}'` });
  const [m] = await take(c, 1);
  return m;
}

describe('ack modes', () => {
  it("ack:client is cumulative: ACK of the 3rd of 5 settles 1-3; after UNSUBSCRIBE 4 and 5 go to another consumer, redelivered", async () => {
    const { q, c, got } = await delivered('client');
    await rt(c, 'ACK', { id: ack(got[2]) });
    await rt(c, 'UNSUBSCRIBE', { id: 's' });
    const again = await drain(q, 2);
    assert.deepEqual(bodies(again), ['m4', 'm5']);
    assert.ok(again.every(redelivered));
  });

  it('ack:client: the same after the connection closes', async () => {
    const { q, c, got } = await delivered('client');
    await rt(c, 'ACK', { id: ack(got[2]) });
    c.close();
    await c.closed;
    assert.deepEqual(bodies(await drain(q, 2)), ['m4', 'm5']);
  });

  it('ack:client-individual settles only the message named', async () => {
    const { q, c, got } = await delivered('client-individual');
    await rt(c, 'ACK', { id: ack(got[2]) });
    await rt(c, 'UNSUBSCRIBE', { id: 's' });
    const again = await drain(q, 4);
    assert.deepEqual(bodies(again), ['m1', 'm2', 'm4', 'm5']);
    assert.ok(again.every(redelivered));
  });

  it('unacked messages of a closed connection go back to the queue in order, ahead of later ones, redelivered', async () => {
    const q = `/queue/${uniq('back')}`;
    const p = await client();
    await publish(p, q, ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    const c = await client();
    await subscribe(c, 's', q, { ack: 'client-individual', 'prefetch-count': '4' });
    const got = await take(c, 4);
    await rt(c, 'ACK', { id: ack(got[1]) });
    // The ACK made room for one more.
    assert.deepEqual(bodies(await take(c, 1)), ['a5']);
    await quiet(c, 50);
    c.close();
    await c.closed;
    const again = await drain(q, 6);
    assert.deepEqual(bodies(again), ['a1', 'a3', 'a4', 'a5', 'a6', 'a7']);
    assert.deepEqual(again.map(redelivered), [true, true, true, true, false, false]);
  });

  it('auto ack: nothing is redelivered after the consumer leaves', async () => {
    const q = `/queue/${uniq('auto')}`;
    const p = await client();
    await publish(p, q, ['x']);
    const c = await client();
    await subscribe(c, 's', q);
    await take(c, 1);
    c.close();
    await c.closed;
    await drain(q, 0);
  });

  it('an ACK or NACK of an already settled delivery is harmless', async () => {
    const { q, c, got } = await delivered('client');
    await rt(c, 'ACK', { id: ack(got[2]) });
    await rt(c, 'ACK', { id: ack(got[2]) });
    await rt(c, 'ACK', { id: ack(got[0]) });
    await rt(c, 'NACK', { id: ack(got[1]) });
    assert.ok(!c.isClosed());
    await quiet(c, 100, 'ERROR');
    await rt(c, 'ACK', { id: ack(got[4]) });
    c.close();
    await drain(q, 0);
  });
});

describe('ACK and NACK naming a delivery that never was (RabbitMQ: unknown delivery tag, Subscription not found)', () => {
  // A RECEIPT here would tell the client its ACK worked while the message stays unacked.
  for (const [name, command, version, headers] of [
    ['1.2 ACK with an id never issued', 'ACK', '1.2', { id: '987654321' }],
    ['1.2 NACK with an id that is not a number', 'NACK', '1.2', { id: 'T_1@@session@@1' }],
    ['1.1 ACK with a message-id never issued', 'ACK', '1.1', { 'message-id': 'no-such-message', subscription: 's' }],
    ['1.1 ACK naming a subscription the connection does not have', 'ACK', '1.1', { 'message-id': 'x-1', subscription: 'nope' }],
    ['1.0 ACK with a message-id never issued', 'ACK', '1.0', { 'message-id': 'typo' }],
  ] as const) {
    it(`${name}: ERROR with the receipt-id, then close; the delivered message stays unacked`, async () => {
      const q = `/queue/${uniq('unknown-ack')}`;
      const p = await client();
      await publish(p, q, ['kept']);
      const c = await client({ version });
      await subscribe(c, 's', q, { ack: 'client-individual' });
      await take(c, 1);
      send(c, command, { ...headers, receipt: 'r-unknown' });
      const err = await errorAndClose(c);
      assert.equal(getHeader(err.headers, 'receipt-id'), 'r-unknown');
      assert.equal(getHeader(err.headers, 'code'), headers.subscription === 'nope' ? 'STOMPBOX_ERR_UNKNOWN_SUBSCRIPTION' : 'STOMPBOX_ERR_UNKNOWN_DELIVERY');
      assert.deepEqual(bodies(await drain(q, 1)), ['kept']);
    });
  }

  it('inside a transaction the ACK is refused at once, not at COMMIT', async () => {
    const c = await client();
    await rt(c, 'BEGIN', { transaction: 't1' });
    send(c, 'ACK', { id: '987654322', transaction: 't1' });
    const err = await errorAndClose(c);
    assert.equal(getHeader(err.headers, 'code'), 'STOMPBOX_ERR_UNKNOWN_DELIVERY');
  });
});

describe('ACK in each protocol version', () => {
  it('STOMP 1.2: ACK with id = the ack header', async () => {
    const { q, c, got } = await delivered('client-individual', ['v1', 'v2']);
    await rt(c, 'ACK', { id: ack(got[0]) });
    c.close();
    assert.deepEqual(bodies(await drain(q, 1)), ['v2']);
  });

  it('STOMP 1.1: ACK with message-id and subscription', async () => {
    const q = `/queue/${uniq('v11')}`;
    const p = await client();
    await publish(p, q, ['v1', 'v2']);
    const c = await client({ version: '1.1' });
    await subscribe(c, 'sub-11', q, { ack: 'client-individual' });
    const got = await take(c, 2);
    assert.equal(getHeader(got[0].headers, 'ack'), undefined, 'no ack header before 1.2');
    await rt(c, 'ACK', { 'message-id': getHeader(got[0].headers, 'message-id') as string, subscription: 'sub-11' });
    c.close();
    assert.deepEqual(bodies(await drain(q, 1)), ['v2']);
  });

  it('STOMP 1.1: NACK with message-id and subscription requeues', async () => {
    const q = `/queue/${uniq('n11')}`;
    const p = await client();
    await publish(p, q, ['n1']);
    const c = await client({ version: '1.1' });
    await subscribe(c, 'sub-11', q, { ack: 'client' });
    const [m] = await take(c, 1);
    await rt(c, 'NACK', { 'message-id': getHeader(m.headers, 'message-id') as string, subscription: 'sub-11' });
    const [again] = await take(c, 1);
    assert.equal(body(again), 'n1');
    assert.ok(redelivered(again));
  });

  it('STOMP 1.0 has no NACK: ERROR', async () => {
    const c = await client({ version: '1.0' });
    c.send('NACK', { 'message-id': 'x' });
    const e = await errorAndClose(c);
    assert.match(getHeader(e.headers, 'message') ?? '', /NACK/);
  });

  it('STOMP 1.0: ACK with message-id alone', async () => {
    const q = `/queue/${uniq('v10')}`;
    const p = await client();
    await publish(p, q, ['v1', 'v2']);
    const c = await client({ version: '1.0' });
    c.send('SUBSCRIBE', { destination: q, ack: 'client', receipt: 's' });
    await c.next('RECEIPT');
    const got = await take(c, 2);
    c.send('ACK', { 'message-id': getHeader(got[0].headers, 'message-id') as string, receipt: 'a' });
    await c.next('RECEIPT');
    c.close();
    assert.deepEqual(bodies(await drain(q, 1)), ['v2']);
  });
});

describe('NACK and dead-lettering', () => {
  it('NACK requeues: the message comes again with redelivered:true', async () => {
    const { c, got } = await delivered('client-individual', ['k1', 'k2']);
    await rt(c, 'NACK', { id: ack(got[0]) });
    const [again] = await take(c, 1);
    assert.equal(body(again), 'k1');
    assert.ok(redelivered(again));
    assert.notEqual(ack(again), ack(got[0]), 'a redelivery has a new ack id');
    assert.equal(getHeader(again.headers, 'message-id'), getHeader(got[0].headers, 'message-id'));
  });

  it('NACK with requeue:false sends the message to /queue/DLQ with x-original-destination and x-death-reason', async () => {
    const { q, c, got } = await delivered('client-individual', ['dead']);
    const q2 = q; // the queue it came from
    send(c, 'NACK', { id: ack(got[0]), requeue: 'false' });
    await quiet(c);
    const m = await deadLetter(q2);
    assert.equal(body(m), 'dead');
    assert.equal(getHeader(m.headers, 'destination'), '/queue/DLQ');
    assert.equal(getHeader(m.headers, 'x-original-destination'), q);
    assert.equal(getHeader(m.headers, 'x-death-reason'), 'rejected');
    await drain(q, 0);
  });

  it('dead-lettered messages keep their user headers and body', async () => {
    const q = `/queue/${uniq('dlh')}`;
    const p = await client();
    await rt(p, 'SEND', { destination: q, 'content-type': 'application/json', order: '42' }, '{"x":1}');
    const c = await client();
    await subscribe(c, 's', q, { ack: 'client' });
    const [m] = await take(c, 1);
    await rt(c, 'NACK', { id: ack(m), requeue: 'false' });
    const d = await deadLetter(q);
    assert.equal(body(d), '{"x":1}');
    assert.equal(getHeader(d.headers, 'order'), '42');
    assert.equal(getHeader(d.headers, 'content-type'), 'application/json');
  });

  it('--max-deliveries 3: after the 3rd NACK the message goes to the DLQ', async () => {
    const { q, c, got } = await delivered('client-individual', ['poison']);
    let m = got[0];
    for (let i = 1; i <= 2; i++) {
      await rt(c, 'NACK', { id: ack(m) });
      [m] = await take(c, 1);
      assert.equal(body(m), 'poison');
      assert.ok(redelivered(m), `delivery ${i + 1} is a redelivery`);
    }
    await rt(c, 'NACK', { id: ack(m) });
    await quiet(c);
    const d = await deadLetter(q);
    assert.equal(body(d), 'poison');
    assert.equal(getHeader(d.headers, 'x-death-reason'), 'delivery-limit');
    assert.equal(getHeader(d.headers, 'x-original-destination'), q);
    await rt(c, 'UNSUBSCRIBE', { id: 's' });
    await drain(q, 0);
  });

  it('--max-deliveries 3 also counts deliveries to consumers that closed without acking', async () => {
    const q = `/queue/${uniq('crash')}`;
    const p = await client();
    await publish(p, q, ['crashy']);
    for (let i = 1; i <= 3; i++) {
      const c = await client();
      await subscribe(c, 's', q, { ack: 'client' });
      const [m] = await take(c, 1);
      assert.equal(redelivered(m), i > 1);
      c.close();
      await c.closed;
    }
    await drain(q, 0);
    const d = await deadLetter(q);
    assert.equal(body(d), 'crashy');
    assert.equal(getHeader(d.headers, 'x-death-reason'), 'delivery-limit');
  });

  it('an expired queue message is dead-lettered with x-death-reason:expired', async () => {
    const q = `/queue/${uniq('exp')}`;
    const p = await client();
    await rt(p, 'SEND', { destination: q, expiration: '30' }, 'stale');
    await sleep(80);
    const c = await client();
    await subscribe(c, 's', q);
    await quiet(c);
    const d = await deadLetter(q);
    assert.equal(body(d), 'stale');
    assert.equal(getHeader(d.headers, 'x-death-reason'), 'expired');
  });

  it('a message that expires in the DLQ itself is dropped, not dead-lettered again', async () => {
    const tag = uniq('dlq-exp');
    const p = await client();
    await rt(p, 'SEND', { destination: '/queue/DLQ', expiration: '30', tag }, 'dies');
    await rt(p, 'SEND', { destination: '/queue/DLQ', tag }, 'lives');
    await sleep(80);
    const c = await client();
    await subscribe(c, 'dlq', '/queue/DLQ', { selector: `tag = '${tag}'` });
    const [m] = await take(c, 1);
    assert.equal(body(m), 'lives');
    await quiet(c);
  });

  it('NACK on a topic subscription with client acks redelivers to that subscription', async () => {
    const t = `/topic/${uniq('tn')}`;
    const c = await client();
    await subscribe(c, 's', t, { ack: 'client-individual' });
    const p = await client();
    await publish(p, t, ['t1']);
    const [m] = await take(c, 1);
    await rt(c, 'NACK', { id: ack(m) });
    const [again] = await take(c, 1);
    assert.equal(body(again), 't1');
    assert.ok(redelivered(again));
  });
});

describe('prefetch', () => {
  for (const mode of ['client', 'client-individual']) {
    it(`prefetch-count:2 with ack:${mode}: at most 2 unacked, the rest follow as acks arrive`, async () => {
      const q = `/queue/${uniq('pf')}`;
      const p = await client();
      const msgs = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
      await publish(p, q, msgs);
      const c = await client();
      await subscribe(c, 's', q, { ack: mode, 'prefetch-count': '2' });
      const first = await take(c, 2);
      assert.deepEqual(bodies(first), ['p1', 'p2']);
      await quiet(c);
      await rt(c, 'ACK', { id: ack(first[0]) });
      const [third] = await take(c, 1);
      assert.equal(body(third), 'p3');
      await quiet(c, 100);
      // Acking the newest: cumulative in client mode (frees 2), just one in client-individual.
      await rt(c, 'ACK', { id: ack(third) });
      const more = await take(c, mode === 'client' ? 2 : 1);
      assert.deepEqual(bodies(more), mode === 'client' ? ['p4', 'p5'] : ['p4']);
      await quiet(c, 100);
      // Meanwhile a second consumer takes what the first has no room for.
      const other = await client();
      await subscribe(other, 'o', q);
      const rest = bodies(await take(other, mode === 'client' ? 1 : 2));
      assert.deepEqual(rest, mode === 'client' ? ['p6'] : ['p5', 'p6']);
    });
  }

  it('a topic subscription with client acks and prefetch-count:1 parks the rest and delivers it as acks arrive', async () => {
    const t = `/topic/${uniq('tpf')}`;
    const c = await client();
    await subscribe(c, 's', t, { ack: 'client', 'prefetch-count': '1' });
    const p = await client();
    await publish(p, t, ['t1', 't2', 't3']);
    let [m] = await take(c, 1);
    assert.equal(body(m), 't1');
    await quiet(c);
    for (const next of ['t2', 't3']) {
      await rt(c, 'ACK', { id: ack(m) });
      [m] = await take(c, 1);
      assert.equal(body(m), next);
    }
    await rt(c, 'ACK', { id: ack(m) });
    await quiet(c);
  });

  it('with auto ack, prefetch-count does not hold messages back', async () => {
    const q = `/queue/${uniq('pfa')}`;
    const p = await client();
    await publish(p, q, ['a', 'b', 'c', 'd']);
    const c = await client();
    await subscribe(c, 's', q, { 'prefetch-count': '1' });
    assert.deepEqual(bodies(await take(c, 4)), ['a', 'b', 'c', 'd']);
  });
});
