import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, type DeadLetterReason, type QueueHooks } from '../../src/core/queue.js';
import type { Entry, Subscription } from '../../src/core/subscription.js';
import { compileSelector } from '../../src/core/selector.js';
import { FakeTarget, makeSub, msg, text } from './fake-target.js';

class Hooks implements QueueHooks {
  readonly expiredEntries: Entry[] = [];
  readonly deliveredEntries: { entry: Entry; sub: Subscription }[] = [];
  readonly deadEntries: { body: string; reason: DeadLetterReason }[] = [];
  maxDeliveries = 0;
  expired(_q: Queue, entry: Entry): void { this.expiredEntries.push(entry); }
  delivered(_q: Queue, entry: Entry, sub: Subscription): void { this.deliveredEntries.push({ entry, sub }); }
  deadLettered(_q: Queue, entry: Entry, reason: DeadLetterReason): void { this.deadEntries.push({ body: text(entry.msg), reason }); }
}

function setup(): { q: Queue; hooks: Hooks } {
  const hooks = new Hooks();
  return { q: new Queue('/queue/work', hooks), hooks };
}

function fill(q: Queue, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) q.enqueue(msg('/queue/work', `m${i}`));
}

/** Acks every delivery `sub` holds (client-individual), then lets the queue dispatch again. */
function ackAll(q: Queue, sub: Subscription): void {
  for (const tag of [...sub.unacked.keys()]) sub.take(tag, false);
  q.dispatch();
}

