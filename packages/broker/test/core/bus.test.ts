/**
 * The fan-out bus seam (core/bus.ts) with two routers, as two nodes of one broker,
 * joined by an in-memory bus that does what a cluster engine's live path must: it
 * carries each topic message published at one node to the other, once, in order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FanOutBus } from '../../src/core/bus.js';
import type { Message } from '../../src/core/message.js';
import { Router } from '../../src/core/router.js';
import { MemoryStore } from '../../src/store/memory.js';
import { FakeTarget, makeSub, msg } from './fake-target.js';

/** One node's end of a two-node bus; `interest` is recorded, as an engine would subscribe to channels. */
class PairBus implements FanOutBus {
  peer: Router | undefined;
  forwarded = 0;
  readonly interests: string[] = [];
  forward(m: Message): void {
    this.forwarded++;
    this.peer?.receive(m);
  }
  interest(pattern: string, present: boolean): void {
    this.interests.push(`${present ? '+' : '-'}${pattern}`);
  }
}

async function twoNodes(): Promise<{ a: Router; b: Router; busA: PairBus; busB: PairBus }> {
  const node = async (bus: PairBus) => {
    const store = new MemoryStore();
    await store.open();
    return new Router({ store, maxDeliveries: 0, deadLetterQueue: '/queue/dlq', bus });
  };
  const [busA, busB] = [new PairBus(), new PairBus()];
  const [a, b] = [await node(busA), await node(busB)];
  busA.peer = b;
  busB.peer = a;
  return { a, b, busA, busB };
}

describe('fan-out bus between nodes', () => {
  it('a topic message published at one node reaches matching subscribers at both, once each, in order', async () => {
    const { a, b, busA, busB } = await twoNodes();
    const [ta, tb, tw] = [new FakeTarget(), new FakeTarget(), new FakeTarget()];
    a.subscribe(makeSub(ta, '/topic/prices.eur'));
    b.subscribe(makeSub(tb, '/topic/prices.eur'));
    b.subscribe(makeSub(tw, '/topic/prices.*'));
    for (const body of ['1', '2', '3']) a.publish(msg('/topic/prices.eur', body));
    b.publish(msg('/topic/prices.eur', '4'));
    assert.deepEqual(ta.bodies(), ['1', '2', '3', '4']);
    assert.deepEqual(tb.bodies(), ['1', '2', '3', '4']);
    assert.deepEqual(tw.bodies(), ['1', '2', '3', '4']);
    // What a node received is not sent on: each publish crossed the bus once.
    assert.equal(busA.forwarded, 3);
    assert.equal(busB.forwarded, 1);
  });

  it('queue messages do not travel on the bus: the queue engine carries them (in-process here, so each node has its own)', async () => {
    const { a, b, busA } = await twoNodes();
    const tb = new FakeTarget();
    b.subscribe(makeSub(tb, '/queue/jobs'));
    a.publish(msg('/queue/jobs', 'x'));
    assert.equal(busA.forwarded, 0);
    assert.deepEqual(tb.bodies(), []);
  });

  it('interest is announced for the first subscriber of a pattern and withdrawn with the last', async () => {
    const { a, busA } = await twoNodes();
    const [s1, s2] = [makeSub(new FakeTarget(), '/topic/x.#'), makeSub(new FakeTarget(), '/topic/x.#')];
    a.subscribe(s1);
    a.subscribe(s2);
    a.unsubscribe(s1);
    assert.deepEqual(busA.interests, ['+/topic/x.#']);
    a.unsubscribe(s2);
    assert.deepEqual(busA.interests, ['+/topic/x.#', '-/topic/x.#']);
  });
});
