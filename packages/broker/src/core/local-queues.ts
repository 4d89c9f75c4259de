/**
 * The in-process queue engine (queue-engine.ts): every queue of the broker whole in
 * this process, the store (LMDB, or memory) as the log behind it. A persistent
 * message is recorded when it is enqueued, its delivery count when it goes out to a
 * consumer that must ack, and its reference removed when it is acked, consumed
 * auto-ack, expired or dead-lettered: all through the group commit, one batch per
 * event-loop turn.
 */
import type { GroupCommit } from './group-commit.js';
import { keep, newMessage, type Message } from './message.js';
import type { Policies } from './policies.js';
import { Queue, type DeadLetterReason, type QueueHooks } from './queue.js';
import type { QueueEngine } from './queue-engine.js';
import type { RouterStats } from './stats.js';
import type { Entry, Subscription } from './subscription.js';

export interface LocalQueuesOptions {
  /** Deliveries after which a message given back is dead-lettered; 0 = never. */
  maxDeliveries: number;
  /** Destination of the dead-letter queue (a `/queue/...`). */
  deadLetterQueue: string;
}

export class LocalQueues implements QueueEngine, QueueHooks {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly commits: GroupCommit,
    private readonly policies: Policies,
    private readonly opts: LocalQueuesOptions,
    private readonly stats: RouterStats,
  ) {}

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (q === undefined) {
      q = new Queue(name, this);
      q.maxLength = this.policies.for(name).maxLength;
      this.queues.set(name, q);
    }
    return q;
  }

  find(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  names(): string[] {
    return [...this.queues.keys()];
  }

  values(): IterableIterator<Queue> {
    return this.queues.values();
  }

  drop(name: string, only?: Queue): void {
    const q = this.queues.get(name);
    if (q === undefined || (only !== undefined && q !== only)) return;
    this.purge(q);
    this.queues.delete(name);
  }

  purge(q: Queue): void {
    for (const e of q.purge()) if (q.durable && e.msg.persistent) this.commits.unstore(q.name, e.msg);
  }

  forget(name: string): void {
    this.queues.delete(name);
  }

  /** Records a persistent message (its body once per batch), then appends it: the queue drops its oldest past its bound. */
  enqueue(q: Queue, msg: Message): Promise<void> | undefined {
    const done = msg.persistent ? this.commits.store(q.name, msg) : undefined;
    q.enqueue(keep(msg));
    return done;
  }

  ack(q: Queue, entries: Entry[]): Promise<void> | undefined {
    if (!q.durable) return undefined;
    let done: Promise<void> | undefined;
    for (const e of entries) if (e.msg.persistent) done = this.commits.unstore(q.name, e.msg);
    return done;
  }

  get maxDeliveries(): number {
    return this.opts.maxDeliveries;
  }

  /** QueueHooks: a message handed to a consumer; an auto-acked persistent one leaves the store. */
  delivered(queue: Queue, entry: Entry, sub: Subscription): void {
    this.stats.delivered++;
    const m = entry.msg;
    if (!m.persistent || !queue.durable) return;
    if (sub.ackMode === 'auto') this.commits.unstore(queue.name, m);
    // The delivery count is stored too, so that after a crash a message that was out
    // with a consumer comes back `redelivered` and still counts towards maxDeliveries.
    else this.commits.amendable(m).deliveries.push({ queue: queue.name, id: m.id, count: entry.deliveries });
  }

  /** QueueHooks: an expired message is dead-lettered (or just dropped, for a queue that says so). */
  expired(queue: Queue, entry: Entry): void {
    this.stats.expired++;
    this.deadLettered(queue, entry, 'expired');
  }

  /**
   * QueueHooks: a message left a queue unconsumed. A queue that keeps no dead letters (an
   * MQTT session's: MQTT 5 §3.3.2.3.3 deletes an expired message) just drops what expires
   * or is pushed out at its bound.
   */
  deadLettered(queue: Queue, entry: Entry, reason: DeadLetterReason): void {
    if (!queue.deadLetters && (reason === 'expired' || reason === 'max-length')) {
      if (entry.msg.persistent && queue.durable) this.commits.unstore(queue.name, entry.msg);
      return;
    }
    this.deadLetter(queue.destination, queue, entry, reason);
  }

  deadLetter(from: string, q: Queue | undefined, e: Entry, reason: DeadLetterReason): void {
    const m = e.msg;
    if (m.persistent && q !== undefined && q.durable) this.commits.unstore(q.name, m);
    // Never dead-letter out of the dead-letter queue itself: that would loop.
    const dlq = this.opts.deadLetterQueue;
    if (from === dlq) return;
    this.stats.deadLettered++;
    const headers = [
      ...m.headers,
      'x-original-destination', m.destination,
      'x-death-reason', reason,
      'x-delivery-count', String(e.deliveries),
    ];
    // The DLQ's own bound applies as drop-head: a dead letter is never refused back to anyone.
    this.stats.published++;
    this.enqueue(this.queue(dlq), newMessage(dlq, headers, m.body, m.persistent, 0));
  }
}
