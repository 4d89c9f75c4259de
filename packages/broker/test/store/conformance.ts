/**
 * Storage conformance kit: the contracts written in `src/store/types.ts`, as
 * `node:test` tests any `MessageStore` runs (as aedes-persistence's abstract.js).
 * A store's test file is one call:
 *
 *   runStoreConformance('lmdb', async () => new LmdbStore(freshDir()), async (old) => new LmdbStore(dirOf(old)));
 *
 * `makeStore` returns a new, empty store, not yet opened (the kit opens and closes it).
 * `reopen`, for stores that keep data across instances, receives the store after the
 * kit has closed it and returns a store over the same data, not yet opened.
 * Within one batch the kit expects the order bodies, enqueues, delivery counts,
 * removes (a message published and auto-acked in the same turn leaves nothing).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emptyBatch, type MessageStore, type StateValue, type StoreBatch, type StoredMessage } from '../../src/store/types.js';

export type StoreFactory = () => Promise<MessageStore>;
export type StoreReopen = (closed: MessageStore) => Promise<MessageStore>;

/** Queue -> [message id, delivery count] in load order; queues without entries are left out. */
type Snapshot = Record<string, [string, number][]>;

const enc = new TextEncoder();

export function storedMessage(id: string, seq: number, body: Uint8Array | string = `body of ${id}`, o: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id,
    seq,
    destination: o.destination ?? '/queue/a',
    headers: o.headers ?? ['h', id],
    body: typeof body === 'string' ? enc.encode(body) : body,
    expires: o.expires ?? 0,
    timestamp: o.timestamp ?? 1_700_000_000_000 + seq,
  };
}

export function batch(b: Partial<StoreBatch>): StoreBatch {
  return { ...emptyBatch(), ...b };
}

const ref = (queue: string, m: StoredMessage) => ({ queue, id: m.id, seq: m.seq });
const put = (queue: string, ...ms: StoredMessage[]): StoreBatch => batch({ messages: ms, enqueue: ms.map((m) => ref(queue, m)) });

export async function snapshot(store: MessageStore): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const q of await store.load()) {
    if (q.entries.length === 0) continue;
    assert.ok(!Object.hasOwn(out, q.queue), `load() lists queue ${q.queue} twice`);
    out[q.queue] = q.entries.map((e) => [e.msg.id, e.deliveries]);
    const seqs = q.entries.map((e) => e.msg.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `load() order of ${q.queue} is not by seq`);
  }
  return out;
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.ok(actual instanceof Uint8Array, `${what}: body is not a Uint8Array`);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected), `${what}: body differs`);
}

/** The contracts, applied in call order: what a conforming store must end up holding. */
class Model {
  readonly messages = new Map<string, StoredMessage>();
  readonly queues = new Map<string, Map<string, { seq: number; deliveries: number }>>();
  readonly state = new Map<string, StateValue>();

  /** Applies a batch; false when the store must reject it (and change nothing). */
  apply(b: StoreBatch): boolean {
    const known = new Set([...this.messages.keys(), ...b.messages.map((m) => m.id)]);
    if (b.enqueue.some((r) => !known.has(r.id))) return false;
    for (const m of b.messages) if (!this.messages.has(m.id)) this.messages.set(m.id, m);
    for (const r of b.enqueue) {
      let q = this.queues.get(r.queue);
      if (q === undefined) this.queues.set(r.queue, (q = new Map()));
      if (!q.has(r.id)) q.set(r.id, { seq: r.seq, deliveries: 0 });
    }
    for (const d of b.deliveries) {
      const e = this.queues.get(d.queue)?.get(d.id);
      if (e !== undefined) e.deliveries = d.count;
    }
    for (const r of b.remove) this.queues.get(r.queue)?.delete(r.id);
    const referenced = new Set([...this.queues.values()].flatMap((q) => [...q.keys()]));
    for (const id of [...this.messages.keys()]) if (!referenced.has(id)) this.messages.delete(id);
    for (const c of b.state) {
      if (c.value === null) this.state.delete(c.key);
      else this.state.set(c.key, JSON.parse(JSON.stringify(c.value)) as StateValue); // plain objects, as a store returns them
    }
    return true;
  }

  snapshot(): Snapshot {
    const out: Snapshot = {};
    for (const [name, q] of this.queues) {
      if (q.size === 0) continue;
      out[name] = [...q].sort((a, b) => a[1].seq - b[1].seq).map(([id, e]) => [id, e.deliveries]);
    }
    return out;
  }
}

