/**
 * Durable store on LMDB (the `lmdb` package): one environment in a data directory,
 * with the named databases described in lmdb-format.ts (`meta`, `messages`, `refs`,
 * `refsById`, `state`).
 *
 * Commits. Each `commit(batch)` is one lmdb `childTransaction`: lmdb runs the
 * transaction callbacks queued in one event turn in call order inside one LMDB
 * write transaction and commits that once (group commit: one fsync for all of
 * them); a child transaction is aborted alone when its callback throws, so a batch
 * that fails leaves the others of its group intact. Validation (every enqueued id
 * is stored or in the batch) runs first inside the callback, against the state the
 * batches before it left.
 *
 * Sync. The environment is opened with `overlappingSync: false` and sync left on
 * (no `noSync`, no `noMetaSync`). lmdb's README, on `db.put`: "Once the promise
 * resolves, the transaction will have been fully written to the physical storage
 * medium (durable commit ...)". That holds for LMDB's own commit, which fsyncs
 * before it returns. But lmdb turns `overlappingSync` on by default on every OS but
 * Windows (README, "Overlapping Sync Options"): then "the write actions return a
 * promise for when they are committed", the flush comes later and only
 * `db.flushed` tells when (its writer thread begins the transactions with
 * MDB_NOSYNC, src/writer.cpp). With it off, a resolved `commit` is on disk, and a
 * group of commits still costs one fsync. Overlapping sync plus awaiting `flushed`
 * measured no faster here (bench/store-lmdb.mjs, within run-to-run noise), so the
 * plain guarantee wins.
 *
 * Opening. A data file is checked by lmdb-check.ts before lmdb maps it (a truncated
 * or damaged file must not crash the process); then `meta.format` is read without
 * writing anything. A store of an older format this code knows is upgraded in one
 * transaction (format 1 -> 2 only adds the `state` database); any other format is
 * refused, never rewritten.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MessageStore, RecoveredQueue, StateChange, StateValue, StoreBatch, StoredMessage } from './types.js';
import { checkDataFile, DataFileError } from './lmdb-check.js';
import {
  byIdKey, byIdPrefix, decodeCount, decodeMessage, decodeSeq, encodeCount, encodeMessage, encodeSeq, messageKey,
  RecordError, refKey, splitRefKey, STORE_FORMAT,
} from './lmdb-format.js';

export interface LmdbStoreOptions {
  /** Data directory (created if missing); LMDB keeps `data.mdb` and `lock.mdb` in it. */
  path: string;
  /** Initial map size in bytes (lmdb grows it as needed). */
  mapSize?: number;
}

type Bin = Database<Buffer, Buffer>;

interface Dbs {
  root: RootDatabase;
  meta: Database<unknown, string>;
  messages: Bin;
  refs: Bin;
  refsById: Bin;
  state: Database<StateValue, string>;
}

/** A batch encoded up front (bodies copied, keys built), applied inside the write transaction. */
interface Prepared {
  messages: { id: string; key: Buffer; record: Buffer }[];
  enqueue: { id: string; ref: Buffer; byId: Buffer; seq: Buffer }[];
  deliveries: { byId: Buffer; queue: string; id: string; count: Buffer }[];
  remove: { id: string; byId: Buffer; queue: string }[];
  state: StateChange[];
  /** Ids enqueued by the batch (cancelled or not) whose body it does not carry: they must be stored already. */
  mustExist: string[];
}

const DB_NAMES = ['meta', 'messages', 'refs', 'refsById', 'state'];
/** Databases of format 1, the one older format this code upgrades. */
const FORMAT_1_DBS = ['meta', 'messages', 'refs', 'refsById'];

export class LmdbStore implements MessageStore {
  readonly kind = 'lmdb';
  readonly durable = true;
  readonly path: string;
  private readonly mapSize: number | undefined;
  private dbs: Dbs | null = null;
  /** Settles after the last commit called so far (load, count and close wait for it). */
  private last: Promise<unknown> = Promise.resolve();

