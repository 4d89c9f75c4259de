/**
 * Durable topic subscriptions in the three header styles users bring (RabbitMQ,
 * ActiveMQ, Artemis): a subscriber that goes away misses nothing that was published
 * persistent while it was away, across a broker crash too; on return it gets exactly
 * those messages, in publish order, before any live one. UNSUBSCRIBE with the durable
 * header removes the subscription and what it kept; a plain UNSUBSCRIBE does not.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bodies, dataDirBrokers, errorAndClose, hdr, publish, quiet, rt, subscribe, take, uniq, type Client } from '../support/messaging.js';

const { start, client } = dataDirBrokers('stompbox-durable-');

/**
 * Leaves gracefully: DISCONNECT with a receipt, so the broker has detached the
 * subscriber before the test publishes (with auto ack, a message written to a
 * connection that is going away is gone with it, as with any broker).
 */
async function leave(c: Client): Promise<void> {
  await rt(c, 'DISCONNECT', {});
  c.close();
}

const range = (from: number, to: number, p = 'm') => Array.from({ length: to - from }, (_, i) => `${p}${from + i}`);
const PERSISTENT = { persistent: 'true' };

describe('durable subscriptions: what the subscriber missed, in order, before live ones', () => {
  for (const [style, connectHeaders, subHeaders] of [
    ['RabbitMQ (durable:true, auto-delete:false, id)', {}, { durable: 'true', 'auto-delete': 'false' }],
    ['ActiveMQ (client-id + activemq.subscriptionName)', { 'client-id': 'app-1' }, { 'activemq.subscriptionName': 'orders-feed' }],
    ['Artemis (client-id + durable-subscription-name)', { 'client-id': 'app-2' }, { 'durable-subscription-name': 'orders-feed' }],
  ] as const) {
    it(`${style}: N missed across a crash and restart arrive once each, in order, then live`, async () => {
      const topic = `/topic/${uniq('dur')}`;
      const id = uniq('sub');
      let broker = await start();
      let s = await client(broker, connectHeaders);
      await subscribe(s, id, topic, { ack: 'client-individual', ...subHeaders });
      const p = await client(broker);
      await publish(p, topic, ['live0'], PERSISTENT);
      const [first] = await take(s, 1);
      assert.equal(hdr(first, 'destination'), topic);
      await rt(s, 'ACK', { id: hdr(first, 'ack') as string });
      await leave(s);
      // Away: 6 messages, then a crash, then 6 more.
      await publish(p, topic, range(0, 6), PERSISTENT);
      await broker.stop('SIGKILL');
      broker = await start();
      const p2 = await client(broker);
      await publish(p2, topic, range(6, 12), PERSISTENT);

      s = await client(broker, connectHeaders);
      await subscribe(s, id, topic, { ack: 'client-individual', ...subHeaders });
      const missed = await take(s, 12);
      assert.deepEqual(bodies(missed), range(0, 12));
      await publish(p2, topic, ['live1'], PERSISTENT);
      const [live] = await take(s, 1);
      assert.equal(hdr(live, 'destination'), topic);
      assert.deepEqual(bodies([live]), ['live1']);
      for (const m of [...missed, live]) await rt(s, 'ACK', { id: hdr(m, 'ack') as string });
      await quiet(s, 200);

      // Everything was acked: after another crash nothing comes back.
      await broker.stop('SIGKILL');
      broker = await start();
      s = await client(broker, connectHeaders);
      await subscribe(s, id, topic, { ack: 'client-individual', ...subHeaders });
      await quiet(s, 300);
    });
  }

  it('messages published before the durable subscription existed are not in it; a non-durable subscriber is unaffected', async () => {
    const topic = `/topic/${uniq('dur')}`;
    const broker = await start();
    const p = await client(broker);
    await publish(p, topic, ['before'], PERSISTENT);
    const plain = await client(broker);
    await subscribe(plain, 'plain', topic);
    const s = await client(broker);
    await subscribe(s, 'd-before', topic, { durable: 'true' });
    await leave(s);
    await publish(p, topic, ['after'], PERSISTENT);
    assert.deepEqual(bodies(await take(plain, 1)), ['after']);
    const back = await client(broker);
    await subscribe(back, 'd-before', topic, { durable: 'true' });
    assert.deepEqual(bodies(await take(back, 1)), ['after']);
    await quiet(back, 200);
  });

  it('a pattern and a selector: only the matching messages are kept', async () => {
    const base = uniq('pat');
    const broker = await start();
    const s = await client(broker, { 'client-id': 'sel' });
    await subscribe(s, 'x', `/topic/${base}.*`, { 'activemq.subscriptionName': 'sel-sub', selector: "kind = 'keep'" });
    await leave(s);
    const p = await client(broker);
    await publish(p, `/topic/${base}.a`, ['k1'], { ...PERSISTENT, kind: 'keep' });
    await publish(p, `/topic/${base}.a`, ['drop1'], { ...PERSISTENT, kind: 'other' });
    await publish(p, `/topic/${base}.b.c`, ['drop2'], { ...PERSISTENT, kind: 'keep' });
    await publish(p, `/topic/${base}.b`, ['k2'], { ...PERSISTENT, kind: 'keep' });
    const back = await client(broker, { 'client-id': 'sel' });
    await subscribe(back, 'x', `/topic/${base}.*`, { 'activemq.subscriptionName': 'sel-sub', selector: "kind = 'keep'" });
    const got = await take(back, 2);
    assert.deepEqual(bodies(got), ['k1', 'k2']);
    assert.deepEqual(got.map((m) => hdr(m, 'destination')), [`/topic/${base}.a`, `/topic/${base}.b`]);
    await quiet(back, 200);
  });

  it('a transient message waits for an absent durable subscriber while the broker runs, but not across a restart', async () => {
    const topic = `/topic/${uniq('dur')}`;
    let broker = await start();
    const s = await client(broker);
    await subscribe(s, 'd-transient', topic, { durable: 'true' });
    await leave(s);
    const p = await client(broker);
    await publish(p, topic, ['t1']);
    await publish(p, topic, ['p1'], PERSISTENT);
    let back = await client(broker);
    await subscribe(back, 'd-transient', topic, { durable: 'true' });
    assert.deepEqual(bodies(await take(back, 2)), ['t1', 'p1']); // auto ack: consumed
    await leave(back);
    await publish(p, topic, ['t2']);
    await publish(p, topic, ['p2'], PERSISTENT);
    await broker.stop('SIGKILL');
    broker = await start();
    back = await client(broker);
    await subscribe(back, 'd-transient', topic, { durable: 'true' });
    assert.deepEqual(bodies(await take(back, 1)), ['p2']);
    await quiet(back, 200);
  });
});

