/**
 * The routing core: protocol-free. Every protocol hands it messages (`publish`) and
 * subscriptions; it routes to queues (competing consumers) and topics (fan-out),
 * settles acks and nacks (requeue, dead-lettering) and records persistent messages
 * in the store, one batch per event-loop turn (group commit).
 */
import { advanceSeq, keep, messageHeader, newMessage, type Message } from './message.js';
import { Queue, type QueueHooks } from './queue.js';
import { TopicIndex } from './topic-index.js';
import type { Entry, Subscription } from './subscription.js';
import { batchIsEmpty, emptyBatch, type MessageStore, type StoreBatch } from '../store/types.js';

export interface RouterOptions {
  store: MessageStore;
  /** Deliveries after which a requeued message is dead-lettered; 0 = never. */
  maxDeliveries: number;
  /** Destination of the dead-letter queue (a `/queue/...`). */
  deadLetterQueue: string;
  /** Messages one queue may hold; past it the oldest is dead-lettered (RabbitMQ's drop-head). 0 = unbounded. */
  maxQueueLength?: number;
  /** Called when a store commit fails (the broker logs it; receipts are refused). */
  onStoreError?: (err: unknown) => void;
}

export interface RouterStats {
  published: number;
  delivered: number;
  acked: number;
  nacked: number;
  deadLettered: number;
  expired: number;
  unrouted: number;
}

export class Router implements QueueHooks {
  /** Queues by destination (`/queue/a`, `/reply-queue/x`). */
  readonly queues = new Map<string, Queue>();
  /** Topic subscriptions by destination; `/topic/` ones may be patterns. */
  private readonly topics = new TopicIndex('/topic/');
  private readonly opts: RouterOptions;
  readonly stats: RouterStats = { published: 0, delivered: 0, acked: 0, nacked: 0, deadLettered: 0, expired: 0, unrouted: 0 };
  private batch: StoreBatch | null = null;
  private batchDone: Promise<void> | null = null;

  constructor(opts: RouterOptions) {
    this.opts = opts;
  }

  /** Loads persistent queue contents from the store (at start-up). */
  async recover(): Promise<number> {
    let n = 0;
    for (const rq of await this.opts.store.load()) {
      const q = this.queue(rq.queue);
      for (const { msg, deliveries } of rq.entries) {
        advanceSeq(msg.seq);
        q.messages.push({ msg: { ...msg, persistent: true, enc: undefined }, deliveries });
        n++;
      }
    }
    return n;
  }

  queue(destination: string): Queue {
    let q = this.queues.get(destination);
    if (q === undefined) {
      q = new Queue(destination, this);
      this.queues.set(destination, q);
    }
    return q;
  }

  /**
   * Routes a message. Returns a promise when the message was recorded in the store
   * (resolved once durable), otherwise undefined.
   */
  publish(msg: Message): Promise<void> | undefined {
    this.stats.published++;
    const dest = msg.destination;
    if (isQueue(dest)) {
      // A reply queue exists only while its requester is connected: replies to a
      // requester that left are dropped, not kept where nobody can ever read them.
      if (dest.startsWith('/reply-queue/') && !this.queues.has(dest)) {
        this.stats.unrouted++;
        return undefined;
      }
      const q = this.queue(dest);
      const max = this.opts.maxQueueLength ?? 0;
      if (max > 0 && q.depth >= max) {
        const oldest = q.messages.shift();
        if (oldest !== undefined) this.deadLetter(dest, dest, oldest, 'max-length');
      }
      let done: Promise<void> | undefined;
      if (msg.persistent) {
        const b = this.openBatch();
        b.messages.push(msg);
        b.enqueue.push({ queue: q.destination, id: msg.id, seq: msg.seq });
        done = this.batchDone as Promise<void>;
      }
      q.enqueue(keep(msg));
      return done;
    }
    const subs = this.topics.match(dest, msg.seq);
    const n = subs.length;
    if (n === 0) this.stats.unrouted++;
    for (let i = 0; i < n; i++) {
      const sub = subs[i];
      if (sub.selector !== undefined && !sub.selector((name) => messageHeader(msg, name))) continue;
      if (sub.ackMode === 'auto' && sub.pending.length === 0) {
        this.stats.delivered++;
        sub.target.deliver(sub, msg, false, 0, n);
        continue;
      }
      // Held until acked (or parked until credit): keep the body.
      const entry: Entry = { msg: keep(msg), deliveries: 0 };
      if (sub.hasCredit() && sub.pending.length === 0) {
        this.stats.delivered++;
        sub.send(entry, n);
      } else sub.park(entry);
    }
    return undefined;
  }

  subscribe(sub: Subscription): void {
    if (isQueue(sub.destination)) this.queue(sub.destination).addConsumer(sub);
    else this.topics.add(sub.destination, sub);
  }

