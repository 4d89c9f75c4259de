/**
 * The fan-out bus (core/bus.ts) on Redis pub/sub: every node publishes its turn's topic
 * messages as one batch on the cluster's channel and subscribes to it; a node skips
 * its own batches. Redis delivers what one connection publishes in order, so messages
 * from one node arrive at every other in publish order, at most once (pub/sub keeps
 * nothing for a subscriber that is away: the live path; what must not be lost goes
 * through queues and streams).
 *
 * `interest` is not used yet: every node gets every topic message, which the bus
 * contract allows; per-pattern channels are for when many nodes make it worth it.
 *
 * Bounded: while the publishing connection is not ready (Redis down, reconnecting),
 * batches are dropped and counted rather than queued in memory without end.
 */
import type { Redis } from 'ioredis';
import type { FanOutBus } from '../core/bus.js';
import type { Message } from '../core/message.js';
import { decodeBatch, encodeBatch } from './bus-frame.js';

export interface RedisBusStats {
  /** Batches (one per turn with topic messages) published and received from other nodes. */
  sent: number;
  received: number;
  /** Messages not sent because Redis was not reachable. */
  dropped: number;
  /** Batches that could not be decoded (logged by the owner through `onError`). */
  malformed: number;
}

export class RedisBus implements FanOutBus {
  readonly stats: RedisBusStats = { sent: 0, received: 0, dropped: 0, malformed: 0 };
  private pending: Message[] = [];
  private scheduled = false;
  private deliver: ((m: Message) => void) | undefined;
  private readonly flushNow = () => this.flush();

  /**
   * `pub` and `sub` are two connections (a subscribed Redis connection can do nothing
   * else); `tag` is this node's tag, unique among the live nodes (core/message.ts).
   */
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly channel: string,
    private readonly tag: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Subscribes to the channel; what other nodes publish goes to `deliver` (Router.receive). */
  async start(deliver: (m: Message) => void): Promise<void> {
    this.deliver = deliver;
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      if (channel.toString('latin1') !== this.channel) return;
      this.onBatch(payload);
    });
    await this.sub.subscribe(this.channel);
  }

  forward(msg: Message): void {
    this.pending.push(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      // After this turn's I/O callbacks: everything published in the turn goes in one PUBLISH.
      setImmediate(this.flushNow);
    }
  }

  interest(): void {
    // Every node gets every topic message for now (see the file comment).
  }

  /** Publishes what this turn forwarded; returns once Redis has taken it (tests, shutdown). */
  flush(): Promise<unknown> | undefined {
    this.scheduled = false;
    const msgs = this.pending;
    if (msgs.length === 0) return undefined;
    this.pending = [];
    if (this.pub.status !== 'ready') {
      this.stats.dropped += msgs.length;
      return undefined;
    }
    this.stats.sent++;
    // Encoded now, in the turn the messages were given: no reference to them is kept.
    return this.pub.publish(this.channel, encodeBatch(this.tag, msgs)).catch((err: unknown) => {
      this.stats.dropped += msgs.length;
      this.onError(err);
    });
  }

  private onBatch(payload: Buffer): void {
    let batch;
    try {
      batch = decodeBatch(payload);
    } catch (err) {
      this.stats.malformed++;
      this.onError(err);
      return;
    }
    if (batch.tag === this.tag) return; // our own, delivered here already
    this.stats.received++;
    const deliver = this.deliver;
    if (deliver === undefined) return;
    for (const m of batch.messages) deliver(m);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.sub.unsubscribe(this.channel).catch(() => undefined);
  }
}