/** Random batches over a few ids and queues; some enqueue ids never stored (to be rejected). */
const SEQ: Record<string, number> = { m0: 50, m1: 10, m2: 40, m3: 20, m4: 60, m5: 30, ghost: 70 };
const arbBatch: fc.Arbitrary<StoreBatch> = (() => {
  const id = fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4', 'm5');
  const idOrGhost = fc.oneof({ weight: 12, arbitrary: id }, { weight: 1, arbitrary: fc.constant('ghost') });
  const queue = fc.constantFrom('/queue/q0', '/queue/q1', '/queue/q2');
  const r = (ids: fc.Arbitrary<string>) => fc.record({ queue, id: ids }).map(({ queue: q, id: i }) => ({ queue: q, id: i, seq: SEQ[i] }));
  return fc.uniqueArray(id, { maxLength: 3 }).chain((ids) => {
    // Enqueue mostly what this batch stores; sometimes any id (stored earlier or not), rarely an unknown one.
    const enqueued = ids.length === 0 ? idOrGhost : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids) }, { weight: 2, arbitrary: idOrGhost });
    return fc.record({
      messages: fc.constant(ids.map((i) => storedMessage(i, SEQ[i]))),
      enqueue: fc.array(r(enqueued), { maxLength: 4 }),
      remove: fc.array(r(id), { maxLength: 3 }),
      deliveries: fc.array(fc.record({ queue, id, count: fc.integer({ min: 1, max: 9 }) }), { maxLength: 2 }),
      state: fc.array(fc.record({
        key: fc.constantFrom('binding/a', 'binding/b', 'epoch'),
        value: fc.oneof(fc.constant(null), fc.integer(), fc.record({ q: fc.string(), n: fc.array(fc.boolean(), { maxLength: 2 }) })),
      }), { maxLength: 3 }),
    });
  });
})();

