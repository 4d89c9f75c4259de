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
}

export interface SubscriptionOwner {
  unsubscribe(sub: Subscription): Promise<void>;
}

export class Subscription implements AsyncIterable<Message> {
  readonly ready: Promise<void>;
  active = true;
  readonly tracker: ResumeTracker | undefined;
  /** @internal settles `ready` */
  settle!: (err?: Error) => void;
  private readonly buffer: Message[] = [];
  private waiter: ((r: IteratorResult<Message>) => void) | undefined;

  constructor(
    readonly id: string,
    readonly destination: string,
    readonly options: SubscribeOptions,
    private readonly callback: ((m: Message) => void) | undefined,
    private readonly owner: SubscriptionOwner,
  ) {
    const r = options.resume ?? true;
    this.tracker = r !== false && resumable(destination) ? new ResumeTracker(r === true ? undefined : r) : undefined;
    this.ready = new Promise<void>((resolve, reject) => (this.settle = (err) => (err ? reject(err) : resolve())));
    this.ready.catch(() => undefined); // also reported as an 'error' event
  }

  /** Where this subscription is in its destination's history (save it to resume after an app restart). */
  get position(): StreamPosition | undefined {
    return this.tracker?.last;
  }

  unsubscribe(): Promise<void> {
    return this.owner.unsubscribe(this);
  }

  /** @internal */
  deliver(m: Message): void {
    if (this.callback) this.callback(m);
    else if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: m, done: false });
    } else this.buffer.push(m);
  }

  /** @internal the subscription ended: a waiting iterator finishes. */
  end(): void {
    this.active = false;
    this.waiter?.({ value: undefined, done: true });
    this.waiter = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: () => {
        const m = this.buffer.shift();
        if (m) return Promise.resolve({ value: m, done: false });
        if (!this.active) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: async () => {
        await this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }
}