describe('Queue: dispatch', () => {
  it('keeps messages in order until a consumer arrives', () => {
    const { q } = setup();
    fill(q, 5);
    assert.equal(q.depth, 5);
    const t = new FakeTarget();
    q.addConsumer(makeSub(t, '/queue/work'));
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal(q.depth, 0);
  });

  it('serves competing consumers round robin', () => {
    const { q, hooks } = setup();
    const ts = [new FakeTarget(), new FakeTarget(), new FakeTarget()];
    const subs = ts.map((t) => makeSub(t, '/queue/work'));
    for (const s of subs) q.addConsumer(s);
    fill(q, 9);
    assert.deepEqual(ts.map((t) => t.bodies()), [['m0', 'm3', 'm6'], ['m1', 'm4', 'm7'], ['m2', 'm5', 'm8']]);
    assert.equal(hooks.deliveredEntries.length, 9);
    assert.ok(ts.every((t) => t.deliveries.every((d) => d.tag === 0 && !d.redelivered && d.fanout === 1)));
  });

  it('never gives a consumer more than `prefetch` unacked deliveries', () => {
    const { q } = setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/work', { ackMode: 'client-individual', prefetch: 2 });
    q.addConsumer(sub);
    fill(q, 5);
    assert.deepEqual(t.bodies(), ['m0', 'm1']);
    assert.equal(sub.unacked.size, 2);
    assert.equal(q.depth, 3);
    sub.take(t.deliveries[0].tag, false);
    q.dispatch();
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2']);
    ackAll(q, sub);
    ackAll(q, sub);
    assert.deepEqual(t.bodies(), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal(q.depth, 0);
  });

  it('a full consumer is skipped: the others take its share', () => {
    const { q } = setup();
    const [ta, tb] = [new FakeTarget(), new FakeTarget()];
    const a = makeSub(ta, '/queue/work', { ackMode: 'client', prefetch: 1 });
    const b = makeSub(tb, '/queue/work', { ackMode: 'client', prefetch: 0 });
    q.addConsumer(a);
    q.addConsumer(b);
    fill(q, 4);
    assert.deepEqual(ta.bodies(), ['m0']);
    assert.deepEqual(tb.bodies(), ['m1', 'm2', 'm3']);
  });

  it('a congested consumer gets nothing until it drains; then dispatch resumes', () => {
    const { q } = setup();
    const [ta, tb] = [new FakeTarget(), new FakeTarget()];
    const a = makeSub(ta, '/queue/work');
    const b = makeSub(tb, '/queue/work');
    q.addConsumer(a);
    q.addConsumer(b);
    ta.congested = true;
    tb.congested = true;
    fill(q, 3);
    assert.equal(ta.deliveries.length + tb.deliveries.length, 0);
    assert.equal(q.depth, 3);
    tb.congested = false;
    q.dispatch();
    assert.deepEqual(tb.bodies(), ['m0', 'm1', 'm2']);
    assert.deepEqual(ta.bodies(), []);
  });

  it('removing a consumer requeues its unacked at the head, in order, with deliveries counted', () => {
    const { q } = setup();
    const [ta, tb] = [new FakeTarget(), new FakeTarget()];
    const a = makeSub(ta, '/queue/work', { ackMode: 'client', prefetch: 3 });
    q.addConsumer(a);
    fill(q, 5);
    assert.deepEqual(ta.bodies(), ['m0', 'm1', 'm2']);
    q.removeConsumer(a);
    assert.equal(a.unacked.size, 0);
    assert.deepEqual([...q.waiting()].map((e) => [text(e.msg), e.deliveries]), [['m0', 1], ['m1', 1], ['m2', 1], ['m3', 0], ['m4', 0]]);
    const b = makeSub(tb, '/queue/work', { ackMode: 'client-individual' });
    q.addConsumer(b);
    assert.deepEqual(tb.bodies(), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(tb.deliveries.map((d) => d.redelivered), [true, true, true, false, false]);
  });

  it('requeue puts entries back at the head in their order', () => {
    const { q } = setup();
    fill(q, 2);
    const back: Entry[] = [{ msg: msg('/queue/work', 'r0'), deliveries: 1 }, { msg: msg('/queue/work', 'r1'), deliveries: 2 }];
    q.requeue(back);
    assert.deepEqual([...q.waiting()].map((e) => text(e.msg)), ['r0', 'r1', 'm0', 'm1']);
  });

  it('is idle only with no consumer and no message', () => {
    const { q } = setup();
    assert.equal(q.idle, true);
    fill(q, 1);
    assert.equal(q.idle, false);
    const sub = makeSub(new FakeTarget(), '/queue/work');
    q.addConsumer(sub);
    assert.equal(q.idle, false);
    q.removeConsumer(sub);
    assert.equal(q.idle, true);
  });
});

describe('Queue: what it owns (bound, give-back)', () => {
  it('past maxLength the oldest waiting message leaves at the head, counted and handed to the hook', () => {
    const { q, hooks } = setup();
    q.maxLength = 2;
    fill(q, 4);
    assert.deepEqual([...q.waiting()].map((e) => text(e.msg)), ['m2', 'm3']);
    assert.equal(q.dropped, 2);
    assert.deepEqual(hooks.deadEntries, [{ body: 'm0', reason: 'max-length' }, { body: 'm1', reason: 'max-length' }]);
  });

  it('giveBack requeues in order, dead-letters when not requeued and past maxDeliveries', () => {
    const { q, hooks } = setup();
    hooks.maxDeliveries = 2;
    const e = (body: string, deliveries: number): Entry => ({ msg: msg('/queue/work', body), deliveries });
    q.giveBack([e('a', 1), e('b', 2), e('c', 0)], true);
    assert.deepEqual([...q.waiting()].map((x) => text(x.msg)), ['a', 'c']);
    q.giveBack([e('d', 0)], false);
    assert.deepEqual(hooks.deadEntries, [{ body: 'b', reason: 'delivery-limit' }, { body: 'd', reason: 'rejected' }]);
  });

  it('take removes one waiting message by id; purge empties the queue and returns what waited', () => {
    const { q } = setup();
    fill(q, 3);
    const id = [...q.waiting()][1].msg.id;
    assert.equal(text(q.take(id)!.msg), 'm1');
    assert.equal(q.take(id), undefined);
    assert.deepEqual(q.purge().map((x) => text(x.msg)), ['m0', 'm2']);
    assert.equal(q.depth, 0);
  });
});

describe('Queue: selectors', () => {
  const color = (c: string): string[] => ['color', c];

  it('a message no consumer selects stays; later ones pass it; a matching consumer takes it', () => {
    const { q } = setup();
    const tr = new FakeTarget();
    const red = makeSub(tr, '/queue/work', { selector: compileSelector("color = 'red'") });
    q.addConsumer(red);
    q.enqueue(msg('/queue/work', 'blue-1', { headers: color('blue') }));
    q.enqueue(msg('/queue/work', 'red-1', { headers: color('red') }));
    q.enqueue(msg('/queue/work', 'blue-2', { headers: color('blue') }));
    assert.deepEqual(tr.bodies(), ['red-1']);
    assert.deepEqual([...q.waiting()].map((e) => text(e.msg)), ['blue-1', 'blue-2']);
    const tb = new FakeTarget();
    q.addConsumer(makeSub(tb, '/queue/work', { selector: compileSelector("color = 'blue'") }));
    assert.deepEqual(tb.bodies(), ['blue-1', 'blue-2']);
    assert.equal(q.depth, 0);
  });

  it('goes to the matching consumer even when round robin points at another', () => {
    const { q } = setup();
    const [ta, tb] = [new FakeTarget(), new FakeTarget()];
    q.addConsumer(makeSub(ta, '/queue/work', { selector: compileSelector("color = 'red'") }));
    q.addConsumer(makeSub(tb, '/queue/work'));
    for (let i = 0; i < 4; i++) q.enqueue(msg('/queue/work', `blue-${i}`, { headers: color('blue') }));
    assert.deepEqual(ta.bodies(), []);
    assert.deepEqual(tb.bodies(), ['blue-0', 'blue-1', 'blue-2', 'blue-3']);
  });

  it('a selective consumer out of credit leaves its messages for later, in order', () => {
    const { q } = setup();
    const t = new FakeTarget();
    const sub = makeSub(t, '/queue/work', { ackMode: 'client-individual', prefetch: 1, selector: compileSelector("color = 'red'") });
    q.addConsumer(sub);
    for (const c of ['red', 'blue', 'red', 'red']) q.enqueue(msg('/queue/work', c, { headers: color(c) }));
    assert.equal(t.deliveries.length, 1);
    ackAll(q, sub);
    ackAll(q, sub);
    ackAll(q, sub);
    assert.deepEqual(t.bodies(), ['red', 'red', 'red']);
    assert.deepEqual([...q.waiting()].map((e) => text(e.msg)), ['blue']);
  });
});

describe('Queue: expiry', () => {
  it('an expired message is not delivered; it is handed to the `expired` hook', () => {
    for (const selective of [false, true]) {
      const { q, hooks } = setup();
      const t = new FakeTarget();
      q.enqueue(msg('/queue/work', 'old', { expires: Date.now() - 1000 }));
      q.enqueue(msg('/queue/work', 'fresh', { expires: Date.now() + 60_000 }));
      q.enqueue(msg('/queue/work', 'forever'));
      q.addConsumer(makeSub(t, '/queue/work', selective ? { selector: compileSelector('1 = 1') } : {}));
      assert.deepEqual(t.bodies(), ['fresh', 'forever'], `selective=${selective}`);
      assert.deepEqual(hooks.expiredEntries.map((e) => text(e.msg)), ['old']);
      assert.equal(q.depth, 0);
    }
  });
});
