import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type RouterOptions } from '../../src/core/router.js';
import type { Subscription } from '../../src/core/subscription.js';
import { compileSelector } from '../../src/core/selector.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { MessageStore, StoreBatch } from '../../src/store/types.js';
import { FakeTarget, header, makeSub, msg, text, turn } from './fake-target.js';

const DLQ = '/queue/dlq';

async function setup(o: Partial<RouterOptions> = {}): Promise<{ router: Router; store: MessageStore }> {
  const store = o.store ?? new MemoryStore();
  if (o.store === undefined) await store.open();
  return { router: new Router({ store, maxDeliveries: 0, deadLetterQueue: DLQ, ...o }), store };
}

/** Settles the delivery with `tag` (client-individual) as the STOMP ACK handler does. */
function ack(router: Router, sub: Subscription, tag: number): Promise<void> | undefined {
  const entries = sub.take(tag, false);
  assert.ok(entries !== undefined, `unknown tag ${tag}`);
  return router.ack(sub, entries);
}

function nack(router: Router, sub: Subscription, tag: number, requeue: boolean): void {
  const entries = sub.take(tag, false);
  assert.ok(entries !== undefined, `unknown tag ${tag}`);
  router.nack(sub, entries, requeue);
}

/** Stored queue contents: queue -> body texts in load order. */
async function stored(store: MessageStore): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const q of await store.load()) out[q.queue] = q.entries.map((e) => text(e.msg));
  return out;
}

describe('Router: queues', () => {
  it('a reply to a reply queue whose requester left is dropped, not kept unreadable', async () => {
    const { router } = await setup();
    router.publish(msg('/reply-queue/gone-r1', 'late reply'));
    assert.equal((router.findQueue('/reply-queue/gone-r1') !== undefined), false);
    assert.equal(router.stats.unrouted, 1);
    const t = new FakeTarget();
    const sub = makeSub(t, '/reply-queue/live-r1');
    router.subscribe(sub);
    router.publish(msg('/reply-queue/live-r1', 'reply'));
    assert.deepEqual(t.bodies(), ['reply']);
    router.unsubscribe(sub);
    assert.equal((router.findQueue('/reply-queue/live-r1') !== undefined), false, 'deleted with its consumer');
  });

  it('round robin over consumers subscribed through the router', async () => {
    const { router } = await setup();
    const [ta, tb] = [new FakeTarget(), new FakeTarget()];
    router.subscribe(makeSub(ta, '/queue/a'));
    router.subscribe(makeSub(tb, '/queue/a'));
    for (let i = 0; i < 4; i++) router.publish(msg('/queue/a', `m${i}`));
    assert.deepEqual(ta.bodies(), ['m0', 'm2']);
    assert.deepEqual(tb.bodies(), ['m1', 'm3']);
    assert.deepEqual(router.snapshot().queues, [{ destination: '/queue/a', depth: 0, consumers: 2 }]);
  });

  it('prefetch bounds deliveries; an ack refills', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/a', { ackMode: 'client-individual', prefetch: 2 });
    router.subscribe(sub);
    for (let i = 0; i < 4; i++) router.publish(msg('/queue/a', `m${i}`));
    assert.deepEqual(t.bodies(), ['m0', 'm1']);
    ack(router, sub, t.deliveries[1].tag);
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2']);
    assert.equal(router.stats.acked, 1);
  });

  it('congestion stops dispatch and refill resumes it', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/a');
    router.subscribe(sub);
    router.publish(msg('/queue/a', 'm0'));
    t.congested = true;
    router.publish(msg('/queue/a', 'm1'));
    router.publish(msg('/queue/a', 'm2'));
    assert.deepEqual(t.bodies(), ['m0']);
    assert.equal(router.queue('/queue/a').depth, 2);
    t.congested = false;
    router.refill(sub);
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2']);
  });

  it('unsubscribe requeues unacked at the head; another consumer gets them redelivered, in order', async () => {
    const { router } = await setup();
    const [ta, tb] = [new FakeTarget(), new FakeTarget()];
    const a = makeSub(ta, '/queue/a', { ackMode: 'client', prefetch: 2 });
    router.subscribe(a);
    for (let i = 0; i < 3; i++) router.publish(msg('/queue/a', `m${i}`));
    router.unsubscribe(a);
    router.unsubscribe(a); // twice is harmless
    const b = makeSub(tb, '/queue/a', { ackMode: 'client' });
    router.subscribe(b);
    assert.deepEqual(tb.bodies(), ['m0', 'm1', 'm2']);
    assert.deepEqual(tb.deliveries.map((d) => d.redelivered), [true, true, false]);
  });

  it('a queue with no consumer and no message is dropped; a reply queue goes with its consumer', async () => {
    const { router } = await setup();
    const sub = makeSub(new FakeTarget(), '/queue/a');
    router.subscribe(sub);
    router.unsubscribe(sub);
    assert.equal((router.findQueue('/queue/a') !== undefined), false);
    const reply = makeSub(new FakeTarget(), '/reply-queue/r1', { ackMode: 'client' });
    router.subscribe(reply);
    router.publish(msg('/reply-queue/r1', 'x'));
    router.publish(msg('/reply-queue/r1', 'y'));
    router.unsubscribe(reply);
    assert.equal((router.findQueue('/reply-queue/r1') !== undefined), false);
  });
});

