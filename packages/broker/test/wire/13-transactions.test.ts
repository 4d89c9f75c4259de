/**
 * Transactions over the wire (STOMP 1.2 §BEGIN, §COMMIT, §ABORT): SEND, ACK and
 * NACK frames naming a transaction take effect at COMMIT, in order; ABORT and a
 * closed connection discard them; unknown or duplicate transactions are errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { bodies, body, errorAndClose, publish, quiet, rt, send, subscribe, take, uniq, type Client, fileBroker } from '../support/messaging.js';

const { client } = fileBroker();

const ack = (f: Frame) => getHeader(f.headers, 'ack') as string;
const redelivered = (f: Frame) => getHeader(f.headers, 'redelivered') === 'true';

/** A consumer subscribed to a fresh queue, and a producer. */
async function pair(dest = `/queue/${uniq('tx')}`, extra: Record<string, string> = {}) {
  const c = await client();
  await subscribe(c, 's', dest, extra);
  const p = await client();
  return { dest, c, p };
}

describe('SEND in a transaction', () => {
  it('is delivered only at COMMIT, in order, without a transaction header', async () => {
    const { dest, c, p } = await pair();
    await rt(p, 'BEGIN', { transaction: 't1' });
    for (const b of ['a', 'b', 'c']) await rt(p, 'SEND', { destination: dest, transaction: 't1' }, b);
    await quiet(c, 200);
    await rt(p, 'COMMIT', { transaction: 't1' });
    const got = await take(c, 3);
    assert.deepEqual(bodies(got), ['a', 'b', 'c']);
    for (const f of got) assert.equal(getHeader(f.headers, 'transaction'), undefined);
  });

  it('works on topics too', async () => {
    const { dest, c, p } = await pair(`/topic/${uniq('ttx')}`);
    await rt(p, 'BEGIN', { transaction: 't' });
    await rt(p, 'SEND', { destination: dest, transaction: 't' }, 'x');
    await quiet(c);
    await rt(p, 'COMMIT', { transaction: 't' });
    assert.deepEqual(bodies(await take(c, 1)), ['x']);
  });

  it('SENDs outside the transaction are delivered at once, ahead of the transaction', async () => {
    const { dest, c, p } = await pair();
    await rt(p, 'BEGIN', { transaction: 't' });
    send(p, 'SEND', { destination: dest, transaction: 't' }, 'in-tx');
    await rt(p, 'SEND', { destination: dest }, 'now');
    assert.deepEqual(bodies(await take(c, 1)), ['now']);
    await rt(p, 'COMMIT', { transaction: 't' });
    assert.deepEqual(bodies(await take(c, 1)), ['in-tx']);
  });

  it('ABORT discards the SENDs', async () => {
    const { dest, c, p } = await pair();
    await rt(p, 'BEGIN', { transaction: 't' });
    send(p, 'SEND', { destination: dest, transaction: 't' }, 'no1');
    send(p, 'SEND', { destination: dest, transaction: 't' }, 'no2');
    await rt(p, 'ABORT', { transaction: 't' });
    await publish(p, dest, ['after']);
    assert.deepEqual(bodies(await take(c, 1)), ['after']);
    await quiet(c);
  });

  it('a disconnect without COMMIT discards the SENDs', async () => {
    const { dest, c, p } = await pair();
    await rt(p, 'BEGIN', { transaction: 't' });
    send(p, 'SEND', { destination: dest, transaction: 't' }, 'lost');
    await rt(p, 'DISCONNECT', {});
    await p.closed;
    const p2 = await client();
    await publish(p2, dest, ['marker']);
    assert.deepEqual(bodies(await take(c, 1)), ['marker']);
    await quiet(c);
  });

  it('an abruptly closed connection discards them too', async () => {
    const { dest, c, p } = await pair();
    await rt(p, 'BEGIN', { transaction: 't' });
    await rt(p, 'SEND', { destination: dest, transaction: 't' }, 'lost');
    p.close();
    await p.closed;
    const p2 = await client();
    await publish(p2, dest, ['marker']);
    assert.deepEqual(bodies(await take(c, 1)), ['marker']);
  });

  it('interleaved transactions commit independently, each in its own order', async () => {
    const { dest, c, p } = await pair();
    await rt(p, 'BEGIN', { transaction: 'a' });
    await rt(p, 'BEGIN', { transaction: 'b' });
    send(p, 'SEND', { destination: dest, transaction: 'a' }, 'a1');
    send(p, 'SEND', { destination: dest, transaction: 'b' }, 'b1');
    send(p, 'SEND', { destination: dest, transaction: 'a' }, 'a2');
    await rt(p, 'COMMIT', { transaction: 'b' });
    assert.deepEqual(bodies(await take(c, 1)), ['b1']);
    await rt(p, 'ABORT', { transaction: 'a' });
    await quiet(c);
    // The id can be used again once the transaction ended.
    await rt(p, 'BEGIN', { transaction: 'a' });
    send(p, 'SEND', { destination: dest, transaction: 'a' }, 'a3');
    await rt(p, 'COMMIT', { transaction: 'a' });
    assert.deepEqual(bodies(await take(c, 1)), ['a3']);
  });

  it('persistent SENDs in a transaction: the COMMIT receipt comes once they are stored', async () => {
    const { dest, c, p } = await pair();
    await rt(p, 'BEGIN', { transaction: 'tp' });
    send(p, 'SEND', { destination: dest, transaction: 'tp', persistent: 'true' }, 'p1');
    send(p, 'SEND', { destination: dest, transaction: 'tp', persistent: 'true' }, 'p2');
    await rt(p, 'COMMIT', { transaction: 'tp' });
    const got = await take(c, 2);
    assert.deepEqual(bodies(got), ['p1', 'p2']);
    assert.equal(getHeader(got[0].headers, 'persistent'), 'true');
  });
});

