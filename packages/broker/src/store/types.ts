/**
 * The storage interface behind queues. The broker keeps each queue's working set in
 * memory; a store holds what must survive the broker: persistent messages and which
 * queues reference them. Bodies are stored once; queues hold references by id.
 *
 * Contracts every implementation must honour (checked by the conformance kit in
 * test/store/conformance.ts, which each store runs):
 * - `commit(batch)` is atomic: after a crash either all of the batch is visible or
 *   none of it. Batches take effect in the order `commit` was called, even when their
 *   promises resolve together (group commit). When the promise resolves, the batch is
 *   durable to the degree the store promises (`durable`).
 * - A message body is written once however many queues reference it, and deleted
 *   when the last reference is removed.
 * - Idempotency: enqueueing a reference that exists, or removing one that does not,
 *   is not an error and changes nothing.
 * - `load()` returns every queue's references in enqueue order (`seq` ascending),
 *   with the delivery count last recorded.
 * - Within a batch: bodies, then enqueues, then delivery counts, then removes (a
 *   message published and auto-acked in the same turn leaves nothing behind), then
 *   state changes in the order listed (the last change of a key wins).
 * - State: small JSON records by key (durable subscriptions, sessions, topic
 *   epochs), committed atomically with the rest of the batch. `loadState()`
 *   returns every key with its last value; a value of `null` deletes the key.
 *   Keys are namespaced by the component that owns them (`binding/...`).
 * - Amending: `commit` takes the batch by reference. The store sets `sealed` when
 *   it begins to apply it; until then the caller may append `remove` and
 *   `deliveries` entries, which apply as if they had been there from the start.
 *   A reference enqueued and removed in one batch is never written, nor is a body
 *   that no surviving reference of the batch needs: a message consumed before its
 *   batch reached the disk costs no write at all (RabbitMQ does the same for
 *   messages acked before they are paged out). The caller must not change the
 *   bodies of a batch until its commit settles.
 */

export interface StoredMessage {
  id: string;
  seq: number;
  destination: string;
  headers: string[];
  body: Uint8Array;
  expires: number;
  timestamp: number;
}

export interface QueueRef {
  queue: string;
  id: string;
  seq: number;
}

export interface StoreBatch {
  /** New messages (bodies) to store. */
  messages: StoredMessage[];
  /** References to add (a message must be in this batch or already stored). */
  enqueue: QueueRef[];
  /** References to remove (acked, dead-lettered, expired). */
  remove: QueueRef[];
  /** Delivery counts to record (redelivery survives a restart). */
  deliveries: { queue: string; id: string; count: number }[];
  /** State records to put (a JSON value) or delete (`null`). */
  state: StateChange[];
  /** Set by the store when it begins applying the batch; no amending after that. */
  sealed?: boolean;
}

/** A JSON value as the store keeps it (objects, arrays, strings, numbers, booleans). */
export type StateValue = string | number | boolean | StateValue[] | { [key: string]: StateValue };

export interface StateChange {
  key: string;
  value: StateValue | null;
}

export interface RecoveredQueue {
  queue: string;
  entries: { msg: StoredMessage; deliveries: number }[];
}

export interface MessageStore {
  /** Short name for logs ("memory", "lmdb"). */
  readonly kind: string;
  /** Whether a resolved commit survives a process crash. */
  readonly durable: boolean;
  open(): Promise<void>;
  commit(batch: StoreBatch): Promise<void>;
  load(): Promise<RecoveredQueue[]>;
  /** Every state record, by key. */
  loadState(): Promise<Map<string, StateValue>>;
  /** Number of distinct message bodies stored (for tests and metrics). */
  messageCount(): Promise<number>;
  close(): Promise<void>;
}

export function emptyBatch(): StoreBatch {
  return { messages: [], enqueue: [], remove: [], deliveries: [], state: [] };
}

export function batchIsEmpty(b: StoreBatch): boolean {
  return b.messages.length === 0 && b.enqueue.length === 0 && b.remove.length === 0 && b.deliveries.length === 0 && b.state.length === 0;
}