  constructor(opts: LmdbStoreOptions) {
    this.path = opts.path;
    this.mapSize = opts.mapSize;
  }

  private refuse(why: string): StompboxError {
    return new StompboxError(ErrorCodes.BAD_CONFIG, `data directory ${this.path} ${why}`);
  }

  async open(): Promise<void> {
    if (this.dbs !== null) return;
    const dataFile = join(this.path, 'data.mdb');
    try {
      if (existsSync(dataFile)) checkDataFile(dataFile);
      else mkdirSync(this.path, { recursive: true });
    } catch (err) {
      if (err instanceof DataFileError) throw this.refuse(`holds a data.mdb that is not a usable LMDB store: ${err.message}`);
      throw this.refuse(`cannot be used: ${(err as Error).message}`);
    }
    let root: RootDatabase;
    try {
      // noSubdir: false, or lmdb takes a path with a dot in its last part for a file name.
      root = open({ path: this.path, noSubdir: false, maxDbs: DB_NAMES.length + 2, overlappingSync: false, ...(this.mapSize === undefined ? {} : { mapSize: this.mapSize }) });
    } catch (err) {
      throw this.refuse(`could not be opened as an LMDB store: ${(err as Error).message}`);
    }
    try {
      this.dbs = this.openDbs(root);
    } catch (err) {
      await root.close();
      if (err instanceof StompboxError) throw err;
      throw this.refuse(`could not be read as a Stompbox store: ${(err as Error).message}`);
    }
  }