describe('ACK and NACK in a transaction', () => {
  async function oneDelivered() {
    const { dest, c, p } = await pair(undefined, { ack: 'client-individual' });
    await publish(p, dest, ['m1', 'm2']);
    const got = await take(c, 2);
    return { dest, c, p, got };
  }

  it('ACK takes effect at COMMIT', async () => {
    const { dest, c, got } = await oneDelivered();
    await rt(c, 'BEGIN', { transaction: 't' });
    await rt(c, 'ACK', { id: ack(got[0]), transaction: 't' });
    await rt(c, 'COMMIT', { transaction: 't' });
    c.close();
    await c.closed;
    const c2 = await client();
    await subscribe(c2, 's2', dest);
    const again = await take(c2, 1);
    assert.deepEqual(bodies(again), ['m2']);
    await quiet(c2);
  });

  it('an aborted ACK leaves the message unacked: it is redelivered after a reconnect', async () => {
    const { dest, c, got } = await oneDelivered();
    await rt(c, 'BEGIN', { transaction: 't' });
    await rt(c, 'ACK', { id: ack(got[0]), transaction: 't' });
    await rt(c, 'ABORT', { transaction: 't' });
    c.close();
    await c.closed;
    const c2 = await client();
    await subscribe(c2, 's2', dest);
    const again = await take(c2, 2);
    assert.deepEqual(bodies(again), ['m1', 'm2']);
    assert.ok(again.every(redelivered));
  });

  it('an ACK in a transaction that was never committed does not settle when the connection closes', async () => {
    const { dest, c, got } = await oneDelivered();
    await rt(c, 'BEGIN', { transaction: 't' });
    await rt(c, 'ACK', { id: ack(got[0]), transaction: 't' });
    c.close();
    await c.closed;
    const c2 = await client();
    await subscribe(c2, 's2', dest);
    assert.deepEqual(bodies(await take(c2, 2)), ['m1', 'm2']);
  });

  it('NACK takes effect at COMMIT: the message is redelivered then, not before', async () => {
    const { c, got } = await oneDelivered();
    await rt(c, 'BEGIN', { transaction: 't' });
    await rt(c, 'NACK', { id: ack(got[0]), transaction: 't' });
    await quiet(c, 200);
    await rt(c, 'COMMIT', { transaction: 't' });
    const [again] = await take(c, 1);
    assert.equal(body(again), 'm1');
    assert.ok(redelivered(again));
  });

  it('an aborted NACK is discarded', async () => {
    const { c, got } = await oneDelivered();
    await rt(c, 'BEGIN', { transaction: 't' });
    await rt(c, 'NACK', { id: ack(got[0]), transaction: 't' });
    await rt(c, 'ABORT', { transaction: 't' });
    await quiet(c);
    // Still unacked: a plain ACK settles it now.
    await rt(c, 'ACK', { id: ack(got[0]) });
  });

  it('SEND and ACK in one transaction: consume-and-forward at COMMIT', async () => {
    const { c, got } = await oneDelivered();
    const out = `/queue/${uniq('fwd')}`;
    const sink = await client();
    await subscribe(sink, 'sink', out);
    await rt(c, 'BEGIN', { transaction: 'f' });
    send(c, 'SEND', { destination: out, transaction: 'f' }, `fwd ${body(got[0])}`);
    await rt(c, 'ACK', { id: ack(got[0]), transaction: 'f' });
    await quiet(sink);
    await rt(c, 'COMMIT', { transaction: 'f' });
    assert.deepEqual(bodies(await take(sink, 1)), ['fwd m1']);
  });
});