  /** Ends a subscription. Unacked queue messages go back to their queue (redelivered). */
  unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    if (isQueue(sub.destination)) {
      const q = this.queue(sub.destination);
      // What it had not acked goes back (redelivered), except past the delivery limit:
      // a message that keeps killing its consumers must not loop forever.
      const unacked = [...sub.unacked.values()];
      sub.unacked.clear();
      q.removeConsumer(sub);
      if (unacked.length > 0) this.giveBack(sub, unacked, true);
      // Auto-delete reply queues with their last consumer (RabbitMQ's temp queues).
      if (sub.destination.startsWith('/reply-queue/')) this.queues.delete(sub.destination);
      else if (q.idle) this.queues.delete(sub.destination);
    } else {
      this.topics.remove(sub.destination, sub);
    }
    sub.unacked.clear();
    sub.pending.clear();
  }

  /** Settles acked entries: removes persistent ones from the store, refills credit. */
  ack(sub: Subscription, entries: Entry[]): Promise<void> | undefined {
    this.stats.acked += entries.length;
    let done: Promise<void> | undefined;
    if (sub.queue !== undefined && this.queues.get(sub.queue.name)?.durable !== false) {
      for (const e of entries) {
        if (e.msg.persistent) {
          this.openBatch().remove.push({ queue: sub.queue.name, id: e.msg.id, seq: e.msg.seq });
          done = this.batchDone as Promise<void>;
        }
      }
    }
    this.refill(sub);
    return done;
  }

  /**
   * NACK (STOMP 1.1+): requeue by default (delivered again with `redelivered: true`);
   * `requeue = false`, or a message past `maxDeliveries`, goes to the dead-letter queue.
   */
  nack(sub: Subscription, entries: Entry[], requeue: boolean): void {
    this.stats.nacked += entries.length;
    this.giveBack(sub, entries, requeue);
  }

  private giveBack(sub: Subscription, entries: Entry[], requeue: boolean): void {
    const back: Entry[] = [];
    const max = this.opts.maxDeliveries;
    for (const e of entries) {
      if (!requeue) this.deadLetter(sub.destination, sub.queue?.name, e, 'rejected');
      else if (max > 0 && e.deliveries >= max) this.deadLetter(sub.destination, sub.queue?.name, e, 'delivery-limit');
      else back.push(e);
    }
    if (sub.queue !== undefined) {
      if (back.length > 0) sub.queue.requeue(back);
      else sub.queue.dispatch();
    } else {
      for (let i = back.length - 1; i >= 0; i--) sub.pending.unshift(back[i]);
      sub.drainPending();
    }
  }

  /** A subscription may take more: pull from its queue, or drain its parked topic messages. */
  refill(sub: Subscription): void {
    if (sub.queue !== undefined) sub.queue.dispatch();
    else sub.drainPending();
  }

  /** QueueHooks: a message handed to a consumer; an auto-acked persistent one leaves the store. */
  delivered(queue: Queue, entry: Entry, sub: Subscription): void {
    this.stats.delivered++;
    const m = entry.msg;
    if (!m.persistent || !queue.durable) return;
    if (sub.ackMode === 'auto') this.openBatch().remove.push({ queue: queue.destination, id: m.id, seq: m.seq });
    // The delivery count is stored too, so that after a crash a message that was out
    // with a consumer comes back `redelivered` and still counts towards maxDeliveries.
    else this.openBatch().deliveries.push({ queue: queue.destination, id: m.id, count: entry.deliveries });
  }

  /** QueueHooks: an expired message is dead-lettered. */
  expired(queue: Queue, entry: Entry): void {
    this.stats.expired++;
    if (!queue.deadLetters) return;
    this.deadLetter(queue.destination, queue.destination, entry, 'expired');
  }

  private deadLetter(from: string, queueName: string | undefined, e: Entry, reason: string): void {
    const m = e.msg;
    const b = m.persistent ? this.openBatch() : undefined;
    if (b !== undefined && queueName !== undefined) b.remove.push({ queue: queueName, id: m.id, seq: m.seq });
    // Never dead-letter out of the dead-letter queue itself: that would loop.
    if (from === this.opts.deadLetterQueue) return;
    this.stats.deadLettered++;
    const headers = [
      ...m.headers,
      'x-original-destination', m.destination,
      'x-death-reason', reason,
      'x-delivery-count', String(e.deliveries),
    ];
    const dead = newMessage(this.opts.deadLetterQueue, headers, m.body, m.persistent, 0);
    this.publish(dead);
  }

  private openBatch(): StoreBatch {
    if (this.batch !== null) return this.batch;
    const batch = (this.batch = emptyBatch());
    this.batchDone = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.batch = null;
        this.batchDone = null;
        if (batchIsEmpty(batch)) return resolve();
        this.opts.store.commit(batch).then(resolve, (err: unknown) => {
          this.opts.onStoreError?.(err);
          reject(err);
        });
      });
    });
    // A commit failure is reported through onStoreError; callers that wait on it see the rejection.
    this.batchDone.catch(() => undefined);
    return batch;
  }

  /**
   * The store commit of this turn, if anything was recorded in it: a RECEIPT for an
   * ACK, NACK or COMMIT waits for it, so an acked message is never delivered again
   * after a crash once the client was told.
   */
  pendingCommit(): Promise<void> | undefined {
    return this.batchDone ?? undefined;
  }

  /** Waits for the batch under way, if any (used at shutdown). */
  async flush(): Promise<void> {
    if (this.batchDone !== null) await this.batchDone.catch(() => undefined);
  }

  /** Counts for the management API and tests. */
  snapshot(): { queues: { destination: string; depth: number; consumers: number }[]; topicSubscriptions: number } {
    return {
      queues: [...this.queues.values()].map((q) => ({ destination: q.destination, depth: q.depth, consumers: q.consumerCount })),
      topicSubscriptions: this.topics.size,
    };
  }
}

function isQueue(dest: string): boolean {
  return dest.startsWith('/queue/') || dest.startsWith('/reply-queue/');
}
