/**
 * The ordered, bounded queue of what the application sent that the broker has not
 * confirmed yet. An entry is one SEND, or a whole transaction (BEGIN ... COMMIT) so
 * that a half-sent transaction is never left open on a dead connection. Entries wait
 * here while offline, are written in order once connected (after the subscriptions
 * are renewed), and stay until their RECEIPT arrives; if the connection drops first
 * they are written again on the next one (at-least-once: the broker may then see a
 * frame twice). At `maxMessages` the policy decides: `reject` the new entry, or
 * `drop-oldest` (its promise rejects).
 */
import { headersFromRecord } from '@stompbox/stomp-codec';
import { ClientErrorCodes, StompboxClientError } from './errors.js';

export type OutFrame = [command: string, headers: string[], body?: Uint8Array | string];

/** A SEND's frame, from `publish()` or `tx.publish()`. */
export function sendFrame(destination: string, body: string | Uint8Array, o: SendOptions): OutFrame {
  const h = ['destination', destination, ...headersFromRecord(o.headers ?? {})];
  if (o.contentType) h.push('content-type', o.contentType);
  return ['SEND', h, body];
}

export interface SendOptions {
  headers?: Record<string, string>;
  /** `content-type` header. */
  contentType?: string;
}

export interface QueueEntry {
  frames_: OutFrame[];
  /** Confirmed by a RECEIPT (else done once written, and not replayed). */
  receipt_: boolean;
  resolve(): void;
  reject(err: Error): void;
  /** Written on the current connection, waiting for its RECEIPT. */
  sent_?: boolean;
}

export type OverflowPolicy = 'reject' | 'drop-oldest';

export class OfflineQueue {
  readonly entries_: QueueEntry[] = [];
  private waiters_: (() => void)[] = [];

  constructor(
    private readonly max_ = 1000,
    private readonly policy_: OverflowPolicy = 'reject',
  ) {}

  /** Adds an entry, or rejects it (or the oldest unsent one) at the bound. */
  push_(entry: QueueEntry): boolean {
    const entries = this.entries_;
    if (entries.length >= this.max_) {
      const full = new StompboxClientError(ClientErrorCodes.QUEUE_FULL, `offline queue full (${this.max_} entries)`);
      const oldest = this.policy_ === 'drop-oldest' ? entries.findIndex((e) => !e.sent_) : -1;
      (oldest < 0 ? entry : entries.splice(oldest, 1)[0]).reject(full);
      if (oldest < 0) return false;
    }
    entries.push(entry);
    return true;
  }

  /** The entries not yet written on this connection, in order. */
  unsent_(): QueueEntry[] {
    return this.entries_.filter((e) => !e.sent_);
  }

  done_(entry: QueueEntry, err?: Error): void {
    const i = this.entries_.indexOf(entry);
    if (i >= 0) this.entries_.splice(i, 1);
    if (err) entry.reject(err);
    else entry.resolve();
    if (!this.entries_.length) this.wake_();
  }

  /** Resolves once every entry is confirmed (or rejected), or the connection is lost: nothing more will be confirmed on it. */
  settled_(): Promise<void> {
    return this.entries_.length ? new Promise((r) => this.waiters_.push(r)) : Promise.resolve();
  }

  /** The connection is gone: what was written without confirmation goes again, first. */
  connectionLost_(): void {
    for (const e of this.entries_) e.sent_ = false;
    this.wake_();
  }

  rejectAll_(err: Error): void {
    for (const e of this.entries_.splice(0)) e.reject(err);
  }

  private wake_(): void {
    for (const w of this.waiters_.splice(0)) w();
  }
}