  private openDbs(root: RootDatabase): Dbs {
    const names = [...root.getKeys()].map(String);
    const fresh = names.length === 0;
    let upgrade = false;
    if (!fresh) {
      if (!names.includes('meta')) throw this.refuse(`holds an LMDB environment that is not a Stompbox store (databases: ${names.join(', ')})`);
      // Read the format before opening anything else: a store of another format is left exactly as it is.
      const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'json', create: false } as DatabaseOptions & { name: string });
      const format = meta.get('format');
      upgrade = format === 1;
      if (format !== STORE_FORMAT && !upgrade) {
        const held = typeof format === 'number' && Number.isInteger(format) && format > 0 ? `store format ${format}` : `an unknown store format (${JSON.stringify(format) ?? 'none'})`;
        throw this.refuse(`holds ${held}; this Stompbox reads formats 1 and ${STORE_FORMAT}`);
      }
      const missing = (upgrade ? FORMAT_1_DBS : DB_NAMES).filter((n) => !names.includes(n));
      if (missing.length > 0) throw this.refuse(`holds a format ${String(format)} store without its ${missing.join(', ')} database(s)`);
    }
    const bin = (name: string): Bin => root.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary' });
    const openAll = (): Dbs => ({
      root, meta: root.openDB<unknown, string>({ name: 'meta', encoding: 'json' }), messages: bin('messages'), refs: bin('refs'), refsById: bin('refsById'),
      state: root.openDB<StateValue, string>({ name: 'state', encoding: 'json' }),
    });
    if (!fresh && !upgrade) return openAll();
    // A new store, or an upgrade: its databases and its format in one transaction, so a crash leaves none of it.
    return root.transactionSync(() => {
      const dbs = openAll();
      dbs.meta.putSync('format', STORE_FORMAT);
      if (upgrade) dbs.meta.putSync('upgradedFrom', 1);
      else dbs.meta.putSync('createdAt', Date.now());
      return dbs;
    });
  }

  private opened(): Dbs {
    if (this.dbs === null) throw new StompboxError(ErrorCodes.STORE_FAILED, `the lmdb store in ${this.path} is not open`);
    return this.dbs;
  }

  commit(batch: StoreBatch): Promise<void> {
    let dbs: Dbs;
    try {
      dbs = this.opened();
    } catch (err) {
      return Promise.reject(storeError(err));
    }
    // Encoded when the write transaction runs, not now: until then the caller may amend
    // the batch (a message acked meanwhile cancels its own write, see types.ts).
    const done = dbs.root.childTransaction(() => {
      batch.sealed = true;
      apply(dbs, prepare(batch));
    }).then(
      () => undefined,
      (err: unknown) => {
        throw storeError(err);
      },
    );
    this.last = done.catch(() => undefined);
    return done;
  }

  async load(): Promise<RecoveredQueue[]> {
    await this.last;
    const { refs, messages } = this.opened();
    const out: RecoveredQueue[] = [];
    const bodies = new Map<string, StoredMessage>();
    let current: RecoveredQueue | undefined;
    let currentBytes = Buffer.alloc(0);
    try {
      // One synchronous scan: a single read snapshot. Keys sort by queue, then seq.
      for (const { key, value } of refs.getRange()) {
        const parts = splitRefKey(key);
        if (current === undefined || !parts.queue.equals(currentBytes)) {
          currentBytes = Buffer.from(parts.queue);
          out.push((current = { queue: parts.queue.toString('utf8'), entries: [] }));
        }
        const id = parts.id.toString('utf8');
        let msg = bodies.get(id);
        if (msg === undefined) {
          const rec = messages.getBinaryFast(messageKey(id)); // not parts.id: a view of lmdb's own key buffer
          if (rec === undefined) throw new RecordError(`queue ${current.queue} references message ${id}, which is not stored`);
          bodies.set(id, (msg = decodeMessage(id, rec)));
        }
        current.entries.push({ msg, deliveries: decodeCount(value) });
      }
    } catch (err) {
      throw this.unreadable(err);
    }
    return out;
  }

  async loadState(): Promise<Map<string, StateValue>> {
    await this.last;
    const { state } = this.opened();
    const out = new Map<string, StateValue>();
    try {
      for (const { key, value } of state.getRange()) out.set(key, value);
    } catch (err) {
      throw this.unreadable(err);
    }
    return out;
  }

  async messageCount(): Promise<number> {
    await this.last;
    const { messages } = this.opened();
    try {
      return (messages.getStats() as { entryCount: number }).entryCount;
    } catch (err) {
      throw this.unreadable(err);
    }
  }

  private unreadable(err: unknown): StompboxError {
    const why = err instanceof RecordError ? 'is damaged' : 'could not be read';
    return new StompboxError(ErrorCodes.STORE_FAILED, `the lmdb store in ${this.path} ${why}: ${(err as Error)?.message ?? String(err)}`);
  }

  async close(): Promise<void> {
    const dbs = this.dbs;
    if (dbs === null) return;
    await this.last;
    this.dbs = null;
    await dbs.root.close();
  }
}

function storeError(err: unknown): StompboxError {
  if (err instanceof StompboxError) return err;
  return new StompboxError(ErrorCodes.STORE_FAILED, `lmdb store commit failed: ${(err as Error)?.message ?? String(err)}`);
}

/**
 * Encodes a batch, leaving out what cancels within it: the enqueue of a reference the
 * batch also removes (with its delivery counts), and a body no remaining enqueue of
 * the batch needs. Bodies named only by enqueues of earlier batches are already stored.
 */
