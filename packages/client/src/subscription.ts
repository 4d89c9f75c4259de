/**
 * A subscription lives as long as the application wants it, across connections: the
 * client renews it (same id) after every reconnect, resuming after the last position
 * it saw. Messages go to the callback, or, without one, to an async iterator:
 * `for await (const m of client.subscribe('/topic/x')) ...` (leaving the loop
 * unsubscribes).
 */
import type { Message } from './message.js';
import { ResumeTracker, resumable, type GapEvent, type StreamPosition } from './recovery.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

export interface SubscribeOptions {
  /** Subscription id (default `sub-N`). */
  id?: string;
  ack?: AckMode;
  /** More SUBSCRIBE headers (`selector`, `prefetch-count`, ...). */
  headers?: Record<string, string>;
  /**
   * Resume after each reconnect from the last position seen (default true). A
   * position (saved from `subscription.position`) resumes from there on the first
   * SUBSCRIBE too, e.g. after the app was restarted.
   */
  resume?: boolean | StreamPosition;
  /** The broker could not replay what was missed: reload what you show. */
  onGap?: (gap: GapEvent) => void;
  /**
   * Without a callback: messages held for a loop that has not asked for them yet
   * (default 1000). When full, the oldest held message is dropped and counted in
   * `dropped`. For back-pressure at the broker instead, use a client ack mode and
   * `headers: { 'prefetch-count': ... }`.
   */
  maxBuffered?: number;
}

export interface SubscriptionOwner {
  unsubscribe(sub: Subscription): Promise<void>;
}

export class Subscription implements AsyncIterable<Message> {
  readonly ready: Promise<void>;
  active = true;
  /** Messages dropped because the async iterator's buffer was full (see `maxBuffered`). */
  dropped = 0;
  readonly tracker_: ResumeTracker | undefined;
  /** @internal settles `ready` */
  settle_!: (err?: Error) => void;
  private readonly buffer_: Message[] = [];
  private waiter_: ((r: IteratorResult<Message>) => void) | undefined;

  constructor(
    readonly id: string,
    readonly destination: string,
    readonly options: SubscribeOptions,
    private readonly callback_: ((m: Message) => void) | undefined,
    private readonly owner_: SubscriptionOwner,
  ) {
    const r = options.resume ?? true;
    this.tracker_ = r !== false && resumable(destination) ? new ResumeTracker(r === true ? undefined : r) : undefined;
    this.ready = new Promise<void>((resolve, reject) => (this.settle_ = (err) => (err ? reject(err) : resolve())));
    this.ready.catch(() => undefined); // also reported as an 'error' event
  }

  /** Where this subscription is in its destination's history (save it to resume after an app restart). */
  get position(): StreamPosition | undefined {
    return this.tracker_?.last_;
  }

  unsubscribe(): Promise<void> {
    return this.owner_.unsubscribe(this);
  }

  /** @internal */
  deliver_(m: Message): void {
    if (this.callback_) this.callback_(m);
    else if (this.waiter_) {
      const w = this.waiter_;
      this.waiter_ = undefined;
      w({ value: m, done: false });
    } else if (this.buffer_.push(m) > (this.options.maxBuffered ?? 1000)) {
      this.buffer_.shift();
      this.dropped++;
    }
  }

  /** @internal the subscription ended: a waiting iterator finishes. */
  end_(): void {
    this.active = false;
    this.waiter_?.({ value: undefined, done: true });
    this.waiter_ = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: () => {
        const m = this.buffer_.shift();
        if (m) return Promise.resolve({ value: m, done: false });
        if (!this.active) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter_ = resolve));
      },
      return: async () => {
        await this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }
}