describe('durable subscriptions: removal and changes', () => {
  it('a plain UNSUBSCRIBE keeps the subscription; UNSUBSCRIBE with the durable header removes it and what it kept', async () => {
    const topic = `/topic/${uniq('dur')}`;
    let broker = await start();
    const p = await client(broker);
    let s = await client(broker);
    await subscribe(s, 'd-rm', topic, { durable: 'true' });
    await rt(s, 'UNSUBSCRIBE', { id: 'd-rm' });
    await publish(p, topic, ['kept'], PERSISTENT);
    await subscribe(s, 'd-rm', topic, { durable: 'true' });
    assert.deepEqual(bodies(await take(s, 1)), ['kept']);
    await rt(s, 'UNSUBSCRIBE', { id: 'd-rm', durable: 'true' });
    await publish(p, topic, ['nobody'], PERSISTENT);
    // Removed, and the removal was stored before its RECEIPT: a crash does not bring it back.
    await broker.stop('SIGKILL');
    broker = await start();
    s = await client(broker);
    await subscribe(s, 'd-rm', topic, { durable: 'true' });
    await quiet(s, 300);
  });

  it('ActiveMQ and Artemis styles: UNSUBSCRIBE with the subscription name removes it', async () => {
    const topic = `/topic/${uniq('dur')}`;
    const broker = await start();
    const p = await client(broker);
    for (const header of ['activemq.subscriptionName', 'durable-subscription-name']) {
      const s = await client(broker, { 'client-id': 'c-rm' });
      await subscribe(s, 'x', topic, { [header]: 'n' });
      await rt(s, 'UNSUBSCRIBE', { id: 'x', [header]: 'n' });
      await publish(p, topic, [`gone-${header}`], PERSISTENT);
      await subscribe(s, 'x', topic, { [header]: 'n' });
      await quiet(s, 200);
      await rt(s, 'UNSUBSCRIBE', { id: 'x', [header]: 'n' });
    }
  });

  it('resubscribing with another topic or selector starts a new subscription (JMS): what the old one kept is dropped', async () => {
    const [a, b] = [`/topic/${uniq('a')}`, `/topic/${uniq('b')}`];
    const broker = await start();
    const p = await client(broker);
    const s = await client(broker);
    await subscribe(s, 'd-move', a, { durable: 'true' });
    await rt(s, 'UNSUBSCRIBE', { id: 'd-move' });
    await publish(p, a, ['old'], PERSISTENT);
    await subscribe(s, 'd-move', b, { durable: 'true' });
    await publish(p, a, ['not-mine'], PERSISTENT);
    await publish(p, b, ['new'], PERSISTENT);
    assert.deepEqual(bodies(await take(s, 1)), ['new']);
    await quiet(s, 200);
  });

  it('a client-id header is needed for ActiveMQ and Artemis names; an empty name is refused', async () => {
    const broker = await start();
    const s = await client(broker);
    s.send('SUBSCRIBE', { id: 'x', destination: '/topic/t', 'activemq.subscriptionName': 'n' });
    const err = await errorAndClose(s);
    assert.equal(hdr(err, 'code'), 'STOMPBOX_ERR_MISSING_HEADER');
    assert.match(hdr(err, 'message') ?? '', /needs a 'client-id' header on CONNECT/);
    const e2 = await client(broker, { 'client-id': 'c' });
    e2.send('SUBSCRIBE', { id: 'x', destination: '/topic/t', 'durable-subscription-name': '' });
    assert.equal(hdr(await errorAndClose(e2), 'code'), 'STOMPBOX_ERR_BAD_HEADER_VALUE');
  });

  it('two clients with different client-ids keep separate subscriptions of the same name', async () => {
    const topic = `/topic/${uniq('dur')}`;
    const broker = await start();
    const p = await client(broker);
    for (const cid of ['left', 'right']) {
      const s = await client(broker, { 'client-id': cid });
      await subscribe(s, 'x', topic, { 'activemq.subscriptionName': 'same' });
      await leave(s);
    }
    await publish(p, topic, ['one', 'two'], PERSISTENT);
    for (const cid of ['left', 'right']) {
      const s = await client(broker, { 'client-id': cid });
      await subscribe(s, 'x', topic, { 'activemq.subscriptionName': 'same' });
      assert.deepEqual(bodies(await take(s, 2)), ['one', 'two'], cid);
    }
  });
});
