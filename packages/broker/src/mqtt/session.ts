/**
 * An MQTT session (MQTT 3.1.1 §4.1, MQTT 5 §4.1): the client's subscriptions, the
 * QoS 1/2 messages in flight each way, and what waits while the client is away. It
 * outlives its network connection when the client asked for that (clean session 0,
 * or a Session Expiry Interval), and it is the `DeliveryTarget` of its core
 * subscriptions, so they stay in place across reconnections.
 *
 * How its subscriptions map onto the routing core: sub-info.ts.
 * PUBACK (QoS 1) and PUBCOMP (QoS 2) acknowledge the core delivery (router.ack).
 *
 * A kept session (expiry interval > 0) is also in the store (persistence.ts): its
 * queue is durable, and its state and in-flight window are recorded as they change,
 * so that restore.ts brings it back after a restart.
 */
import { BoundQueue } from '../core/bound-queue.js';
import type { Message } from '../core/message.js';
import { Subscription, type DeliveryTarget, type Entry } from '../core/subscription.js';
import type { MqttConnection } from './connection.js';
import { sessionQueueName, sessionState, type InflightRecord, type MqttSessionStore } from './persistence.js';
import { describeDelivery } from './delivery.js';
import { mqttEncoding, type Delivery } from './publish-writer.js';
import type { MqttState } from './state.js';
import { publishWill, type Will } from './will.js';
import type { SubInfo } from './sub-info.js';

interface Inflight {
  sub: Subscription;
  tag: number;
  qos: number;
  /** QoS 2: PUBREC received, PUBREL sent; waiting for PUBCOMP. */
  released: boolean;
}

const SESSION_QUEUE: SubInfo = {
  kind: 'session', filter: '', pattern: '', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0, id: 0, sub: undefined, group: undefined,
};

/** One reusable delivery description: deliveries are written synchronously. */
const d: Delivery = { qos: 0, packetId: 0, dup: false, retain: false, subId: 0, subIds: null };

export class MqttSession implements DeliveryTarget {
  readonly clientId: string;
  readonly state: MqttState;
  conn: MqttConnection | undefined;
  /** Seconds the session is kept after its connection ends (0 = ends with it). */
  expiryInterval = 0;
  readonly subs = new Map<string, SubInfo>();
  /** QoS 1/2 topic filters, in subscription order (they feed `bound`). */
  private boundFilters: readonly SubInfo[] = [];
  private bound: BoundQueue | undefined;
  private queueSub: Subscription | undefined;
  /** Outgoing QoS 1/2 messages by packet id, in send order. */
  readonly inflight = new Map<number, Inflight>();
  private nextPacketId = 1;
  /** Outgoing in-flight limit: the lower of our limit and the client's Receive Maximum. */
  maxInflight: number;
  /** Incoming QoS 2 packet ids received and not yet released by PUBREL (method B, MQTT 5 §4.3.3). */
  awaitingRelease: Set<number> | undefined;
  /** A will waiting for its delay (MQTT 5) while the session may still be resumed. */
  pendingWill: { will: Will; timer: NodeJS.Timeout | undefined; client: import('../events.js').ClientInfo } | undefined;
  ended = false;
  /** The claim this node holds on the client id (core/ownership.ts); 0 until a connection claims it. */
  generation = 0;

  constructor(state: MqttState, clientId: string) {
    this.state = state;
    this.clientId = clientId;
    this.maxInflight = state.ctx.config.mqttMaxInflight;
  }

  /** The session queue's name, once it has one (recorded with the session: persistence.ts). */
  get queueName(): string | undefined {
    return this.bound?.name;
  }

  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  /** Messages waiting in the session queue (for tests and the management API). */
  get queued(): number {
    return this.bound?.queue.depth ?? 0;
  }

  // --- DeliveryTarget -------------------------------------------------------

  /** No credit while offline, while the output is backed up, or with the in-flight window full. */
  get congested(): boolean {
    const c = this.conn;
    return c === undefined || c.closing || c.out.congested || this.inflight.size >= this.maxInflight;
  }