describe('Router: NACK and dead letters', () => {
  it('NACK requeues at the head; redelivered with the count incremented', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/a', { ackMode: 'client-individual', prefetch: 1 });
    router.subscribe(sub);
    router.publish(msg('/queue/a', 'm0'));
    router.publish(msg('/queue/a', 'm1'));
    nack(router, sub, t.last().tag, true);
    assert.deepEqual(t.bodies(), ['m0', 'm0']);
    assert.equal(t.last().redelivered, true);
    assert.equal(router.stats.nacked, 1);
    assert.equal((router.findQueue(DLQ) !== undefined), false);
  });

  it('NACK requeue=false dead-letters with x-original-destination, x-death-reason, x-delivery-count', async () => {
    const { router } = await setup();
    const [t, td] = [new FakeTarget(), new FakeTarget()];
    const sub = makeSub(t, '/queue/a', { ackMode: 'client-individual' });
    router.subscribe(sub);
    router.subscribe(makeSub(td, DLQ));
    const original = msg('/queue/a', 'poison', { headers: ['k', 'v'] });
    router.publish(original);
    nack(router, sub, t.last().tag, false);
    assert.equal(td.deliveries.length, 1);
    const dead = td.last().msg;
    assert.equal(dead.destination, DLQ);
    assert.equal(text(dead), 'poison');
    assert.notEqual(dead.id, original.id);
    assert.equal(header(dead, 'k'), 'v');
    assert.equal(header(dead, 'x-original-destination'), '/queue/a');
    assert.equal(header(dead, 'x-death-reason'), 'rejected');
    assert.equal(header(dead, 'x-delivery-count'), '1');
    assert.equal(router.stats.deadLettered, 1);
    assert.equal(router.queue('/queue/a').depth, 0);
  });

  it('a message delivered maxDeliveries times is dead-lettered on its next NACK', async () => {
    const { router } = await setup({ maxDeliveries: 3 });
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/a', { ackMode: 'client-individual' });
    router.subscribe(sub);
    router.publish(msg('/queue/a', 'm'));
    nack(router, sub, t.last().tag, true);
    nack(router, sub, t.last().tag, true);
    assert.equal(t.deliveries.length, 3);
    nack(router, sub, t.last().tag, true);
    assert.equal(t.deliveries.length, 3);
    const [dead] = [...router.queue(DLQ).waiting()];
    assert.equal(header(dead.msg, 'x-death-reason'), 'delivery-limit');
    assert.equal(header(dead.msg, 'x-delivery-count'), '3');
  });

  it('the dead-letter queue never dead-letters into itself', async () => {
    const { router } = await setup({ maxDeliveries: 1 });
    const td = new FakeTarget();
    const dsub = makeSub(td, DLQ, { ackMode: 'client-individual' });
    router.subscribe(dsub);
    router.publish(msg(DLQ, 'a'));
    router.publish(msg(DLQ, 'b'));
    nack(router, dsub, td.deliveries[0].tag, false);
    nack(router, dsub, td.deliveries[1].tag, true); // past maxDeliveries
    assert.deepEqual(td.bodies(), ['a', 'b']);
    assert.equal(router.queue(DLQ).depth, 0);
    assert.equal(router.stats.deadLettered, 0);
  });

  it('an expired message in the dead-letter queue is dropped, not dead-lettered again', async () => {
    const { router } = await setup();
    router.publish(msg(DLQ, 'stale', { expires: Date.now() - 1 }));
    const td = new FakeTarget();
    router.subscribe(makeSub(td, DLQ));
    assert.deepEqual(td.bodies(), []);
    assert.equal(router.stats.expired, 1);
    assert.equal(router.stats.deadLettered, 0);
    assert.equal(router.queue(DLQ).depth, 0);
  });

  it('an expired message is not delivered; it goes to the DLQ with reason expired', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    router.publish(msg('/queue/a', 'stale', { expires: Date.now() - 1000 }));
    router.publish(msg('/queue/a', 'fresh'));
    router.subscribe(makeSub(t, '/queue/a'));
    assert.deepEqual(t.bodies(), ['fresh']);
    const [dead] = [...router.queue(DLQ).waiting()];
    assert.equal(text(dead.msg), 'stale');
    assert.equal(header(dead.msg, 'x-death-reason'), 'expired');
    assert.equal(header(dead.msg, 'x-original-destination'), '/queue/a');
    assert.equal(header(dead.msg, 'x-delivery-count'), '0');
    assert.equal(dead.msg.expires, 0);
    assert.equal(router.stats.expired, 1);
  });
});

