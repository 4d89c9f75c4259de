/**
 * A queue bound to topic patterns, as RabbitMQ binds a queue to a topic exchange:
 * every message published to a matching topic is appended to the queue once (even
 * when several of its patterns match), and its consumers take them in publish order
 * with acks and prefetch like any queue consumer. An MQTT session's QoS 1/2
 * subscriptions all feed its one queue, so what waits while the client is away or
 * slow comes back in publish order, before anything newer; a shared subscription
 * group is one such queue with the group's members as competing consumers.
 *
 * Bounded: past `maxLength` the oldest waiting message is dropped (counted in
 * `dropped`), so an absent client costs at most that many messages. What expires
 * in it is dropped, not dead-lettered.
 *
 * Stored or not (`durable`): a durable bound queue (a kept MQTT session's) records
 * its persistent messages in the store as they arrive, with their delivery counts,
 * and removes them when they are acked, dropped or expired, as a durable
 * subscription's queue does; its bindings are its owner's to record (they are the
 * owner's subscriptions). A queue that is not durable (a clean session's, a shared
 * group's) records nothing. `setDurable` moves a queue between the two with what it
 * holds.
 */
import { keep, type Message } from './message.js';
import type { Queue } from './queue.js';
import type { Router } from './router.js';
import { Subscription, type DeliveryTarget, type Entry } from './subscription.js';

export class BoundQueue implements DeliveryTarget {
  readonly name: string;
  readonly queue: Queue;
  readonly maxLength: number;
  /** Bindings by pattern: each is an auto-ack topic subscription whose target is this queue. */
  private readonly bindings = new Map<string, Subscription>();
  private lastSeq = 0;
  private readonly router: Router;
  readonly congested = false;

  /** Takes over the queue `name` with what it holds (recovered from the store, for a durable one). */
  constructor(router: Router, name: string, maxLength: number, durable = false) {
    this.router = router;
    this.name = name;
    this.maxLength = maxLength;
    this.queue = router.queue(name);
    this.queue.durable = durable;
    this.queue.deadLetters = false;
    this.queue.maxLength = maxLength;
  }

  /** Messages dropped at the bound. */
  get dropped(): number {
    return this.queue.dropped;
  }

  get durable(): boolean {
    return this.queue.durable;
  }

  /**
   * Starts or stops storing: what waits, and `outstanding` (delivered, not yet
   * acked), is recorded in the store or removed from it.
   */
  setDurable(durable: boolean, outstanding: Iterable<Entry>): void {
    const q = this.queue;
    if (q.durable === durable) return;
    q.durable = durable;
    const router = this.router;
    const each = (e: Entry) => {
      if (!e.msg.persistent) return;
      if (durable) router.store(q.name, e.msg);
      else router.unstore(q.name, e.msg);
    };
    for (const e of q.waiting()) each(e);
    for (const e of outstanding) each(e);
  }

  get patterns(): IterableIterator<string> {
    return this.bindings.keys();
  }

  get bindingCount(): number {
    return this.bindings.size;
  }

  bind(pattern: string): void {
    if (this.bindings.has(pattern)) return;
    const sub = new Subscription(this, { id: this.name, destination: pattern, ackMode: 'auto', prefetch: 0, maxPending: 0 });
    this.bindings.set(pattern, sub);
    this.router.subscribe(sub);
  }

  unbind(pattern: string): void {
    const sub = this.bindings.get(pattern);
    if (sub === undefined) return;
    this.bindings.delete(pattern);
    this.router.unsubscribe(sub);
  }

  /** DeliveryTarget of the bindings: a matching publish is appended once. */
  deliver(_sub: Subscription, msg: Message): void {
    if (msg.seq === this.lastSeq) return; // reached through a second matching pattern
    this.lastSeq = msg.seq;
    this.append(msg);
  }

  /**
   * Appends a message (also one not published to a pattern, e.g. a retained copy); past
   * the bound the queue drops its oldest (the router's `deadLettered` hook unstores it).
   */
  append(msg: Message): void {
    const q = this.queue;
    // The publisher's acknowledgement waits for this record (router.publish sees `msg.batch`).
    if (q.durable && msg.persistent) this.router.store(q.name, msg);
    q.enqueue(keep(msg));
  }

  addConsumer(sub: Subscription): void {
    this.queue.addConsumer(sub);
  }

  /** Detaches a consumer; what it had not acked goes back to the head of the queue. */
  removeConsumer(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    this.queue.removeConsumer(sub);
    sub.pending.clear();
  }

  /** Ends the bindings and drops the queue with whatever it holds (from the store too). */
  destroy(): void {
    for (const p of [...this.bindings.keys()]) this.unbind(p);
    this.router.dropQueue(this.name, this.queue);
  }
}
