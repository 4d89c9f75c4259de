/**
 * A queue: messages kept in order until a consumer takes them; competing consumers
 * served round robin, each only while it has credit (prefetch and output room), so
 * a slow or congested consumer leaves messages in the queue for the others instead
 * of growing the broker's memory.
 *
 * The queue owns its contents: what waits, the bound on it (drop-head past
 * `maxLength`, as RabbitMQ's default overflow), and what comes back from consumers
 * (requeued in order, or dead-lettered when rejected or past the delivery limit).
 * Nothing outside edits them; what a message's leaving means (the store, the
 * dead-letter queue, counters) is the owner's, through `QueueHooks`.
 */
import { Deque } from './deque.js';
import type { Entry, Subscription } from './subscription.js';
import { messageHeader, type Message } from './message.js';

/** Why a message left a queue without being consumed. */
export type DeadLetterReason = 'rejected' | 'delivery-limit' | 'max-length' | 'expired';

export interface QueueHooks {
  /** A message left the queue for good without being delivered (expired). */
  expired(queue: Queue, entry: Entry): void;
  /** A message was handed to a consumer (consumed, if the consumer is auto-ack). */
  delivered(queue: Queue, entry: Entry, sub: Subscription): void;
  /**
   * A message left the queue unconsumed: rejected by a consumer, past the delivery limit,
   * or pushed out at the head by a newer one (`max-length`). For a queue with
   * `deadLetters` false, only `max-length` drops come here (an MQTT session's bound).
   */
  deadLettered(queue: Queue, entry: Entry, reason: DeadLetterReason): void;
  /** Deliveries after which a message given back is dead-lettered; 0 = never. */
  readonly maxDeliveries: number;
}

/**
 * Of the entries a consumer gives back, those to deliver again, in order; the others go to
 * `deadLetter`: all of them when not `requeue`d ('rejected'), and each one already delivered
 * `maxDeliveries` times ('delivery-limit'; 0 = no limit). For queues and for a topic
 * subscription's own parked messages alike.
 */
export function keptBack(entries: Entry[], requeue: boolean, maxDeliveries: number, deadLetter: (e: Entry, why: DeadLetterReason) => void): Entry[] {
  const back: Entry[] = [];
  for (const e of entries) {
    if (!requeue) deadLetter(e, 'rejected');
    else if (maxDeliveries > 0 && e.deliveries >= maxDeliveries) deadLetter(e, 'delivery-limit');
    else back.push(e);
  }
  return back;
}

export class Queue {
  /** The queue's destination (`/queue/a`, `/reply-queue/x`), also the key of its store references. */
  readonly name: string;
  readonly destination: string;
  private readonly messages = new Deque<Entry>();
  private consumers: Subscription[] = [];
  private rr = 0;
  private dispatching = false;
  private readonly hooks: QueueHooks;
  /**
   * False for a queue whose contents are never stored, even persistent messages (a
   * clean MQTT session's queue: RabbitMQ's durable=false). The router then records
   * neither deliveries nor acks of its messages.
   */
  durable = true;
  /**
   * False for a queue whose expired messages are just dropped, not dead-lettered (an
   * MQTT session's queue: MQTT 5 §3.3.2.3.3 deletes an expired message).
   */
  deadLetters = true;
  /** Messages it holds at most; past it the oldest waiting one leaves (drop-head). 0 = unbounded. */
  maxLength = 0;
  /** Messages pushed out at the bound. */
  dropped = 0;
  /** True when any consumer has a selector (then the head may be skipped). */
  private selective = false;