describe('Router: topics', () => {
  it('a parked topic message that expires while it waits for credit is dropped, not delivered late', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/topic/exp', { ackMode: 'client-individual', prefetch: 1 });
    router.subscribe(sub);
    router.publish(msg('/topic/exp', 'first'));
    router.publish(msg('/topic/exp', 'stale', { expires: Date.now() + 20 }));
    router.publish(msg('/topic/exp', 'fresh'));
    assert.deepEqual(t.bodies(), ['first']);
    await new Promise((r) => setTimeout(r, 40));
    await ack(router, sub, t.last().tag);
    assert.deepEqual(t.bodies(), ['first', 'fresh']);
    assert.equal(sub.expired, 1);
  });

  it('fans out to every matching auto-ack subscription, with the fan-out count', async () => {
    const { router } = await setup();
    const ts = [new FakeTarget(), new FakeTarget(), new FakeTarget(), new FakeTarget()];
    router.subscribe(makeSub(ts[0], '/topic/a.b'));
    router.subscribe(makeSub(ts[1], '/topic/a.*'));
    router.subscribe(makeSub(ts[2], '/topic/#'));
    router.subscribe(makeSub(ts[3], '/topic/x'));
    router.publish(msg('/topic/a.b', 'hi'));
    assert.deepEqual(ts.map((t) => t.bodies()), [['hi'], ['hi'], ['hi'], []]);
    assert.ok(ts.slice(0, 3).every((t) => t.last().fanout === 3 && t.last().tag === 0));
    router.publish(msg('/topic/nobody.here.at.all', 'x'));
    router.publish(msg('/response/1', 'x'));
    assert.equal(router.stats.unrouted, 1);
    assert.equal(router.snapshot().topicSubscriptions, 4);
  });

  it('a selector on a topic subscription filters', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    router.subscribe(makeSub(t, '/topic/t', { selector: compileSelector('n > 1') }));
    for (const n of ['1', '2', '3']) router.publish(msg('/topic/t', n, { headers: ['n', n] }));
    assert.deepEqual(t.bodies(), ['2', '3']);
  });

  it('exact destinations outside /topic/ are matched literally', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    router.subscribe(makeSub(t, '/exchange/a.*'));
    router.subscribe(makeSub(new FakeTarget(), '/topic/#'));
    router.publish(msg('/exchange/a.b', 'no'));
    router.publish(msg('/exchange/a.*', 'yes'));
    assert.deepEqual(t.bodies(), ['yes']);
  });

  it('client-ack topic subscriptions park messages without credit and drain them on ack', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/topic/t', { ackMode: 'client-individual', prefetch: 1 });
    router.subscribe(sub);
    for (let i = 0; i < 3; i++) router.publish(msg('/topic/t', `m${i}`));
    assert.deepEqual(t.bodies(), ['m0']);
    assert.equal(sub.pending.length, 2);
    ack(router, sub, t.last().tag);
    assert.deepEqual(t.bodies(), ['m0', 'm1']);
    ack(router, sub, t.last().tag);
    ack(router, sub, t.last().tag);
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2']);
    assert.equal(sub.pending.length, 0);
  });

  it('a congested client-ack topic subscription parks, keeps order, and drains on refill', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/topic/t', { ackMode: 'client' });
    router.subscribe(sub);
    t.congested = true;
    router.publish(msg('/topic/t', 'm0'));
    router.publish(msg('/topic/t', 'm1'));
    t.congested = false;
    router.publish(msg('/topic/t', 'm2')); // must not overtake the parked ones
    assert.deepEqual(t.bodies(), []);
    router.refill(sub);
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2']);
  });

  it('maxPending drops the oldest parked messages', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/topic/t', { ackMode: 'client-individual', prefetch: 1, maxPending: 2 });
    router.subscribe(sub);
    for (let i = 0; i < 5; i++) router.publish(msg('/topic/t', `m${i}`));
    assert.equal(sub.dropped, 2);
    for (let i = 0; i < 3; i++) ack(router, sub, t.last().tag);
    assert.deepEqual(t.bodies(), ['m0', 'm3', 'm4']);
  });

  it('NACK with requeue on a topic subscription redelivers first', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/topic/t', { ackMode: 'client-individual', prefetch: 1 });
    router.subscribe(sub);
    router.publish(msg('/topic/t', 'm0'));
    router.publish(msg('/topic/t', 'm1'));
    nack(router, sub, t.last().tag, true);
    assert.deepEqual(t.bodies(), ['m0', 'm0']);
    assert.equal(t.last().redelivered, true);
  });

  it('unsubscribe removes the subscription from the index', async () => {
    const { router } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/topic/a.#');
    router.subscribe(sub);
    router.unsubscribe(sub);
    router.publish(msg('/topic/a.b', 'x'));
    assert.deepEqual(t.bodies(), []);
    assert.equal(router.snapshot().topicSubscriptions, 0);
  });
});