export function runStoreConformance(name: string, makeStore: StoreFactory, reopen?: StoreReopen): void {
  /** Runs `fn` on a fresh open store and closes it afterwards. */
  async function withStore(fn: (store: MessageStore) => Promise<void>): Promise<void> {
    const store = await makeStore();
    await store.open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  describe(`store conformance: ${name}`, () => {
    it('a new store holds nothing', () =>
      withStore(async (s) => {
        assert.deepEqual(await snapshot(s), {});
        assert.equal(await s.messageCount(), 0);
      }));

    it('load() returns every field as committed, each queue in seq order', () =>
      withStore(async (s) => {
        const [a, b, c] = [storedMessage('a', 30, 'A'), storedMessage('b', 10, 'B'), storedMessage('c', 20, 'C')];
        const d = storedMessage('d', 5, 'D', { destination: '/queue/other', headers: ['x', 'é ✓', 'empty', '', 'colon', 'a:b'], expires: 1_900_000_000_000, timestamp: 42 });
        await s.commit(put('/queue/a', a));
        await s.commit(put('/queue/a', b));
        await s.commit(batch({ messages: [c, d], enqueue: [ref('/queue/a', c), ref('/queue/other', d)] }));
        const loaded = await s.load();
        const qa = loaded.find((q) => q.queue === '/queue/a');
        assert.deepEqual(qa?.entries.map((e) => e.msg.id), ['b', 'c', 'a']);
        const qd = loaded.find((q) => q.queue === '/queue/other')?.entries[0];
        assert.ok(qd !== undefined);
        const { body, ...fields } = qd.msg;
        const { body: dBody, ...dFields } = d;
        assert.deepEqual({ ...fields }, dFields);
        sameBytes(body, dBody, 'd');
        assert.equal(qd.deliveries, 0);
      }));

    it('a body is stored once for several queues and deleted with its last reference', () =>
      withStore(async (s) => {
        const m = storedMessage('m', 1);
        await s.commit(batch({ messages: [m], enqueue: [ref('/queue/a', m), ref('/queue/b', m)] }));
        await s.commit(batch({ enqueue: [ref('/queue/c', m)] })); // by id alone: the body is already stored
        assert.equal(await s.messageCount(), 1);
        assert.deepEqual(await snapshot(s), { '/queue/a': [['m', 0]], '/queue/b': [['m', 0]], '/queue/c': [['m', 0]] });
        await s.commit(batch({ remove: [ref('/queue/a', m)] }));
        await s.commit(batch({ remove: [ref('/queue/c', m)] }));
        assert.equal(await s.messageCount(), 1);
        await s.commit(batch({ remove: [ref('/queue/b', m)] }));
        assert.equal(await s.messageCount(), 0);
        assert.deepEqual(await snapshot(s), {});
        await assert.rejects(s.commit(batch({ enqueue: [ref('/queue/a', m)] })), 'enqueue of a deleted body must be rejected');
      }));

    it('enqueueing a reference that exists changes nothing', () =>
      withStore(async (s) => {
        const m = storedMessage('m', 1);
        await s.commit(put('/queue/a', m));
        await s.commit(batch({ deliveries: [{ queue: '/queue/a', id: 'm', count: 3 }] }));
        await s.commit(put('/queue/a', m));
        await s.commit(batch({ enqueue: [ref('/queue/a', m), ref('/queue/a', m)] }));
        assert.deepEqual(await snapshot(s), { '/queue/a': [['m', 3]] });
        assert.equal(await s.messageCount(), 1);
        await s.commit(batch({ remove: [ref('/queue/a', m)] })); // one remove undoes it all
        assert.deepEqual(await snapshot(s), {});
        assert.equal(await s.messageCount(), 0);
      }));

    it('removing a reference that does not exist is not an error and changes nothing', () =>
      withStore(async (s) => {
        const [m, n] = [storedMessage('m', 1), storedMessage('n', 2)];
        await s.commit(put('/queue/a', m, n));
        await s.commit(batch({ remove: [ref('/queue/a', storedMessage('zz', 9)), ref('/queue/none', m), ref('/queue/b', n)] }));
        await s.commit(batch({ remove: [ref('/queue/a', m)] }));
        await s.commit(batch({ remove: [ref('/queue/a', m), ref('/queue/a', m)] }));
        assert.deepEqual(await snapshot(s), { '/queue/a': [['n', 0]] });
        assert.equal(await s.messageCount(), 1);
      }));

    it('records delivery counts per queue reference; the last one recorded wins', () =>
      withStore(async (s) => {
        const [m, n] = [storedMessage('m', 1), storedMessage('n', 2)];
        await s.commit(batch({ messages: [m, n], enqueue: [ref('/queue/a', m), ref('/queue/a', n), ref('/queue/b', m)] }));
        await s.commit(batch({ deliveries: [{ queue: '/queue/a', id: 'm', count: 1 }, { queue: '/queue/b', id: 'm', count: 4 }] }));
        await s.commit(batch({ deliveries: [{ queue: '/queue/a', id: 'm', count: 2 }] }));
        // A count for a reference that is not there (already removed) is ignored.
        await s.commit(batch({ deliveries: [{ queue: '/queue/c', id: 'm', count: 7 }, { queue: '/queue/a', id: 'zz', count: 7 }] }));
        assert.deepEqual(await snapshot(s), { '/queue/a': [['m', 2], ['n', 0]], '/queue/b': [['m', 4]] });
        // A count in the batch that enqueues the reference applies to it.
        const o = storedMessage('o', 3);
        await s.commit(batch({ messages: [o], enqueue: [ref('/queue/a', o)], deliveries: [{ queue: '/queue/a', id: 'o', count: 5 }] }));
        assert.deepEqual((await snapshot(s))['/queue/a'], [['m', 2], ['n', 0], ['o', 5]]);
      }));

    it('a message added and fully removed in one batch leaves nothing', () =>
      withStore(async (s) => {
        const [m, lone] = [storedMessage('m', 1), storedMessage('lone', 2)];
        await s.commit(batch({ messages: [m, lone], enqueue: [ref('/queue/a', m), ref('/queue/b', m)], remove: [ref('/queue/a', m), ref('/queue/b', m)] }));
        assert.deepEqual(await snapshot(s), {});
        assert.equal(await s.messageCount(), 0, 'a body with no reference left must not be kept');
      }));

    it('commit is atomic: a batch enqueueing an unknown message is rejected and changes nothing', () =>
      withStore(async (s) => {
        const [a, b] = [storedMessage('a', 1), storedMessage('b', 2)];
        await s.commit(put('/queue/a', a, b));
        const before = await snapshot(s);
        const n = storedMessage('n', 3);
        const bad = batch({
          messages: [n],
          enqueue: [ref('/queue/a', n), ref('/queue/b', a), { queue: '/queue/a', id: 'ghost', seq: 4 }],
          remove: [ref('/queue/a', b)],
          deliveries: [{ queue: '/queue/a', id: 'a', count: 9 }],
        });
        await assert.rejects(s.commit(bad));
        assert.deepEqual(await snapshot(s), before);
        assert.equal(await s.messageCount(), 2);
        await s.commit(batch({ enqueue: [ref('/queue/b', a)] })); // still usable
        assert.deepEqual(await snapshot(s), { ...before, '/queue/b': [['a', 0]] });
      }));

    it('batches committed without awaiting take effect in call order', () =>
      withStore(async (s) => {
        const m = storedMessage('m', 1);
        const results = await Promise.allSettled([
          s.commit(put('/queue/a', m)),
          s.commit(batch({ enqueue: [ref('/queue/b', m)] })), // needs the body of the first batch
          s.commit(batch({ remove: [ref('/queue/a', m)] })),
          s.commit(batch({ enqueue: [{ queue: '/queue/a', id: 'ghost', seq: 2 }] })), // rejected alone
          s.commit(batch({ deliveries: [{ queue: '/queue/b', id: 'm', count: 2 }] })),
          s.commit(batch({ remove: [ref('/queue/b', m)] })),
          s.commit(put('/queue/c', m)), // stored again after its last reference went
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
        assert.deepEqual(await snapshot(s), { '/queue/c': [['m', 0]] });
        assert.equal(await s.messageCount(), 1);
      }));

    it('random concurrent batches end where applying them in call order does', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(arbBatch, { minLength: 1, maxLength: 8 }), (batches) =>
          withStore(async (s) => {
            const model = new Model();
            const expected = batches.map((b) => model.apply(b));
            const results = await Promise.allSettled(batches.map((b) => s.commit(b)));
            assert.deepEqual(results.map((r) => r.status === 'fulfilled'), expected, 'which batches were accepted');
            assert.deepEqual(await snapshot(s), model.snapshot());
            assert.equal(await s.messageCount(), model.messages.size);
            assert.deepEqual(Object.fromEntries(await s.loadState()), Object.fromEntries(model.state));
          }),
        ),
        { numRuns: 150 },
      );
    });

    it('a batch that enqueues an existing reference again and removes it removes it', () =>
      withStore(async (s) => {
        const m = storedMessage('m', 1);
        await s.commit(put('/queue/a', m));
        await s.commit(batch({ enqueue: [ref('/queue/a', m)], remove: [ref('/queue/a', m)] }));
        assert.deepEqual(await snapshot(s), {});
        assert.equal(await s.messageCount(), 0);
      }));

    it('amending: removes appended before the store seals a batch apply with it, and cancel its writes', () =>
      withStore(async (s) => {
        const [m, n] = [storedMessage('m', 1), storedMessage('n', 2)];
        const b = batch({ messages: [m, n], enqueue: [ref('/queue/a', m), ref('/queue/a', n), ref('/queue/b', n)] });
        const committed = s.commit(b);
        // A store may seal at once (memory) or later (lmdb, when its write transaction runs).
        const amended = b.sealed !== true;
        if (amended) b.remove.push(ref('/queue/a', m), ref('/queue/a', n));
        await committed;
        assert.equal(b.sealed, true, 'the store seals every batch it applies');
        if (amended) {
          assert.deepEqual(await snapshot(s), { '/queue/b': [['n', 0]] });
          assert.equal(await s.messageCount(), 1, 'the body of m was never needed');
        } else {
          assert.deepEqual(await snapshot(s), { '/queue/a': [['m', 0], ['n', 0]], '/queue/b': [['n', 0]] });
        }
      }));

    it('state records: put, overwrite, delete; the last change of a key in a batch wins; values are copies', () =>
      withStore(async (s) => {
        const value: { [k: string]: StateValue } = { queue: 'q', n: [1, 'é ✓', true] };
        await s.commit(batch({ state: [{ key: 'binding/x', value }, { key: 'epoch', value: 'e1' }, { key: 'gone', value: 1 }] }));
        value.queue = 'changed after commit';
        await s.commit(batch({ state: [{ key: 'gone', value: null }, { key: 'epoch', value: 'e2' }, { key: 'epoch', value: 'e3' }, { key: 'never', value: null }] }));
        const got = await s.loadState();
        assert.deepEqual(Object.fromEntries(got), { 'binding/x': { queue: 'q', n: [1, 'é ✓', true] }, epoch: 'e3' });
        (got.get('binding/x') as { queue: string }).queue = 'changed after load';
        assert.deepEqual((await s.loadState()).get('binding/x'), { queue: 'q', n: [1, 'é ✓', true] });
      }));

    it('state records commit atomically with the rest of their batch', () =>
      withStore(async (s) => {
        const bad = batch({ enqueue: [{ queue: '/queue/a', id: 'ghost', seq: 1 }], state: [{ key: 'binding/y', value: 1 }] });
        await assert.rejects(s.commit(bad));
        assert.equal((await s.loadState()).size, 0);
      }));

    it('bodies with arbitrary bytes round trip exactly, whatever the caller then does with its buffers', () =>
      withStore(async (s) => {
        const originals: Uint8Array[] = [
          new Uint8Array(0),
          Uint8Array.from([0, 0, 10, 0]),
          Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x00]), // not UTF-8
          Uint8Array.from({ length: 256 }, (_, i) => i),
          Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) & 0xff),
          ...fc.sample(fc.uint8Array({ maxLength: 2000 }), { numRuns: 20, seed: 7 }),
        ];
        // The caller's bodies: Buffers (as the broker hands over), one a view into a larger chunk.
        const chunk = Buffer.alloc(64);
        chunk.write('hello, view', 8);
        const given = [...originals.map((b) => Buffer.from(b)), chunk.subarray(8, 19)];
        await s.commit(put('/queue/bytes', ...given.map((b, i) => storedMessage(`b${i}`, i + 1, b))));
        for (const b of given) b.fill(0x21); // overwritten once committed: the store must hold its own copy
        chunk.fill(0x21);
        const loaded = new Map((await s.load()).flatMap((q) => q.entries).map((e) => [e.msg.id, e.msg.body]));
        [...originals, Buffer.from('hello, view')].forEach((b, i) => {
          const got = loaded.get(`b${i}`);
          assert.ok(got !== undefined, `b${i} missing`);
          sameBytes(got, b, `b${i}`);
        });
      }));

    if (reopen !== undefined) {
      it('everything survives close and reopen', async () => {
        let s = await makeStore();
        await s.open();
        const [a, b, c, gone] = [storedMessage('a', 3), storedMessage('b', 1, Uint8Array.from([0, 255, 0])), storedMessage('c', 2), storedMessage('gone', 4)];
        try {
          await s.commit(batch({ messages: [a, b, c, gone], enqueue: [ref('/queue/x', a), ref('/queue/x', b), ref('/queue/y', a), ref('/queue/x', c), ref('/queue/y', gone)] }));
          await s.commit(batch({ deliveries: [{ queue: '/queue/x', id: 'a', count: 2 }], remove: [ref('/queue/x', c), ref('/queue/y', gone)], state: [{ key: 'binding/z', value: { d: '/topic/z' } }] }));
          const before = await snapshot(s);
          assert.deepEqual(before, { '/queue/x': [['b', 0], ['a', 2]], '/queue/y': [['a', 0]] });
          await s.close();
          s = await reopen(s);
          await s.open();
          assert.deepEqual(await snapshot(s), before);
          assert.equal(await s.messageCount(), 2);
          assert.deepEqual(Object.fromEntries(await s.loadState()), { 'binding/z': { d: '/topic/z' } });
          const xb = (await s.load()).find((q) => q.queue === '/queue/x')?.entries[0].msg;
          assert.ok(xb !== undefined);
          sameBytes(xb.body, b.body, 'b');
          assert.deepEqual(xb.headers, b.headers);
          // The reopened store goes on: refcounts and order survived too.
          const d = storedMessage('d', 5);
          await s.commit(batch({ messages: [d], enqueue: [ref('/queue/x', d)], remove: [ref('/queue/y', a)] }));
          assert.equal(await s.messageCount(), 3);
          await s.close();
          s = await reopen(s);
          await s.open();
          assert.deepEqual(await snapshot(s), { '/queue/x': [['b', 0], ['a', 2], ['d', 0]] });
          await s.commit(batch({ remove: [ref('/queue/x', a), ref('/queue/x', b), ref('/queue/x', d)] }));
          assert.equal(await s.messageCount(), 0);
        } finally {
          await s.close();
        }
      });
    }
  });
}
