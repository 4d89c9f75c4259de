/**
 * The routing core: protocol-free. Every protocol hands it messages (`publish`) and
 * subscriptions; it routes to queues (competing consumers), topics (fan-out) and the
 * queues of durable subscriptions bound to topics, keeps topic history for recovery,
 * settles acks and nacks and records what must survive in the store, one batch per
 * event-loop turn (group commit).
 *
 * Below it, two seams a cluster fills (docs/architecture.md): the queue engine
 * (queue-engine.ts; in-process here, local-queues.ts) owns the queues, and the
 * fan-out bus (bus.ts; none on one node) carries topic messages to other nodes.
 */
import type { FanOutBus } from './bus.js';
import { Binding, bindingKey, bindingRecord, parseBindingRecord, type DurableSpec } from './durable.js';
import { HISTORY_QUEUE_PREFIX, TopicHistories } from './histories.js';
import type { ResumeResult } from './history.js';
import { LocalQueues } from './local-queues.js';
import { advanceSeq, keep, messageHeader, type Message } from './message.js';
import { Policies, type ResolvedPolicy } from './policies.js';
import { keptBack, type Queue } from './queue.js';
import type { QueueEngine } from './queue-engine.js';
import { newStats, type RouterStats } from './stats.js';
import { compileSelector } from './selector.js';
import { TopicIndex } from './topic-index.js';
import type { Entry, Subscription } from './subscription.js';
import { GroupCommit } from './group-commit.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MessageStore, RecoveredQueue, StateValue } from '../store/types.js';

export interface RouterOptions {
  store: MessageStore;
  /** Deliveries after which a requeued message is dead-lettered; 0 = never. */
  maxDeliveries: number;
  /** Destination of the dead-letter queue (a `/queue/...`). */
  deadLetterQueue: string;
  /** Messages one queue may hold; past it the oldest is dead-lettered (RabbitMQ's drop-head). 0 = unbounded. */
  maxQueueLength?: number;
  /** Per-destination policies (persistence default, TTL, length and overflow, history). */
  policies?: Policies;
  /** Called when a store commit fails (the broker logs it; receipts are refused). */
  onStoreError?: (err: unknown) => void;
  /** Carries topic messages to the other nodes of a cluster (bus.ts); none on one node. */
  bus?: FanOutBus;
}

export type { RouterStats } from './stats.js';

/** What the store held at start-up (`Router.recover`). */
export interface Recovered {
  /** Queued messages brought back. */
  messages: number;
  /**
   * Every state record, by key, for the components that own them (protocol sessions)
   * to read once at start-up; the router has read its own.
   */
  state: ReadonlyMap<string, StateValue>;
}

export class Router {
  /** Queues by destination (`/queue/a`, `/reply-queue/x`), in their engine; nothing outside the core edits them. */
  private readonly queues: QueueEngine;
  /** Topic subscriptions by destination; `/topic/` ones may be patterns. */
  private readonly topics = new TopicIndex<Subscription>('/topic/');
  /** Durable subscriptions: their queues bound to topics, by name and by pattern. */
  private readonly durables = new Map<string, Binding>();
  private readonly bindings = new TopicIndex<Binding>('/topic/');
  /** Topic histories (only where a policy asks for history). */
  private readonly histories: TopicHistories;
  readonly policies: Policies;
  private readonly opts: RouterOptions;
  readonly stats: RouterStats = newStats();
  private readonly commits: GroupCommit;
  private readonly bus: FanOutBus | undefined;
  /** Stored queues that a component loads itself (`claimQueues`), by name prefix. */
  private readonly claims: { prefix: string; load: (rq: RecoveredQueue) => void }[] = [];

  constructor(opts: RouterOptions) {
    this.opts = opts;
    this.policies = opts.policies ?? new Policies([], { maxQueueLength: opts.maxQueueLength ?? 0 });
    this.commits = new GroupCommit(opts.store, opts.onStoreError);
    this.bus = opts.bus;
    this.queues = new LocalQueues(this.commits, this.policies, opts, this.stats);
    this.histories = new TopicHistories(this.commits, this.policies, (m) => this.fanOutAndForward(m));
    this.claimQueues(HISTORY_QUEUE_PREFIX, (rq) => this.histories.load(rq));
  }

