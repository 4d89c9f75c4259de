/**
 * A subscription: one consumer of one destination, owned by a session of any
 * protocol. It tracks what was delivered and not yet acknowledged, and enforces
 * the prefetch bound. The session only has to implement `DeliveryTarget`.
 */
import { Deque } from './deque.js';
import type { Message } from './message.js';
import type { Selector } from './selector.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

/** One message in one queue or subscription, with its delivery count. */
export interface Entry {
  readonly msg: Message;
  deliveries: number;
}

export interface DeliveryTarget {
  /**
   * Writes a message to the client. `tag` is 0 for auto-ack subscriptions, otherwise
   * the delivery's ack tag. `fanout` is how many subscriptions this publish reaches
   * (so the writer can decide to build the frame once and reuse it).
   */
  deliver(sub: Subscription, msg: Message, redelivered: boolean, tag: number, fanout: number): void;
  /** True while the session's output is above its high-water mark. */
  readonly congested: boolean;
}

export interface SubscriptionOptions {
  id: string;
  destination: string;
  ackMode: AckMode;
  selector?: Selector;
  /** Unacked deliveries allowed at once; 0 = unbounded. */
  prefetch: number;
  /** Bound on messages waiting for credit on a topic subscription. */
  maxPending: number;
}

let nextTag = 1;

/** Was `tag` ever handed out by this broker process (so an ACK naming it is late, not wrong)? */
export function isIssuedTag(tag: number): boolean {
  return tag > 0 && tag < nextTag;
}

const NO_UNACKED: Map<number, Entry> = new Map();

export class Subscription {
  readonly id: string;
  readonly destination: string;
  readonly ackMode: AckMode;
  readonly selector: Selector | undefined;
  readonly prefetch: number;
  readonly target: DeliveryTarget;
  /** Delivered, not yet acked: tag -> entry, in delivery order (Map keeps insertion order). */
  readonly unacked: Map<number, Entry>;
  /** Topic subscriptions with client acks park messages here while they have no credit. */
  readonly pending = new Deque<Entry>(0);
  readonly maxPending: number;
  /** The queue this subscription consumes from (set by the router). */
  queue: { dispatch(): void; giveBack(entries: Entry[], requeue: boolean): void; readonly name: string } | undefined;
  /** Messages dropped because `pending` was full (slow topic consumer with client acks). */
  dropped = 0;
  /** Parked topic messages that expired before they could be delivered. */
  expired = 0;
  /** Router bookkeeping: last message seq matched, to de-duplicate wildcard matches. */
  lastSeq = 0;
  closed = false;
  /** Protocol-specific data (e.g. the pre-encoded STOMP `subscription:` line). */
  ext: unknown;

  constructor(target: DeliveryTarget, o: SubscriptionOptions) {
    this.target = target;
    this.id = o.id;
    this.destination = o.destination;
    this.ackMode = o.ackMode;
    // Auto-ack subscriptions never hold unacked deliveries: share one empty map (idle memory).
    this.unacked = o.ackMode === 'auto' ? NO_UNACKED : new Map();
    this.selector = o.selector;
    this.prefetch = o.prefetch;
    this.maxPending = o.maxPending;
  }

  /** May another message be delivered now? */
  hasCredit(): boolean {
    if (this.closed || this.target.congested) return false;
    return this.prefetch === 0 || this.unacked.size < this.prefetch;
  }

  /** Delivers an entry, tracking it when the client must ack. */
  send(entry: Entry, fanout: number): void {
    entry.deliveries++;
    const redelivered = entry.deliveries > 1;
    if (this.ackMode === 'auto') {
      this.target.deliver(this, entry.msg, redelivered, 0, fanout);
      return;
    }
    const tag = nextTag++;
    this.unacked.set(tag, entry);
    this.target.deliver(this, entry.msg, redelivered, tag, fanout);
  }

  /**
   * Holds an entry as delivered and not yet acked without sending it: a delivery
   * that was under way when the broker stopped, restored from the store, which its
   * session sends again itself. Returns its tag.
   */
  hold(entry: Entry): number {
    const tag = nextTag++;
    this.unacked.set(tag, entry);
    return tag;
  }

  /**
   * Takes acked (or nacked) entries out: `cumulative` (ack mode `client`) takes every
   * delivery up to and including `tag` (STOMP 1.2 §ACK: "all messages ... up to"),
   * otherwise just that one. Returns undefined when the tag is unknown.
   */
  take(tag: number, cumulative: boolean): Entry[] | undefined {
    if (!this.unacked.has(tag)) return undefined;
    if (!cumulative) {
      const e = this.unacked.get(tag) as Entry;
      this.unacked.delete(tag);
      return [e];
    }
    const out: Entry[] = [];
    for (const [t, e] of this.unacked) {
      this.unacked.delete(t);
      out.push(e);
      if (t === tag) break;
    }
    return out;
  }

  /** Finds the tag of an unacked delivery by message id (STOMP 1.0/1.1 ACK by message-id). */
  tagOf(messageId: string): number {
    for (const [t, e] of this.unacked) if (e.msg.id === messageId) return t;
    return 0;
  }

  /** Delivers parked topic messages while credit lasts; one that expired while parked is dropped. */
  drainPending(): void {
    let now = 0;
    while (this.pending.length > 0 && this.hasCredit()) {
      const e = this.pending.shift() as Entry;
      const exp = e.msg.expires;
      if (exp !== 0 && exp <= (now ||= Date.now())) {
        this.expired++;
        continue;
      }
      this.send(e, 1);
    }
  }

  /** Parks a topic message for later; drops the oldest past the bound. */
  park(entry: Entry): void {
    if (this.maxPending > 0 && this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push(entry);
  }
}
