/**
 * The bound queue (core/bound-queue.ts) and the two small core hooks MQTT needs:
 * a non-durable queue whose persistent messages the router never records, and keys
 * whose first word starts with `$` that root wildcards do not match.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundQueue } from '../../src/core/bound-queue.js';
import { TopicIndex } from '../../src/core/topic-index.js';
import type { Subscription } from '../../src/core/subscription.js';
import { FakeTarget, makeSub, msg, recordingRouter, turn } from './fake-target.js';

describe('BoundQueue', () => {
  it('a message matching several patterns is queued once, in publish order, and the bound drops the oldest', async () => {
    const { router: r } = await recordingRouter();
    const b = new BoundQueue(r, 'bq/1', 3);
    b.bind('/topic/a.*');
    b.bind('/topic/a.#');
    for (let i = 1; i <= 5; i++) r.publish(msg('/topic/a.x', `m${i}`));
    assert.equal(b.queue.depth, 3);
    assert.equal(b.dropped, 2);
    const t = new FakeTarget();
    const sub = makeSub(t, 'bq/1', { ackMode: 'client-individual', prefetch: 10 });
    b.addConsumer(sub);
    assert.deepEqual(t.bodies(), ['m3', 'm4', 'm5']);
  });

  it('a non-durable queue: persistent messages through it cause no store writes', async () => {
    const { router: r, commits } = await recordingRouter();
    const b = new BoundQueue(r, 'bq/2', 100);
    b.bind('/topic/p');
    const t = new FakeTarget();
    const sub = makeSub(t, 'bq/2', { ackMode: 'client-individual', prefetch: 10 });
    b.addConsumer(sub);
    r.publish(msg('/topic/p', 'x', { persistent: true }));
    const [d] = t.deliveries;
    r.ack(sub, sub.take(d.tag, false)!);
    await turn();
    await turn();
    assert.deepEqual(commits, []);
  });

  it('what a removed consumer left unacked goes back to the head; destroy drops the queue', async () => {
    const { router: r } = await recordingRouter();
    const b = new BoundQueue(r, 'bq/3', 100);
    b.bind('/topic/q');
    const t1 = new FakeTarget();
    const s1 = makeSub(t1, 'bq/3', { ackMode: 'client-individual', prefetch: 1 });
    b.addConsumer(s1);
    r.publish(msg('/topic/q', 'a'));
    r.publish(msg('/topic/q', 'b'));
    b.removeConsumer(s1);
    const t2 = new FakeTarget();
    b.addConsumer(makeSub(t2, 'bq/3', { ackMode: 'auto' }));
    assert.deepEqual(t2.bodies(), ['a', 'b']);
    assert.equal(t2.deliveries[0].redelivered, true);
    b.destroy();
    assert.equal((r.findQueue('bq/3') !== undefined), false);
    r.publish(msg('/topic/q', 'c'));
    assert.deepEqual(t2.bodies(), ['a', 'b']);
  });
});

describe('BoundQueue: expiry', () => {
  it('an expired message is dropped, not dead-lettered (MQTT 5 §3.3.2.3.3)', async () => {
    const { router: r } = await recordingRouter();
    const b = new BoundQueue(r, 'bq/4', 100);
    b.bind('/topic/e');
    r.publish(msg('/topic/e', 'old', { expires: Date.now() - 1 }));
    r.publish(msg('/topic/e', 'fresh'));
    const t = new FakeTarget();
    b.addConsumer(makeSub(t, 'bq/4', { ackMode: 'auto' }));
    assert.deepEqual(t.bodies(), ['fresh']);
    assert.equal(r.stats.expired, 1);
    assert.equal(r.findQueue('/queue/dlq')?.depth ?? 0, 0);
  });
});

describe('TopicIndex: $-prefixed keys', () => {
  it('[MQTT-4.7.2-1] root wildcards do not match a key whose first word starts with $; naming it does', () => {
    const index = new TopicIndex<Subscription>('/topic/');
    const t = new FakeTarget();
    const subs = ['/topic/#', '/topic/*.up', '/topic/$SYS.#', '/topic/$SYS.up'].map((d) => makeSub(t, d));
    for (const s of subs) index.add(s.destination, s);
    assert.deepEqual(index.match('/topic/$SYS.up', 1).map((s) => s.destination).sort(), ['/topic/$SYS.#', '/topic/$SYS.up']);
    assert.deepEqual(index.match('/topic/x.up', 2).map((s) => s.destination).sort(), ['/topic/#', '/topic/*.up']);
  });
});