  /**
   * Hands the stored queues whose names start with `prefix` to `load` at `recover()`
   * instead of making them queues (pseudo-queues that hold, say, retained messages).
   * Called before `recover()`.
   */
  claimQueues(prefix: string, load: (rq: RecoveredQueue) => void): void {
    this.claims.push({ prefix, load });
  }

  /**
   * Loads what the store holds (at start-up): durable subscriptions first, so that
   * their queues exist, then queue contents, then topic histories with their epochs.
   */
  async recover(): Promise<Recovered> {
    const state = await this.opts.store.loadState();
    for (const [key, value] of state) {
      const spec = parseBindingRecord(key, value);
      if (spec !== undefined) this.bind(spec);
    }
    let n = 0;
    for (const rq of await this.opts.store.load()) {
      const claim = this.claims.find((c) => rq.queue.startsWith(c.prefix));
      if (claim !== undefined) {
        for (const { msg } of rq.entries) advanceSeq(msg.seq);
        claim.load(rq);
        continue;
      }
      const entries = rq.entries.map(({ msg, deliveries }) => {
        advanceSeq(msg.seq);
        return { msg: { ...msg, persistent: true, enc: undefined, batch: undefined }, deliveries };
      });
      this.queue(rq.queue).load(entries);
      n += entries.length;
    }
    this.histories.restore(state);
    return { messages: n, state };
  }

  /** The queue of that name, created empty (bounded by its destination's policy) when missing. */
  queue(destination: string): Queue {
    return this.queues.queue(destination);
  }

  /** The queue of that name, if it exists. */
  findQueue(name: string): Queue | undefined {
    return this.queues.find(name);
  }

  /** The names of the queues that exist (a snapshot: the caller may drop some while iterating). */
  queueNames(): string[] {
    return this.queues.names();
  }

  /**
   * Deletes a queue with whatever waits in it (from the store too, for a durable one);
   * `only`, when given, must be the queue registered under that name (a stale owner
   * does not delete its successor's queue).
   */
  dropQueue(name: string, only?: Queue): void {
    this.queues.drop(name, only);
  }

  /** A durable subscription's topic and selector, by name. */
  durableSpec(name: string): DurableSpec | undefined {
    return this.durables.get(name)?.spec;
  }

  get durableCount(): number {
    return this.durables.size;
  }

  /** The policy of a destination (persistence default, TTL, length bound, history). */
  policyFor(destination: string): ResolvedPolicy {
    return this.policies.for(destination);
  }

  /**
   * Routes a message. Returns a promise when the message was recorded in the store
   * (resolved once durable), otherwise undefined. Throws StompboxError(QUEUE_FULL)
   * when a queue whose overflow policy is `reject-publish` is full: nothing is routed.
   */
  publish(msg: Message): Promise<void> | undefined {
    const dest = msg.destination;
    if (isQueue(dest)) {
      // A reply queue exists only while its requester is connected: replies to a
      // requester that left are dropped, not kept where nobody can ever read them.
      if (dest.startsWith('/reply-queue/') && this.queues.find(dest) === undefined) {
        this.stats.published++;
        this.stats.unrouted++;
        return undefined;
      }
      const policy = this.policies.for(dest);
      const existing = this.queues.find(dest);
      if (policy.overflow === 'reject-publish' && policy.maxLength > 0 && existing !== undefined && existing.depth >= policy.maxLength) {
        this.stats.rejected++;
        throw new StompboxError(ErrorCodes.QUEUE_FULL, `queue ${dest} is full (${policy.maxLength} messages); the message was not accepted`);
      }
      this.stats.published++;
      return this.queues.enqueue(existing ?? this.queue(dest), msg);
    }
    this.stats.published++;
    if (!this.policies.empty) {
      // Held until its position is reserved (history.ts): it goes out later, in order.
      const held = this.histories.record(msg);
      if (held !== undefined) return held;
    }
    return this.fanOutAndForward(msg);
  }

  /** A topic message published here: to this node's subscribers, then to the other nodes'. */
  private fanOutAndForward(msg: Message): Promise<void> | undefined {
    const done = this.fanOut(msg, true);
    if (this.bus !== undefined) this.bus.forward(msg);
    return done;
  }

