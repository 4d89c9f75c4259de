/**
 * What the store sees of durable bound queues (a kept MQTT session's queue) and of
 * the records components keep through the router's group commit
 * (core/group-commit.ts): one body per batch however many queues take a message,
 * references removed on ack, drop, expiry and destroy, a write cancelled when the
 * message is gone before its batch is sealed, state records (the last value of a key
 * in a turn wins), and recovery in order with delivery counts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundQueue } from '../../src/core/bound-queue.js';
import type { Subscription } from '../../src/core/subscription.js';
import { MemoryStore } from '../../src/store/memory.js';
import { FakeTarget, makeSub, msg, recordingRouter, text, turn } from './fake-target.js';

async function stored(store: MemoryStore): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const q of await store.load()) out[q.queue] = q.entries.map((e) => text(e.msg));
  return out;
}

function consumer(b: BoundQueue): { t: FakeTarget; sub: Subscription } {
  const t = new FakeTarget();
  const sub = makeSub(t, b.name, { ackMode: 'client-individual', prefetch: 100 });
  b.addConsumer(sub);
  return { t, sub };
}

describe('durable bound queues', () => {
  it('one body for two queues in one batch; the publish waits for it; transient messages are not stored', async () => {
    const { router, store, commits } = await recordingRouter();
    const [a, b] = [new BoundQueue(router, 's/a', 10, true), new BoundQueue(router, 's/b', 10, true)];
    a.bind('/topic/t.#');
    b.bind('/topic/t.x');
    const done = router.publish(msg('/topic/t.x', 'kept', { persistent: true }));
    assert.ok(done instanceof Promise, 'the publisher is told when the queues have it');
    assert.equal(router.publish(msg('/topic/t.x', 'transient')), undefined);
    await done;
    assert.equal(commits.length, 1);
    assert.equal(commits[0].messages.length, 1, 'the body once');
    assert.equal(commits[0].enqueue.length, 2);
    assert.deepEqual(await stored(store), { 's/a': ['kept'], 's/b': ['kept'] });
    assert.equal(await store.messageCount(), 1);
  });

  it('ack, the bound, expiry and destroy remove references; a message acked in its own turn is never written', async () => {
    const { router, store } = await recordingRouter();
    const q = new BoundQueue(router, 's/c', 2, true);
    q.bind('/topic/c');
    for (const m of ['m1', 'm2', 'm3']) router.publish(msg('/topic/c', m, { persistent: true }));
    router.publish(msg('/topic/c', 'expiring', { persistent: true, expires: Date.now() + 20 }));
    await router.flush();
    assert.deepEqual(await stored(store), { 's/c': ['m3', 'expiring'] }, 'm1 and m2 dropped at the bound, from the store too');
    await new Promise((r) => setTimeout(r, 30));
    const { t, sub } = consumer(q);
    assert.deepEqual(t.bodies(), ['m3'], 'the expired one is dropped, not delivered');
    router.ack(sub, sub.take(t.last().tag, false)!);
    // Published, delivered and acked in one turn: cancelled in its own batch.
    router.publish(msg('/topic/c', 'quick', { persistent: true }));
    router.ack(sub, sub.take(t.last().tag, false)!);
    await router.flush();
    await turn();
    assert.deepEqual(await stored(store), {});
    assert.equal(await store.messageCount(), 0);
    router.publish(msg('/topic/c', 'left behind', { persistent: true }));
    q.removeConsumer(sub);
    q.destroy();
    await router.flush();
    assert.deepEqual(await stored(store), {});
  });

  it('setDurable stores and unstores what waits and what is out with a consumer', async () => {
    const { router, store } = await recordingRouter();
    const q = new BoundQueue(router, 's/d', 10);
    q.bind('/topic/d');
    const { t, sub } = consumer(q);
    router.publish(msg('/topic/d', 'out', { persistent: true }));
    t.congested = true;
    router.publish(msg('/topic/d', 'waiting', { persistent: true }));
    await router.flush();
    assert.deepEqual(await stored(store), {});
    q.setDurable(true, sub.unacked.values());
    await router.flush();
    assert.deepEqual(await stored(store), { 's/d': ['out', 'waiting'] });
    q.setDurable(false, sub.unacked.values());
    await router.flush();
    assert.deepEqual(await stored(store), {});
  });

  it('recovered in publish order with delivery counts; a new bound queue of that name takes them over', async () => {
    const store = new MemoryStore();
    const { router } = await recordingRouter(store);
    const q = new BoundQueue(router, 's/e', 10, true);
    q.bind('/topic/e');
    const { t, sub } = consumer(q);
    t.congested = true;
    for (const m of ['e1', 'e2', 'e3']) router.publish(msg('/topic/e', m, { persistent: true }));
    t.congested = false;
    router.refill(sub);
    assert.deepEqual(t.bodies(), ['e1', 'e2', 'e3']);
    router.ack(sub, sub.take(t.deliveries[1].tag, false)!);
    await router.flush();

    const { router: again } = await recordingRouter(store);
    await again.recover();
    const back = new BoundQueue(again, 's/e', 10, true);
    const c = consumer(back);
    assert.deepEqual(c.t.bodies(), ['e1', 'e3']);
    assert.ok(c.t.deliveries.every((d) => d.redelivered), 'they had been delivered before');
  });
});

describe('state records through the group commit', () => {
  it('the last value of a key in a turn wins; records are committed with the turn and loaded back', async () => {
    const { router, store, commits } = await recordingRouter();
    router.saveState('x/a', 'first');
    router.saveState('x/b', { value: 1 });
    router.saveState('x/a', 'second');
    const done = router.saveState('x/b', { value: 2 });
    await done;
    assert.equal(commits.length, 1);
    assert.deepEqual(commits[0].state, [
      { key: 'x/a', value: 'second' },
      { key: 'x/b', value: { value: 2 } },
    ]);
    router.saveState('x/a', null);
    await router.flush();
    assert.deepEqual([...(await store.loadState())], [['x/b', { value: 2 }]]);
    const { router: again } = await recordingRouter(store);
    const { state } = await again.recover();
    assert.deepEqual(state.get('x/b'), { value: 2 });
  });
});
