/**
 * A queue: messages kept in order until a consumer takes them; competing consumers
 * served round robin, each only while it has credit (prefetch and output room), so
 * a slow or congested consumer leaves messages in the queue for the others instead
 * of growing the broker's memory.
 */
import { Deque } from './deque.js';
import type { Entry, Subscription } from './subscription.js';
import { messageHeader, type Message } from './message.js';

export interface QueueHooks {
  /** A message left the queue for good without being delivered (expired). */
  expired(queue: Queue, entry: Entry): void;
  /** A message was handed to a consumer (consumed, if the consumer is auto-ack). */
  delivered(queue: Queue, entry: Entry, sub: Subscription): void;
}

export class Queue {
  /** The queue's destination (`/queue/a`, `/reply-queue/x`), also the key of its store references. */
  readonly name: string;
  readonly destination: string;
  readonly messages = new Deque<Entry>();
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

  enqueue(msg: Message): void {
    this.messages.push({ msg, deliveries: 0 });
    this.dispatch();
  }

  /** Puts entries back at the head, in their original order (unacked on close, NACK). */
  requeue(entries: Entry[]): void {
    for (let i = entries.length - 1; i >= 0; i--) this.messages.unshift(entries[i]);
    this.dispatch();
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