describe('Router: persistence', () => {
  it('records a persistent queue message and removes it on ack', async () => {
    const { router, store } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/p', { ackMode: 'client-individual' });
    router.subscribe(sub);
    const done = router.publish(msg('/queue/p', 'keep', { persistent: true }));
    assert.ok(done instanceof Promise);
    assert.equal(router.publish(msg('/queue/p', 'transient')), undefined);
    await done;
    assert.deepEqual(await stored(store), { '/queue/p': ['keep'] });
    await ack(router, sub, t.deliveries[0].tag);
    await turn();
    assert.deepEqual(await stored(store), {});
    assert.equal(await store.messageCount(), 0);
  });

  it('an auto-ack delivery removes the message in the same batch: nothing is left', async () => {
    const { router, store } = await setup();
    router.subscribe(makeSub(new FakeTarget(), '/queue/p'));
    await router.publish(msg('/queue/p', 'x', { persistent: true }));
    await turn();
    assert.deepEqual(await stored(store), {});
    assert.equal(await store.messageCount(), 0);
  });

  it('a dead-lettered persistent message moves to the DLQ in the store', async () => {
    const { router, store } = await setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/p', { ackMode: 'client-individual' });
    router.subscribe(sub);
    await router.publish(msg('/queue/p', 'bad', { persistent: true }));
    nack(router, sub, t.last().tag, false);
    await router.flush();
    await turn();
    assert.deepEqual(await stored(store), { [DLQ]: ['bad'] });
    assert.equal(await store.messageCount(), 1);
  });

  it('recover() reloads stored messages in order', async () => {
    const store = new MemoryStore();
    await store.open();
    const { router } = await setup({ store });
    for (let i = 0; i < 5; i++) router.publish(msg('/queue/p', `m${i}`, { persistent: true }));
    router.publish(msg('/queue/q', 'other', { persistent: true }));
    router.publish(msg('/queue/p', 'not kept'));
    await router.flush();
    const { router: again } = await setup({ store });
    assert.equal((await again.recover()).messages, 6);
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/p', { ackMode: 'client-individual' });
    again.subscribe(sub);
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.ok(t.deliveries.every((d) => d.msg.persistent && !d.redelivered));
    for (const d of t.deliveries) ack(again, sub, d.tag);
    await again.flush();
    await turn();
    assert.deepEqual(await stored(store), { '/queue/q': ['other'] });
  });

  it('messages published after recover() stay behind the recovered ones', async () => {
    const store = new MemoryStore();
    await store.open();
    // Left by an earlier broker process, whose sequence had gone further than ours.
    const old = { id: 'earlier-process-1', seq: 1e12, destination: '/queue/p', headers: [], body: new TextEncoder().encode('old'), expires: 0, timestamp: 0 };
    await store.commit({ messages: [old], enqueue: [{ queue: '/queue/p', id: old.id, seq: old.seq }], remove: [], deliveries: [], state: [] });
    const { router } = await setup({ store });
    await router.recover();
    await router.publish(msg('/queue/p', 'new', { persistent: true }));
    const { router: third } = await setup({ store });
    await third.recover();
    assert.deepEqual([...third.queue("/queue/p").waiting()].map((e) => text(e.msg)), ['old', 'new']);
  });

  it('a failed commit is reported and rejects the publish promise', async () => {
    const failing = new MemoryStore();
    await failing.open();
    failing.commit = (_b: StoreBatch) => Promise.reject(new Error('disk full'));
    const errors: unknown[] = [];
    const { router } = await setup({ store: failing, onStoreError: (e) => errors.push(e) });
    const done = router.publish(msg('/queue/p', 'x', { persistent: true }));
    await assert.rejects(done as Promise<void>, /disk full/);
    assert.equal(errors.length, 1);
  });
});
