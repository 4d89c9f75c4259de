/**
 * Child process of lmdb.test.ts, for what must not run in the test process:
 *
 *   node lmdb-child.js write DIR    commits batches to the store in DIR for ever, 8 in
 *                                   flight, printing "n" once batch n's commit resolved
 *                                   (the test SIGKILLs it)
 *   node lmdb-child.js damage DIR   for copies of the store in DIR (closed) with bytes
 *                                   overwritten all over: open, load, commit, close;
 *                                   prints one JSON line of outcomes. A copy that
 *                                   crashes LMDB kills this process, not the tests.
 *
 * Batch n of `write`: messages a<n> (queues /q/0 and /q/2) and b<n> (/q/1), and the
 * removal of a<n-3> from /q/2; so after a crash a store holding batches 1..k has
 * a1..ak in /q/0, b1..bk in /q/1, and a<k-2>..ak in /q/2.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StompboxError } from '../../src/errors.js';
import { LmdbStore } from '../../src/store/lmdb.js';
import { emptyBatch, type StoreBatch, type StoredMessage } from '../../src/store/types.js';

const [mode, dir] = process.argv.slice(2);

function message(id: string, seq: number): StoredMessage {
  return { id, seq, destination: '/q/0', headers: ['n', id], body: Buffer.alloc(200, seq & 0xff), expires: 0, timestamp: 1_700_000_000_000 + seq };
}

function crashBatch(n: number): StoreBatch {
  const [a, b] = [message(`a${n}`, 2 * n), message(`b${n}`, 2 * n + 1)];
  const remove = n > 3 ? [{ queue: '/q/2', id: `a${n - 3}`, seq: 2 * (n - 3) }] : [];
  return {
    ...emptyBatch(),
    messages: [a, b],
    enqueue: [{ queue: '/q/0', id: a.id, seq: a.seq }, { queue: '/q/1', id: b.id, seq: b.seq }, { queue: '/q/2', id: a.id, seq: a.seq }],
    remove,
  };
}

async function write(path: string): Promise<void> {
  const store = new LmdbStore({ path });
  await store.open();
  process.stdout.write('ready\n'); // synchronous on a pipe (Linux)
  let next = 1;
  const worker = async (): Promise<never> => {
    for (;;) {
      const n = next++;
      await store.commit(crashBatch(n));
      process.stdout.write(`${n}\n`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function damage(source: string): Promise<void> {
  const original = readFileSync(join(source, 'data.mdb'));
  const psize = original.readUInt32LE(48);
  let seed = 12345;
  const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  const outcomes: Record<string, number> = {};
  const work = mkdtempSync(join(tmpdir(), 'stompbox-lmdb-damage-'));
  try {
    for (let page = 0; page < original.length / psize; page++) {
      for (const at of [0, 16, 24, random(psize - 16), psize - 32]) {
        const bytes = Buffer.from(original);
        for (let i = 0; i < 16; i++) bytes[page * psize + at + i] = random(256);
        const path = join(work, `p${page}-${at}`);
        mkdirSync(path);
        writeFileSync(join(path, 'data.mdb'), bytes);
        const outcome = await tryStore(path);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
}

/** "loaded", or the error code it was refused with; anything but a StompboxError is reported as such. */
async function tryStore(path: string): Promise<string> {
  const store = new LmdbStore({ path });
  try {
    await store.open();
    await store.load();
    await store.commit(crashBatch(1));
    await store.messageCount();
    return 'loaded';
  } catch (err) {
    if (!(err instanceof StompboxError)) console.error(path, (err as Error).stack);
    return err instanceof StompboxError ? err.code : `other: ${(err as Error).message}`;
  } finally {
    await store.close();
  }
}

if (mode === 'write') await write(dir);
else if (mode === 'damage') await damage(dir);
