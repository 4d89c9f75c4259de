/**
 * Group commit: whatever must reach the store during one event-loop turn goes into
 * one batch (store/types.ts), committed when the turn ends, so a burst of messages
 * costs one transaction and one fsync. Every part of the broker that records
 * something (the router, bound queues, retained messages, protocol sessions) goes
 * through this one object, so their changes land in the same atomic batch.
 *
 * Rules it keeps:
 * - A body is pushed once per batch however many queues reference it (`msg.batch`
 *   names the batch that carries it, until that batch is committed).
 * - A change to a message's references goes into the batch that stores the message
 *   while the store has not begun applying it, so a message consumed before it
 *   reached the disk costs no write at all ("Amending" in store/types.ts).
 * - State records: the last value given for a key in a turn wins, so a record that
 *   changes several times in a turn is written once.
 */
import type { Message } from './message.js';
import { batchIsEmpty, emptyBatch, type MessageStore, type StateValue, type StoreBatch } from '../store/types.js';

export class GroupCommit {
  private batch: StoreBatch | null = null;
  private batchDone: Promise<void> | null = null;
  /** Each batch's commit, for a change that amends an earlier batch. */
  private readonly doneOf = new WeakMap<StoreBatch, Promise<void>>();
  /** State changes of the open batch, by key (insertion order kept). */
  private readonly state = new Map<string, StateValue | null>();
  private readonly target: MessageStore;
  private readonly onError: ((err: unknown) => void) | undefined;

  constructor(store: MessageStore, onError?: (err: unknown) => void) {
    this.target = store;
    this.onError = onError;
  }

  /** This turn's batch, opened on first use; committed once the turn ends. */
  open(): StoreBatch {
    if (this.batch !== null) return this.batch;
    const batch = (this.batch = emptyBatch());
    const done = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.batch = null;
        this.batchDone = null;
        this.closeState(batch);
        if (batchIsEmpty(batch)) {
          batch.sealed = true;
          return resolve();
        }
        this.target.commit(batch).then(
          () => {
            // Committed: nothing may amend it any more, and its messages need not pin it.
            for (const m of batch.messages) if ((m as Message).batch === batch) (m as Message).batch = undefined;
            resolve();
          },
          (err: unknown) => {
            this.onError?.(err);
            reject(err);
          },
        );
      });
    });
    // A commit failure is reported through onError; callers that wait on it see the rejection.
    done.catch(() => undefined);
    this.batchDone = done;
    this.doneOf.set(batch, done);
    return batch;
  }

  /** This turn's batch if one is open (without opening one). */
  get current(): StoreBatch | null {
    return this.batch;
  }

  /** The commit of this turn's batch, if one is open. */
  get pending(): Promise<void> | undefined {
    return this.batchDone ?? undefined;
  }

  /** The commit promise of the open batch (opening it). */
  done(): Promise<void> {
    this.open();
    return this.batchDone as Promise<void>;
  }

  /** Puts `msg`'s body into batch `b` unless it is there already. */
  body(b: StoreBatch, msg: Message): void {
    if (msg.batch === b) return;
    b.messages.push(msg);
    msg.batch = b;
  }

  /** Records that `queue` references `msg` (its body stored once per batch). */
  store(queue: string, msg: Message): Promise<void> {
    const b = this.open();
    this.body(b, msg);
    b.enqueue.push({ queue, id: msg.id, seq: msg.seq });
    return this.batchDone as Promise<void>;
  }

  /** `queue` no longer references `m`; resolves when that is durable. */
  unstore(queue: string, m: Message): Promise<void> {
    const b = this.amendable(m);
    b.remove.push({ queue, id: m.id, seq: m.seq });
    return this.doneOf.get(b) as Promise<void>;
  }

  /**
   * The batch to record a change to `m`'s references in: the one that stores `m`
   * while the store has not begun applying it (the change then cancels the write),
   * else this turn's.
   */
  amendable(m: Message): StoreBatch {
    const b = m.batch;
    return b !== undefined && b.sealed !== true ? b : this.open();
  }

  /** Puts (or, with null, deletes) a state record in this turn's batch; resolves when durable. */
  saveState(key: string, value: StateValue | null): Promise<void> {
    this.open();
    this.state.set(key, value);
    return this.batchDone as Promise<void>;
  }

  /** Waits for the batch under way, if any (used at shutdown). */
  async flush(): Promise<void> {
    if (this.batchDone !== null) await this.batchDone.catch(() => undefined);
  }

  private closeState(batch: StoreBatch): void {
    if (this.state.size === 0) return;
    for (const [key, value] of this.state) batch.state.push({ key, value });
    this.state.clear();
  }
}