  constructor(destination: string, hooks: QueueHooks) {
    this.name = destination;
    this.destination = destination;
    this.hooks = hooks;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  get depth(): number {
    return this.messages.length;
  }

  get idle(): boolean {
    return this.consumers.length === 0 && this.messages.length === 0;
  }

  /** Appends a message, pushing the oldest waiting one out first when the queue is at its bound. */
  enqueue(msg: Message): void {
    if (this.maxLength > 0 && this.messages.length >= this.maxLength) {
      const oldest = this.messages.shift() as Entry;
      this.dropped++;
      this.hooks.deadLettered(this, oldest, 'max-length');
    }
    this.messages.push({ msg, deliveries: 0 });
    this.dispatch();
  }

  /** Entries recovered from the store, in their stored order (before any consumer). */
  load(entries: Iterable<Entry>): void {
    for (const e of entries) this.messages.push(e);
  }

  /** Puts entries back at the head, in their original order (unacked on close, NACK). */
  requeue(entries: Entry[]): void {
    for (let i = entries.length - 1; i >= 0; i--) this.messages.unshift(entries[i]);
    this.dispatch();
  }

  /**
   * Entries a consumer gives back (NACK, or unacked when it leaves): requeued at the
   * head in order; dead-lettered when `requeue` is false ('rejected') or when one was
   * delivered `maxDeliveries` times already, so a message that keeps killing its
   * consumers cannot loop forever.
   */
  giveBack(entries: Entry[], requeue: boolean): void {
    const back = keptBack(entries, requeue, this.hooks.maxDeliveries, (e, why) => this.hooks.deadLettered(this, e, why));
    if (back.length > 0) this.requeue(back);
    else this.dispatch();
  }

  /** What waits, in order (not what consumers hold). */
  waiting(): Iterable<Entry> {
    return this.messages;
  }

  /** Takes the waiting entry of message `id` out of the queue (a kept MQTT session's in-flight message at restart). */
  take(id: string): Entry | undefined {
    const msgs = this.messages;
    for (let i = 0; i < msgs.length; i++) if (msgs.at(i).msg.id === id) return msgs.removeAt(i);
    return undefined;
  }

  /** Empties the queue; returns what waited, in order. */
  purge(): Entry[] {
    const out = [...this.messages];
    this.messages.clear();
    return out;
  }

  addConsumer(sub: Subscription): void {
    this.consumers = [...this.consumers, sub];
    this.selective = this.consumers.some((c) => c.selector !== undefined);
    sub.queue = this;
    this.dispatch();
  }

  /** Removes a consumer; what it had not acked goes back to the head of the queue. */
  removeConsumer(sub: Subscription): void {
    this.consumers = this.consumers.filter((c) => c !== sub);
    this.selective = this.consumers.some((c) => c.selector !== undefined);
    const unacked = [...sub.unacked.values()];
    sub.unacked.clear();
    if (unacked.length > 0) this.requeue(unacked);
    else this.dispatch();
  }

  /** Hands messages to consumers with credit, round robin. Re-entrant calls are folded. */
  dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      if (this.selective) this.dispatchSelective();
      else this.dispatchHead();
    } finally {
      this.dispatching = false;
    }
  }

  private dispatchHead(): void {
    const msgs = this.messages;
    while (msgs.length > 0) {
      const sub = this.nextWithCredit();
      if (sub === undefined) return;
      const entry = msgs.shift() as Entry;
      if (this.isExpired(entry)) continue;
      sub.send(entry, 1);
      this.hooks.delivered(this, entry, sub);
    }
  }

  /** With selectors, a message goes to the next consumer with credit whose selector matches; others stay. */
  private dispatchSelective(): void {
    const msgs = this.messages;
    let i = 0;
    while (i < msgs.length) {
      const entry = msgs.at(i);
      if (this.isExpired(entry)) {
        msgs.removeAt(i);
        continue;
      }
      const n = this.consumers.length;
      let taken = false;
      let anyCredit = false;
      for (let k = 0; k < n; k++) {
        const sub = this.consumers[(this.rr + k) % n];
        if (!sub.hasCredit()) continue;
        anyCredit = true;
        if (sub.selector !== undefined && !sub.selector((name) => messageHeader(entry.msg, name))) continue;
        this.rr = (this.rr + k + 1) % n;
        msgs.removeAt(i);
        sub.send(entry, 1);
        this.hooks.delivered(this, entry, sub);
        taken = true;
        break;
      }
      if (!anyCredit) return;
      if (!taken) i++;
    }
  }

  private nextWithCredit(): Subscription | undefined {
    const n = this.consumers.length;
    for (let k = 0; k < n; k++) {
      const sub = this.consumers[(this.rr + k) % n];
      if (sub.hasCredit()) {
        this.rr = (this.rr + k + 1) % n;
        return sub;
      }
    }
    return undefined;
  }

  private isExpired(entry: Entry): boolean {
    const exp = entry.msg.expires;
    if (exp === 0 || exp > Date.now()) return false;
    this.hooks.expired(this, entry);
    return true;
  }
}