  /**
   * A topic message the bus brought from another node: to this node's live
   * subscriptions (kept MQTT sessions' bindings included), never forwarded again.
   * Durable subscriptions had it where it was published (bus.ts).
   */
  receive(msg: Message): void {
    // Counted as published where it was published, not again here.
    this.fanOut(msg, false);
  }

  /** Delivers a topic message to the matching subscriptions and (`durables`) durable subscriptions. */
  private fanOut(msg: Message, durables: boolean): Promise<void> | undefined {
    const dest = msg.destination;
    let done: Promise<void> | undefined;
    const subs = this.topics.match(dest, msg.seq);
    const n = subs.length;
    if (n === 0 && this.durables.size === 0) this.stats.unrouted++;
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
    if (durables && this.durables.size > 0) done = this.toDurables(msg) ?? done;
    // Stored on the way by someone else (a kept MQTT session's queue, the retained
    // messages): the publisher's acknowledgement waits for that too.
    if (done === undefined && msg.batch !== undefined && msg.batch === this.commits.current) done = this.commits.pending;
    return done;
  }

  /** Topic messages also go to the queues of the durable subscriptions bound to them. */
  private toDurables(msg: Message): Promise<void> | undefined {
    const bound = this.bindings.match(msg.destination, msg.seq);
    let done: Promise<void> | undefined;
    for (let i = 0; i < bound.length; i++) {
      const b = bound[i];
      if (b.selector !== undefined && !b.selector((name) => messageHeader(msg, name))) continue;
      done = this.queues.enqueue(b.queue, msg) ?? done;
    }
    return done;
  }

  /**
   * What a subscriber that last saw `position` of `epoch` on `destination` missed
   * (docs/recovery.md; TopicHistories.resume), or undefined when it keeps no history.
   */
  resume(destination: string, epoch?: string, position?: number): ResumeResult | undefined {
    return this.histories.resume(destination, epoch, position);
  }

  subscribe(sub: Subscription): void {
    if (isQueue(sub.destination)) this.queue(sub.destination).addConsumer(sub);
    else if (this.topics.add(sub.destination, sub) && this.bus !== undefined) this.bus.interest(sub.destination, true);
  }

  /**
   * Starts (or resumes) a durable subscription and makes `sub` a consumer of its
   * queue. Returns true when the subscription is new or was changed: its record is
   * then in this turn's commit (`pendingCommit()`), which a RECEIPT should wait for.
   * JMS semantics: a durable subscription resumed with another topic or selector is
   * a new one, and what the old one kept is dropped.
   */
  subscribeDurable(sub: Subscription, spec: DurableSpec): boolean {
    let b = this.durables.get(spec.name);
    let changed = false;
    if (b !== undefined && (b.spec.destination !== spec.destination || b.spec.selector !== spec.selector)) {
      this.unsubscribeDurable(spec.name);
      b = undefined;
    }
    if (b === undefined) {
      b = this.bind(spec);
      this.commits.saveState(bindingKey(spec.name), bindingRecord(spec));
      changed = true;
    }
    b.queue.addConsumer(sub);
    return changed;
  }

  /**
   * Removes a durable subscription: its binding, its record and every message kept
   * for it. Its consumers are detached first by the caller (UNSUBSCRIBE). Returns
   * false when there is no such subscription.
   */
  unsubscribeDurable(name: string): boolean {
    const b = this.durables.get(name);
    if (b === undefined) return false;
    this.durables.delete(name);
    this.bindings.remove(b.spec.destination, b);
    this.commits.saveState(bindingKey(name), null);
    const q = b.queue;
    this.queues.purge(q);
    if (q.consumerCount === 0) this.queues.forget(q.name);
    return true;
  }

  private bind(spec: DurableSpec): Binding {
    const q = this.queue(spec.name);
    q.maxLength = this.opts.maxQueueLength ?? 0;
    const b = new Binding(spec, spec.selector === undefined ? undefined : compileSelector(spec.selector), q);
    this.durables.set(spec.name, b);
    this.bindings.add(spec.destination, b);
    return b;
  }

