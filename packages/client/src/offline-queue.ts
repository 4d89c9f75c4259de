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
import { ClientErrorCodes, StompboxClientError } from './errors.js';

export type OutFrame = [command: string, headers: string[], body?: Uint8Array | string];

export interface QueueEntry {
  frames: OutFrame[];
  /** Confirmed by a RECEIPT (else done once written, and not replayed). */
  receipt: boolean;
  resolve(): void;
  reject(err: Error): void;
  /** Written on the current connection, waiting for its RECEIPT. */
  sent: boolean;
}

export type OverflowPolicy = 'reject' | 'drop-oldest';

export class OfflineQueue {
  readonly entries: QueueEntry[] = [];
  private drainers_: (() => void)[] = [];

  constructor(
    readonly maxMessages: number = 1000,
    readonly policy: OverflowPolicy = 'reject',
  ) {}

  get length(): number {
    return this.entries.length;
  }

  /** Adds an entry, or rejects it (or the oldest) at the bound. */
  push(entry: QueueEntry): boolean {
    if (this.entries.length >= this.maxMessages) {
      const full = new StompboxClientError(ClientErrorCodes.QUEUE_FULL, `offline queue full (${this.maxMessages} entries)`);
      const oldest = this.policy === 'drop-oldest' ? this.entries.findIndex((e) => !e.sent) : -1;
      if (oldest === -1) {
        entry.reject(full);
        return false;
      }
      this.entries.splice(oldest, 1)[0].reject(full);
    }
    this.entries.push(entry);
    return true;
  }

  /** The entries not yet written on this connection, in order. */
  unsent(): QueueEntry[] {
    return this.entries.filter((e) => !e.sent);
  }

  done(entry: QueueEntry, err?: Error): void {
    const i = this.entries.indexOf(entry);
    if (i !== -1) this.entries.splice(i, 1);
    if (err) entry.reject(err);
    else entry.resolve();
    if (this.entries.length === 0) for (const d of this.drainers_.splice(0)) d();
  }

  /** Resolves once every entry is confirmed (or rejected). */
  drained(): Promise<void> {
    return this.entries.length === 0 ? Promise.resolve() : new Promise((r) => this.drainers_.push(r));
  }

  /** The connection is gone: what was written without confirmation goes again, first. */
  connectionLost(): void {
    for (const e of this.entries) e.sent = false;
  }

  rejectAll(err: Error): void {
    for (const e of this.entries.splice(0)) e.reject(err);
  }
}