  deliver(sub: Subscription, msg: Message, redelivered: boolean, tag: number, fanout: number): void {
    const c = this.conn;
    if (c === undefined || c.closing) {
      // Offline: a QoS 0 subscription loses it (nothing is kept for those).
      if (tag !== 0) this.settle(sub, tag);
      return;
    }
    if (msg.expires !== 0 && msg.expires <= Date.now()) {
      // MQTT 5 §3.3.2.3.3: an expired message is not sent on.
      if (tag !== 0) this.settle(sub, tag);
      return;
    }
    const e = mqttEncoding(msg);
    if (!describeDelivery(d, this, this.boundFilters, sub.ext as SubInfo, msg, e, c.v5)) {
      if (tag !== 0) this.settle(sub, tag);
      return;
    }
    if (d.qos === 0) {
      if (tag === 0 && c.out.pending > c.out.limit) {
        // Only QoS 0 can overflow: QoS 1/2 stop at the in-flight window and output high-water mark.
        c.outputFull();
        return;
      }
      d.packetId = 0;
      d.dup = false;
      c.sendPublish(msg, e, d, fanout);
      if (tag !== 0) this.settle(sub, tag);
      return;
    }
    const pid = this.allocatePacketId();
    d.packetId = pid;
    d.dup = redelivered;
    this.inflight.set(pid, { sub, tag, qos: d.qos, released: false });
    if (!c.sendPublish(msg, e, d, 1)) {
      this.inflight.delete(pid);
      this.settle(sub, tag);
    } else if (sub === this.queueSub) this.kept?.sent(this, pid, msg.id, d.qos, false);
  }

  private allocatePacketId(): number {
    // Ids in use are skipped; the window is far below 65535, so this ends quickly.
    for (;;) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
  }

  /** Acknowledges a core delivery (the message is done with, for this session). */
  private settle(sub: Subscription, tag: number): void {
    const entries = sub.take(tag, false);
    if (entries !== undefined) this.state.ctx.router.ack(sub, entries);
  }

  // --- acknowledgements from the client --------------------------------------

  /** PUBACK: a QoS 1 delivery is done. Returns false for an unknown packet id. */
  puback(pid: number): boolean {
    const f = this.inflight.get(pid);
    if (f === undefined || f.qos !== 1) return false;
    this.finish(pid, f);
    return true;
  }

  /** PUBREC: a QoS 2 delivery was received; PUBREL follows (or it ends, on an error reason). */
  pubrec(pid: number, reason: number): boolean {
    const f = this.inflight.get(pid);
    if (f === undefined || f.qos !== 2) return false;
    if (reason >= 0x80) {
      // MQTT 5 §4.3.3: a PUBREC with an error ends the exchange; no PUBREL.
      this.finish(pid, f);
      return true;
    }
    f.released = true;
    const e = f.sub === this.queueSub ? f.sub.unacked.get(f.tag) : undefined;
    if (e !== undefined) this.kept?.sent(this, pid, e.msg.id, 2, true);
    this.conn?.sendAck(6, pid);
    return true;
  }

  /** PUBCOMP: a QoS 2 delivery is done. */
  pubcomp(pid: number): boolean {
    const f = this.inflight.get(pid);
    if (f === undefined || !f.released) return false;
    this.finish(pid, f);
    return true;
  }

  private finish(pid: number, f: Inflight): void {
    const wasFull = this.inflight.size >= this.maxInflight;
    this.inflight.delete(pid);
    this.settle(f.sub, f.tag);
    if (f.sub === this.queueSub) this.kept?.done(this, pid);
    if (wasFull) this.refillAll();
  }

  /** Lets every queue this session consumes from hand over more (after credit came back). */
  refillAll(): void {
    const router = this.state.ctx.router;
    if (this.queueSub !== undefined) router.refill(this.queueSub);
    for (const info of this.subs.values()) {
      if (info.sub !== undefined && (info.kind === 'queue' || info.kind === 'share')) router.refill(info.sub);
    }
  }

  // --- connection lifecycle ----------------------------------------------------

  /**
   * A connection takes the session: what was in flight is sent again first, with the
   * same packet ids and DUP set ([MQTT-4.4.0-1]; PUBREL for QoS 2 already received),
   * then the queues hand over what waited, in order, then live messages follow.
   */
  attach(conn: MqttConnection, resumed: boolean): void {
    this.conn = conn;
    this.state.sessions.keep(this.clientId);
    if (this.pendingWill !== undefined) {
      // [MQTT-3.1.3-9] resumed before the will delay ran out: the will is not sent.
      if (this.pendingWill.timer !== undefined) clearTimeout(this.pendingWill.timer);
      this.pendingWill = undefined;
    }
    if (!resumed) return;
    for (const [pid, f] of this.inflight) {
      if (f.released) {
        conn.sendAck(6, pid);
        continue;
      }
      const entry = f.sub.unacked.get(f.tag);
      if (entry === undefined) {
        this.inflight.delete(pid);
        this.kept?.done(this, pid);
        continue;
      }
      const e = mqttEncoding(entry.msg);
      if (!describeDelivery(d, this, this.boundFilters, f.sub.ext as SubInfo, entry.msg, e, conn.v5)) {
        this.inflight.delete(pid);
        this.settle(f.sub, f.tag);
        this.kept?.done(this, pid);
        continue;
      }
      d.qos = f.qos;
      d.packetId = pid;
      d.dup = true;
      conn.sendPublish(entry.msg, e, d, 1);
    }
    this.refillAll();
  }