describe('transaction errors', () => {
  const cases: [string, (c: Client) => Promise<void>, RegExp][] = [
    ['COMMIT of an unknown transaction', async (c) => send(c, 'COMMIT', { transaction: 'nope' }), /nope/],
    ['ABORT of an unknown transaction', async (c) => send(c, 'ABORT', { transaction: 'nope' }), /nope/],
    ['SEND naming an unknown transaction', async (c) => send(c, 'SEND', { destination: '/queue/x', transaction: 'nope' }, 'x'), /nope/],
    ['BEGIN twice with the same id', async (c) => {
      await rt(c, 'BEGIN', { transaction: 'dup' });
      send(c, 'BEGIN', { transaction: 'dup' });
    }, /dup.*already/],
    ['COMMIT after the transaction was committed', async (c) => {
      await rt(c, 'BEGIN', { transaction: 'once' });
      await rt(c, 'COMMIT', { transaction: 'once' });
      send(c, 'COMMIT', { transaction: 'once' });
    }, /once/],
    ['BEGIN without a transaction header', async (c) => send(c, 'BEGIN', {}), /transaction/],
  ];
  for (const [name, act, message] of cases) {
    it(`${name} → ERROR naming the problem, then the connection closes`, async () => {
      const c = await client();
      await act(c);
      const e = await errorAndClose(c);
      assert.match(getHeader(e.headers, 'message') ?? '', message);
    });
  }

  for (const [what, bad] of [
    ['a SEND to a /temp-queue/', { destination: '/temp-queue/x' }],
    ['a SEND without destination', {}],
    ['a SEND with an invalid expiration', { destination: '/queue/whatever', expiration: 'soon' }],
    ['an ACK without id', { command: 'ACK' }],
    ['a NACK without id', { command: 'NACK' }],
  ] as [string, Record<string, string>][]) {
    it(`${what} in a transaction is an ERROR, and nothing of the transaction is delivered`, async () => {
      const { dest, c, p } = await pair();
      await rt(p, 'BEGIN', { transaction: 't' });
      send(p, 'SEND', { destination: dest, transaction: 't' }, 'first');
      const { command = 'SEND', ...headers } = bad;
      send(p, command, { ...headers, transaction: 't' }, command === 'SEND' ? 'bad' : undefined);
      send(p, 'SEND', { destination: dest, transaction: 't' }, 'last');
      send(p, 'COMMIT', { transaction: 't' });
      await errorAndClose(p);
      await quiet(c, 200);
    });
  }

  it('an ERROR carries the receipt-id of the frame that caused it', async () => {
    const c = await client();
    send(c, 'COMMIT', { transaction: 'ghost', receipt: 'commit-1' });
    const e = await errorAndClose(c);
    assert.equal(getHeader(e.headers, 'receipt-id'), 'commit-1');
  });
});