  /** Ends a subscription. Unacked queue messages go back to their queue (redelivered). */
  unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    const q = sub.queue === undefined ? undefined : this.queues.find(sub.queue.name);
    if (q !== undefined) {
      // What it had not acked goes back (redelivered), except past the delivery limit:
      // a message that keeps killing its consumers must not loop forever.
      const unacked = [...sub.unacked.values()];
      sub.unacked.clear();
      q.removeConsumer(sub);
      if (unacked.length > 0) q.giveBack(unacked, true);
      // Auto-delete reply queues with their last consumer (RabbitMQ's temp queues);
      // a durable subscription's queue stays, to collect what its subscriber misses.
      if (q.name.startsWith('/reply-queue/')) this.queues.forget(q.name);
      else if (q.idle && !this.durables.has(q.name)) this.queues.forget(q.name);
    } else if (sub.queue === undefined) {
      if (this.topics.remove(sub.destination, sub) && this.bus !== undefined) this.bus.interest(sub.destination, false);
    }
    sub.unacked.clear();
    sub.pending.clear();
  }

  /** Settles acked entries: removes persistent ones from the store, refills credit. */
  ack(sub: Subscription, entries: Entry[]): Promise<void> | undefined {
    this.stats.acked += entries.length;
    // The queue it consumed from, even if it was deleted since (its store references go too).
    const done = sub.queue === undefined ? undefined : this.queues.ack(sub.queue as Queue, entries);
    this.refill(sub);
    return done;
  }

  /**
   * NACK (STOMP 1.1+): requeue by default (delivered again with `redelivered: true`);
   * `requeue = false`, or a message past `maxDeliveries`, goes to the dead-letter queue.
   */
  nack(sub: Subscription, entries: Entry[], requeue: boolean): void {
    this.stats.nacked += entries.length;
    if (sub.queue !== undefined) {
      sub.queue.giveBack(entries, requeue);
      return;
    }
    // A topic subscription's own messages: parked again at its head, or dead-lettered.
    const back = keptBack(entries, requeue, this.opts.maxDeliveries, (e, why) => this.queues.deadLetter(sub.destination, undefined, e, why));
    for (let i = back.length - 1; i >= 0; i--) sub.pending.unshift(back[i]);
    sub.drainPending();
  }

  /** A subscription may take more: pull from its queue, or drain its parked topic messages. */
  refill(sub: Subscription): void {
    if (sub.queue !== undefined) sub.queue.dispatch();
    else sub.drainPending();
  }

  // --- the store, for the router and for components that keep their own records ---

  /** Records that `queue` references `msg` (its body stored once per batch); resolves when durable. */
  store(queue: string, msg: Message): Promise<void> {
    return this.commits.store(queue, msg);
  }

  /** `queue` no longer references `m` (cancelling the write if it has not begun); resolves when durable. */
  unstore(queue: string, m: Message): Promise<void> {
    return this.commits.unstore(queue, m);
  }

  /**
   * Puts a state record (null deletes it) in this turn's batch, atomic with the
   * messages of the turn; the last value of a key in a turn wins. Keys are
   * namespaced by their owner (`mqtt-session/...`). Resolves when durable.
   */
  saveState(key: string, value: StateValue | null): Promise<void> {
    return this.commits.saveState(key, value);
  }

  /**
   * The store commit of this turn, if anything was recorded in it: a RECEIPT for an
   * ACK, NACK or COMMIT waits for it, so an acked message is never delivered again
   * after a crash once the client was told.
   */
  pendingCommit(): Promise<void> | undefined {
    return this.commits.pending;
  }

  /**
   * At shutdown: waits for the batch under way, then brings the topic histories'
   * reservations down to their last positions (a clean restart then keeps every
   * history whole) and waits for that too.
   */
  async flush(): Promise<void> {
    await this.commits.flush();
    this.histories.settle();
    await this.commits.flush();
  }

  /** Counts for the management API and tests. */
  snapshot(): {
    queues: { destination: string; depth: number; consumers: number }[];
    topicSubscriptions: number;
    durableSubscriptions: { name: string; destination: string; depth: number; consumers: number }[];
  } {
    return {
      queues: [...this.queues.values()].filter((q) => !this.durables.has(q.name)).map((q) => ({ destination: q.destination, depth: q.depth, consumers: q.consumerCount })),
      topicSubscriptions: this.topics.size,
      durableSubscriptions: [...this.durables.values()].map((b) => ({ name: b.spec.name, destination: b.spec.destination, depth: b.queue.depth, consumers: b.queue.consumerCount })),
    };
  }
}

function isQueue(dest: string): boolean {
  return dest.startsWith('/queue/') || dest.startsWith('/reply-queue/');
}
