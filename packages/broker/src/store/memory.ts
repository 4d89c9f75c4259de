/**
 * In-memory store: the contracts of `MessageStore` without durability. It is what
 * the broker runs on when no durable store is configured, and the reference the
 * conformance kit checks the durable stores against.
 */
import type { MessageStore, RecoveredQueue, StateValue, StoreBatch, StoredMessage } from './types.js';

interface Ref {
  seq: number;
  deliveries: number;
}

export class MemoryStore implements MessageStore {
  readonly kind = 'memory';
  readonly durable = false;
  private readonly messages = new Map<string, { msg: StoredMessage; refs: number }>();
  private readonly queues = new Map<string, Map<string, Ref>>();
  private readonly state = new Map<string, string>();
  private isOpen = false;

  async open(): Promise<void> {
    this.isOpen = true;
  }

  async commit(batch: StoreBatch): Promise<void> {
    if (!this.isOpen) throw new Error('store is not open');
    batch.sealed = true;
    // Validate first so that the batch applies all or nothing.
    const added = new Set(batch.messages.map((m) => m.id));
    for (const r of batch.enqueue) {
      if (!added.has(r.id) && !this.messages.has(r.id)) throw new Error(`enqueue of unknown message ${r.id}`);
    }
    for (const m of batch.messages) {
      // A copy: `slice()` of a Buffer (what the broker hands over) would be a view of the caller's bytes.
      if (!this.messages.has(m.id)) this.messages.set(m.id, { msg: { ...m, body: new Uint8Array(m.body) }, refs: 0 });
    }
    for (const r of batch.enqueue) {
      let q = this.queues.get(r.queue);
      if (q === undefined) this.queues.set(r.queue, (q = new Map()));
      if (q.has(r.id)) continue;
      q.set(r.id, { seq: r.seq, deliveries: 0 });
      (this.messages.get(r.id) as { refs: number }).refs++;
    }
    for (const d of batch.deliveries) {
      const ref = this.queues.get(d.queue)?.get(d.id);
      if (ref !== undefined) ref.deliveries = d.count;
    }
    for (const r of batch.remove) {
      const q = this.queues.get(r.queue);
      if (q === undefined || !q.delete(r.id)) continue;
      if (q.size === 0) this.queues.delete(r.queue);
      const m = this.messages.get(r.id);
      if (m !== undefined && --m.refs === 0) this.messages.delete(r.id);
    }
    // Kept as JSON text: what is loaded is a copy, never the caller's object.
    for (const c of batch.state) {
      if (c.value === null) this.state.delete(c.key);
      else this.state.set(c.key, JSON.stringify(c.value));
    }
    // A message stored but referenced by no queue (all refs removed in the same batch).
    for (const m of batch.messages) {
      const e = this.messages.get(m.id);
      if (e !== undefined && e.refs === 0) this.messages.delete(m.id);
    }
  }

  async load(): Promise<RecoveredQueue[]> {
    const out: RecoveredQueue[] = [];
    for (const [queue, refs] of this.queues) {
      const entries = [...refs.entries()]
        .sort((a, b) => a[1].seq - b[1].seq)
        .map(([id, ref]) => ({ msg: (this.messages.get(id) as { msg: StoredMessage }).msg, deliveries: ref.deliveries }));
      out.push({ queue, entries });
    }
    return out;
  }

  async loadState(): Promise<Map<string, StateValue>> {
    return new Map([...this.state].map(([k, v]) => [k, JSON.parse(v) as StateValue]));
  }

  async messageCount(): Promise<number> {
    return this.messages.size;
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }
}