function prepare(b: StoreBatch): Prepared {
  let cancelled: Set<string> | undefined;
  if (b.remove.length > 0 && b.enqueue.length > 0) {
    const enqueued = new Set(b.enqueue.map((r) => r.queue + '\0' + r.id));
    for (const r of b.remove) {
      const k = r.queue + '\0' + r.id;
      if (enqueued.has(k)) (cancelled ??= new Set()).add(k);
    }
  }
  const live = (r: { queue: string; id: string }): boolean => cancelled === undefined || !cancelled.has(r.queue + '\0' + r.id);
  const enqueue = cancelled === undefined ? b.enqueue : b.enqueue.filter(live);
  const needed = cancelled === undefined ? undefined : new Set(enqueue.map((r) => r.id));
  const carried = new Set(b.messages.map((m) => m.id));
  return {
    mustExist: b.enqueue.filter((r) => !carried.has(r.id)).map((r) => r.id),
    messages: (needed === undefined ? b.messages : b.messages.filter((m) => needed.has(m.id))).map((m) => ({ id: m.id, key: messageKey(m.id), record: encodeMessage(m) })),
    enqueue: enqueue.map((r) => ({ id: r.id, ref: refKey(r.queue, r.seq, r.id), byId: byIdKey(r.id, r.queue), seq: encodeSeq(r.seq) })),
    deliveries: (cancelled === undefined ? b.deliveries : b.deliveries.filter(live)).map((d) => ({ byId: byIdKey(d.id, d.queue), queue: d.queue, id: d.id, count: encodeCount(d.count) })),
    // Every remove stays: a reference enqueued again while it already existed (a no-op) is
    // still removed; for a cancelled new one the lookup finds nothing and writes nothing.
    remove: b.remove.map((r) => ({ id: r.id, byId: byIdKey(r.id, r.queue), queue: r.queue })),
    // A copy now: the caller may change its objects before the transaction runs.
    state: b.state.map((c) => ({ key: c.key, value: c.value === null ? null : (JSON.parse(JSON.stringify(c.value)) as StateValue) })),
  };
}

/** Puts unless the key exists; whether it wrote (lmdb returns it; its typings say void). */
function putNew(db: Bin, key: Buffer, value: Buffer): boolean {
  return db.putSync(key, value, { noOverwrite: true }) as unknown as boolean;
}

/** Whether any reference to message `id` is left (the reference count, read off `refsById`). */
function referenced(dbs: Dbs, id: string): boolean {
  const prefix = byIdPrefix(id);
  for (const key of dbs.refsById.getKeys({ start: prefix, limit: 1 })) return prefix.equals(key.subarray(0, prefix.length));
  return false;
}

/**
 * One batch, inside the write transaction (reads see the batches before it). The
 * order of the contract: bodies, enqueues, delivery counts, removes.
 */
function apply(dbs: Dbs, p: Prepared): void {
  const { messages, refs, refsById, state } = dbs;
  for (const id of p.mustExist) {
    if (!messages.doesExist(messageKey(id))) throw new StompboxError(ErrorCodes.STORE_FAILED, `enqueue of unknown message ${id}`);
  }
  const added = new Set(p.messages.map((m) => m.id));
  for (const m of p.messages) putNew(messages, m.key, m.record); // a stored body is kept as it is
  const taken = new Set<string>();
  for (const e of p.enqueue) {
    if (!putNew(refsById, e.byId, e.seq)) continue; // already referenced from this queue
    refs.putSync(e.ref, encodeCount(0));
    taken.add(e.id);
  }
  for (const d of p.deliveries) {
    const seq = refsById.get(d.byId);
    if (seq !== undefined) refs.putSync(refKey(d.queue, decodeSeq(seq), d.id), d.count);
  }
  const emptied = new Set<string>();
  for (const r of p.remove) {
    const seq = refsById.get(r.byId);
    if (seq === undefined) continue;
    refs.removeSync(refKey(r.queue, decodeSeq(seq), r.id));
    refsById.removeSync(r.byId);
    emptied.add(r.id);
  }
  // Bodies whose last reference went, and bodies of this batch no queue took.
  for (const id of new Set([...emptied, ...added])) {
    if ((emptied.has(id) || !taken.has(id)) && !referenced(dbs, id)) messages.removeSync(messageKey(id));
  }
  for (const c of p.state) {
    if (c.value === null) state.removeSync(c.key);
    else state.putSync(c.key, c.value);
  }
}