  /** The connection ended: keep the session for its expiry interval, or end it now. */
  detach(conn: MqttConnection): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (this.ended) return;
    if (this.expiryInterval === 0) {
      this.end();
      return;
    }
    this.scheduleExpiry();
  }

  /** Ends the session once its expiry interval has passed from now, unless a client resumes it first. */
  scheduleExpiry(): void {
    const ms = this.expiryInterval >= 0xffffffff ? Infinity : this.expiryInterval * 1000;
    this.state.sessions.expireAfter(this.clientId, ms, () => this.end());
  }

  // --- kept across restarts (persistence.ts) ------------------------------------

  /**
   * Sets the Session Expiry Interval. A session kept after its connection is kept
   * across restarts too: its queue becomes durable (with what it holds) and its
   * state is recorded; one that is no longer kept leaves the store. Returns the
   * commit that records it, when there is one.
   */
  setExpiry(seconds: number): Promise<void> | undefined {
    const was = this.persistent;
    this.expiryInterval = seconds;
    const now = this.persistent;
    this.bound?.setDurable(now, this.queueSub?.unacked.values() ?? []);
    if (was !== now) this.state.store.all(this, now);
    if (now) return this.persist();
    if (was) this.state.sessions.persistence.remove(this.clientId);
    return undefined;
  }

  /** Records the session's state (subscriptions, expiry) when it is kept; resolves when durable. */
  persist(): Promise<void> | undefined {
    return this.persistent && !this.ended ? this.state.sessions.persistence.save(sessionState(this)) : undefined;
  }

  /** Where the exchanges under way are recorded: the store, while the session is kept. */
  private get kept(): MqttSessionStore | undefined {
    return this.persistent && !this.ended ? this.state.store : undefined;
  }

  /**
   * A QoS 2 message came in and was routed: its packet id is kept until PUBREL
   * (method B, MQTT 5 §4.3.3). Returns the commit that records it in a kept session
   * (the same batch as the message), which the PUBREC waits for.
   */
  received(pid: number): Promise<void> | undefined {
    (this.awaitingRelease ??= new Set()).add(pid);
    return this.kept?.inbound(this, pid, true);
  }

  /** The QoS 2 message under `pid` is released (PUBREL); the commit PUBCOMP waits for in a kept session. */
  released(pid: number): Promise<void> | undefined {
    this.awaitingRelease?.delete(pid);
    return this.kept?.inbound(this, pid, false);
  }

  /**
   * After a restart: the session's queue as stored, and what was in flight when the
   * broker stopped, taken out of the queue and held unacknowledged under its packet
   * id, to be sent again first (PUBLISH with DUP, or PUBREL) when the client returns.
   */
  restore(rec: InflightRecord, hadQueue: boolean): void {
    const found: { pid: number; entry: Entry; qos: number; released: boolean }[] = [];
    if (hadQueue || this.bound !== undefined) {
      const q = this.ensureBound().queue;
      for (const [pid, id, qos, released] of rec.out) {
        const entry = q.take(id);
        if (entry !== undefined) found.push({ pid, entry, qos, released: released === 1 });
        else this.state.store.done(this, pid); // acknowledged, and its record not deleted in time
      }
    }
    // Sent again in the order they were first sent: publish order.
    const sub = this.queueSub as Subscription;
    for (const f of found.sort((a, b) => a.entry.msg.seq - b.entry.msg.seq)) {
      this.inflight.set(f.pid, { sub, tag: sub.hold(f.entry), qos: f.qos, released: f.released });
    }
    if (rec.in.length > 0) this.awaitingRelease = new Set(rec.in);
  }

  /** Ends the session: subscriptions, queue and in-flight state go; a delayed will is sent now. */
  end(): void {
    if (this.ended) return;
    this.state.ctx.owners.release(this.clientId, this.generation);
    if (this.persistent) this.state.store.all(this, false);
    this.ended = true;
    for (const info of [...this.subs.values()]) this.removeSubscription(info);
    if (this.queueSub !== undefined && this.bound !== undefined) this.bound.removeConsumer(this.queueSub);
    this.bound?.destroy();
    this.bound = undefined;
    this.queueSub = undefined;
    this.inflight.clear();
    this.state.sessions.delete(this);
    const pw = this.pendingWill;
    if (pw !== undefined) {
      this.pendingWill = undefined;
      if (pw.timer !== undefined) clearTimeout(pw.timer);
      publishWill(this.state, pw.will, pw.client);
    }
  }

  // --- subscriptions -----------------------------------------------------------

  /** Adds a subscription, or replaces the one with the same filter ([MQTT-3.8.4-3]) without a gap. */
  addSubscription(info: SubInfo): void {
    const old = this.subs.get(info.filter);
    const router = this.state.ctx.router;
    const max = this.state.ctx.config.mqttMaxInflight;
    const ackMode = info.qos === 0 ? 'auto' : 'client-individual';
    if (info.noLocal) this.state.noLocalSubscriptions++;
    switch (info.kind) {
      case 'direct': {
        const sub = new Subscription(this, { id: info.filter, destination: info.pattern, ackMode: 'auto', prefetch: 0, maxPending: 0 });
        sub.ext = info;
        info.sub = sub;
        router.subscribe(sub);
        break;
      }
      case 'bound': {
        const b = this.ensureBound();
        this.boundFilters = [...this.boundFilters.filter((f) => f.filter !== info.filter), info];
        b.bind(info.pattern);
        break;
      }
      case 'queue': {
        const sub = new Subscription(this, { id: info.filter, destination: info.pattern, ackMode, prefetch: max, maxPending: 0 });
        sub.ext = info;
        info.sub = sub;
        router.subscribe(sub);
        break;
      }
      case 'share': {
        const sub = new Subscription(this, { id: info.filter, destination: info.pattern, ackMode, prefetch: max, maxPending: 0 });
        sub.ext = info;
        info.sub = sub;
        this.state.shares.join(info.group as string, info.pattern, sub);
        break;
      }
      case 'session':
        throw new Error('not a client subscription');
    }
    this.subs.set(info.filter, info);
    if (old !== undefined) this.dropSubscription(old, info);
  }

  /** UNSUBSCRIBE: returns false when there was no such subscription. */
  unsubscribe(filter: string): boolean {
    const info = this.subs.get(filter);
    if (info === undefined) return false;
    this.removeSubscription(info);
    return true;
  }

  private removeSubscription(info: SubInfo): void {
    this.subs.delete(info.filter);
    this.dropSubscription(info, undefined);
  }

  /** Takes the core side of `info` away; `next` is its replacement (same filter), if any. */
  private dropSubscription(info: SubInfo, next: SubInfo | undefined): void {
    const router = this.state.ctx.router;
    if (info.noLocal) this.state.noLocalSubscriptions--;
    switch (info.kind) {
      case 'direct':
      case 'queue':
        if (info.sub !== undefined) router.unsubscribe(info.sub);
        break;
      case 'share':
        if (info.sub !== undefined) this.state.shares.leave(info.group as string, info.pattern, info.sub);
        break;
      case 'bound': {
        if (next?.kind !== 'bound') this.boundFilters = this.boundFilters.filter((f) => f.filter !== info.filter);
        // Two filters may map to one pattern (`a/b` and `$stomp/topic/a.b`): unbind with the last.
        if (this.bound !== undefined && !this.boundFilters.some((f) => f.pattern === info.pattern)) this.bound.unbind(info.pattern);
        break;
      }
      case 'session':
        break;
    }
    // Messages that waited for in-flight room under the old subscription are not lost:
    // a queue consumer's unacked ones went back to its queue above.
    for (const [pid, f] of this.inflight) {
      if (f.sub.closed) this.inflight.delete(pid);
    }
  }

  private ensureBound(): BoundQueue {
    if (this.bound !== undefined) return this.bound;
    const cfg = this.state.ctx.config;
    const b = (this.bound = new BoundQueue(this.state.ctx.router, sessionQueueName(this.clientId), cfg.mqttMaxOfflineMessages, this.persistent));
    const sub = (this.queueSub = new Subscription(this, { id: 'mqtt-session', destination: b.name, ackMode: 'client-individual', prefetch: cfg.mqttMaxInflight, maxPending: 0 }));
    sub.ext = SESSION_QUEUE;
    b.addConsumer(sub);
    return b;
  }

  /** Retained messages for a new subscription go through its normal path (flow control, QoS). */
  sendRetained(info: SubInfo, messages: Message[], copy: (m: Message) => Message): void {
    for (const m of messages) {
      const c = copy(m);
      if (info.kind === 'bound') this.bound?.append(c);
      else if (info.kind === 'direct' && info.sub !== undefined) this.deliver(info.sub, c, false, 0, 1);
    }
  }
}
