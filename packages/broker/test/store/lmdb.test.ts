import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { ErrorCodes, StompboxError } from '../../src/errors.js';
import { LmdbStore } from '../../src/store/lmdb.js';
import type { MessageStore } from '../../src/store/types.js';
import { batch, runStoreConformance, snapshot, storedMessage } from './conformance.js';

const dirs: string[] = [];
const fresh = (): string => {
  dirs.push(mkdtempSync(join(tmpdir(), 'stompbox-lmdb-')));
  return dirs[dirs.length - 1];
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const child = fileURLToPath(new URL('./lmdb-child.js', import.meta.url));
// The golden files stay in the source tree (dist/test/store -> test/store/golden).
const golden = fileURLToPath(new URL('../../../test/store/golden/', import.meta.url));

runStoreConformance('lmdb', async () => new LmdbStore({ path: fresh() }), async (old) => new LmdbStore({ path: (old as LmdbStore).path }));

/** Opens a store (and loads it, as the broker does at start-up); closes it whatever happens. */
async function openAndLoad(path: string): Promise<Awaited<ReturnType<MessageStore['load']>>> {
  const store = new LmdbStore({ path });
  try {
    await store.open();
    return await store.load();
  } finally {
    await store.close();
  }
}

/** A StompboxError with this code whose message matches. */
function refusal(code: string, message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof StompboxError, `not a StompboxError: ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

/** Writes meta.format (or removes it) in a closed store, with lmdb directly. */
async function setFormat(path: string, format: unknown): Promise<void> {
  const root = open({ path, noSubdir: false, maxDbs: 8, overlappingSync: false });
  const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'json' });
  if (format === undefined) await meta.remove('format');
  else await meta.put('format', format);
  await root.close();
}

async function newStore(): Promise<string> {
  const path = fresh();
  const s = new LmdbStore({ path });
  await s.open();
  await s.commit(batch({ messages: [storedMessage('m', 1)], enqueue: [{ queue: '/queue/a', id: 'm', seq: 1 }] }));
  await s.close();
  return path;
}

describe('lmdb store: format version', () => {
  it('a new store records format 2 and when it was created', async () => {
    const path = await newStore();
    const root = open({ path, noSubdir: false, maxDbs: 8, overlappingSync: false });
    const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'json' });
    assert.equal(meta.get('format'), 2);
    assert.ok(Math.abs((meta.get('createdAt') as number) - Date.now()) < 60_000);
    await root.close();
  });

  it('a store of a newer format is refused and left byte for byte as it was', async () => {
    const path = await newStore();
    await setFormat(path, 7);
    const before = readFileSync(join(path, 'data.mdb'));
    await assert.rejects(openAndLoad(path), refusal(ErrorCodes.BAD_CONFIG, new RegExp(`^data directory ${path} holds store format 7; this Stompbox reads formats 1 and 2$`)));
    assert.ok(readFileSync(join(path, 'data.mdb')).equals(before), 'data.mdb was written to');
  });

  for (const [label, format] of [['a string', 'one'], ['0', 0], ['a fraction', 1.5], ['missing', undefined]] as const) {
    it(`a store whose format is ${label} is refused as an unknown format`, async () => {
      const path = await newStore();
      await setFormat(path, format);
      await assert.rejects(openAndLoad(path), refusal(ErrorCodes.BAD_CONFIG, /holds an unknown store format \(.*\); this Stompbox reads formats 1 and 2$/));
    });
  }

  it('an LMDB environment that is not a Stompbox store is refused, not taken over', async () => {
    const path = fresh();
    const root = open({ path, noSubdir: false, maxDbs: 8, overlappingSync: false });
    await root.openDB({ name: 'users' }).put('alice', 1);
    await root.close();
    await assert.rejects(openAndLoad(path), refusal(ErrorCodes.BAD_CONFIG, /not a Stompbox store \(databases: users\)/));
  });
});

describe('lmdb store: golden files and damaged data files', () => {
  /** A copy of golden/<name> in a temp dir: opening writes lock.mdb, and a test must not change the fixture. */
  const copy = (name: string): string => {
    const path = fresh();
    cpSync(join(golden, name), path, { recursive: true });
    return path;
  };

  it('the golden format-2 store loads its messages and state records', async () => {
    const s = new LmdbStore({ path: copy('valid-format-2') });
    await s.open();
    assert.deepEqual(await snapshot(s), { '/queue/orders': [['g1', 0]], '/topic/news': [['g2', 0]] });
    assert.deepEqual(Object.fromEntries(await s.loadState()), {
      'binding/durable/c1/news': { queue: 'durable/c1/news', destination: '/topic/news.#', selector: "kind = 'a'" },
      epoch: 'e1',
    });
    await s.close();
  });

  it('the golden format-1 store is upgraded to format 2 in place and loads the messages it was written with', async () => {
    const path = copy('valid');
    const queues = await openAndLoad(path);
    const root = open({ path, noSubdir: false, maxDbs: 8, overlappingSync: false });
    const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'json' });
    assert.equal(meta.get('format'), 2);
    assert.equal(meta.get('upgradedFrom'), 1);
    await root.close();
    const s = new LmdbStore({ path });
    await s.open();
    assert.deepEqual(await snapshot(s), {
      '/queue/audit': [['g1', 0], ['g5', 0]],
      '/queue/big': [['g3', 0]],
      '/queue/orders': [['g1', 2], ['g2', 0]],
    });
    assert.equal(await s.messageCount(), 4, 'g4 was acked: its body is gone');
    assert.equal((await s.loadState()).size, 0);
    await s.close();
    const byId = new Map(queues.flatMap((q) => q.entries).map((e) => [e.msg.id, e.msg]));
    assert.deepEqual({ ...byId.get('g1'), body: undefined }, {
      id: 'g1', seq: 1, destination: '/queue/orders', headers: ['content-type', 'text/plain', 'é ✓', 'a:b'], body: undefined, expires: 0, timestamp: 1_700_000_000_001,
    });
    assert.equal(Buffer.from(byId.get('g1')?.body ?? []).toString(), 'first order');
    assert.deepEqual([...(byId.get('g2')?.body ?? [])], [0, 255, 0, 10, 13, 0xc3, 0x28]);
    assert.equal(byId.get('g2')?.expires, 1_900_000_000_000);
    assert.deepEqual([...(byId.get('g3')?.body ?? [])], Array.from({ length: 6000 }, (_, i) => (i * 31) & 0xff));
    assert.deepEqual(byId.get('g5')?.headers, ['k', 'v']);
  });

  it('the truncated copy is refused when opened, saying it is truncated', async () => {
    await assert.rejects(openAndLoad(copy('truncated')), refusal(ErrorCodes.BAD_CONFIG, /data\.mdb that is not a usable LMDB store: it is truncated: .* on page \d+, but the file ends after page 2/));
  });

  it('the corrupt copy (a page header overwritten) is refused when opened, saying which page', async () => {
    await assert.rejects(openAndLoad(copy('corrupt')), refusal(ErrorCodes.BAD_CONFIG, /it is damaged: page \d+ \(database "messages"\) has the header of page 0xa5a5a5a5a5a5a5a5/));
  });

  it('a body overwritten in place (LMDB cannot tell) fails its record checksum on load', async () => {
    const path = copy('valid');
    const data = readFileSync(join(path, 'data.mdb'));
    data.write('GOLDEN', data.indexOf('golden body g5'));
    writeFileSync(join(path, 'data.mdb'), data);
    await assert.rejects(openAndLoad(path), refusal(ErrorCodes.STORE_FAILED, /is damaged: the record of message g5 fails its checksum/));
  });

  for (const [label, bytes, why] of [
    ['empty', Buffer.alloc(0), /it is truncated: 0 bytes/],
    ['a text file', Buffer.from('not a database\n'.repeat(400)), /it is not an LMDB data file/],
    ['zeros', Buffer.alloc(16384), /it is not an LMDB data file/],
  ] as const) {
    it(`a data.mdb that is ${label} is refused`, async () => {
      const path = fresh();
      writeFileSync(join(path, 'data.mdb'), bytes);
      await assert.rejects(openAndLoad(path), refusal(ErrorCodes.BAD_CONFIG, why));
      assert.ok(readFileSync(join(path, 'data.mdb')).equals(bytes), 'data.mdb was written to');
    });
  }

  it('a data directory that is a file is refused', async () => {
    const path = join(fresh(), 'file');
    writeFileSync(path, 'x');
    await assert.rejects(openAndLoad(path), refusal(ErrorCodes.BAD_CONFIG, /^data directory .*file cannot be used/));
  });

  it('bytes overwritten anywhere in the golden store never crash the process: loaded or refused', () => {
    // Five spots of every page, 16 random bytes each, in a child process: a crash there fails this test.
    const r = spawnSync(process.execPath, [child, 'damage', join(golden, 'valid')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const outcomes = JSON.parse(r.stdout) as Record<string, number>;
    const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
    assert.equal(total, 5 * (readFileSync(join(golden, 'valid', 'data.mdb')).length / 4096));
    assert.deepEqual(Object.keys(outcomes).filter((k) => !['loaded', ErrorCodes.BAD_CONFIG, ErrorCodes.STORE_FAILED].includes(k)), [], JSON.stringify(outcomes));
    assert.ok(outcomes[ErrorCodes.BAD_CONFIG] > 0 && outcomes.loaded > 0, JSON.stringify(outcomes));
  });
});

describe('lmdb store: commits', () => {
  it('commits of one turn share a write transaction (group commit)', async () => {
    const path = await newStore();
    const lastTxn = async (): Promise<number> => {
      const root = open({ path, noSubdir: false, maxDbs: 8, overlappingSync: false });
      const id = (root.getStats() as { lastTxnId: number }).lastTxnId;
      await root.close();
      return id;
    };
    const before = await lastTxn();
    const s = new LmdbStore({ path });
    await s.open();
    const ms = Array.from({ length: 50 }, (_, i) => storedMessage(`g${i}`, 10 + i));
    await Promise.all(ms.map((m) => s.commit(batch({ messages: [m], enqueue: [{ queue: '/queue/g', id: m.id, seq: m.seq }] }))));
    assert.equal((await snapshot(s))['/queue/g'].length, 50);
    await s.close();
    const txns = (await lastTxn()) - before;
    assert.ok(txns >= 1 && txns <= 2, `50 commits took ${txns} write transactions`);
  });

  it('a batch that fails inside the transaction is undone alone; the others of its turn commit', async () => {
    const s = new LmdbStore({ path: fresh() });
    await s.open();
    try {
      const [a, b, c] = [storedMessage('a', 1), storedMessage('b', 2), storedMessage('c', 3)];
      const huge = storedMessage('x'.repeat(4000), 4); // its key is longer than LMDB allows: the put throws after b's
      const ref = (m: typeof a) => ({ queue: '/queue/q', id: m.id, seq: m.seq });
      const results = await Promise.allSettled([
        s.commit(batch({ messages: [a], enqueue: [ref(a)] })),
        s.commit(batch({ messages: [b, huge], enqueue: [ref(b), ref(huge)], remove: [ref(a)] })),
        s.commit(batch({ messages: [c], enqueue: [ref(c)] })),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.ok(results[1].status === 'rejected' && results[1].reason instanceof StompboxError && results[1].reason.code === ErrorCodes.STORE_FAILED);
      assert.deepEqual(await snapshot(s), { '/queue/q': [['a', 0], ['c', 0]] });
      assert.equal(await s.messageCount(), 2);
    } finally {
      await s.close();
    }
  });
});

describe('lmdb store: durability', () => {
  /** Runs the writer child, SIGKILLs it `delay` ms after it is ready; returns the batches it printed. */
  function killWriter(path: string, delay: number): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [child, 'write', path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (out === '' && d.startsWith('ready\n')) setTimeout(() => proc.kill('SIGKILL'), delay);
        out += d;
      });
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      proc.on('error', reject);
      proc.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') return reject(new Error(`writer exited with ${code ?? signal}: ${err}`));
        // A line cut short by the kill is not a printed batch.
        resolve(out.split('\n').slice(1, -1).map(Number));
      });
    });
  }

  for (let run = 1; run <= 3; run++) {
    it(`a writer SIGKILLed mid-stream loses no resolved batch and keeps call order (run ${run})`, async () => {
      const path = fresh();
      const delay = 50 + Math.floor(Math.random() * 350);
      const printed = await killWriter(path, delay);
      assert.ok(printed.length > 0, `nothing committed in ${delay} ms`);
      const queues = Object.fromEntries((await openAndLoad(path)).map((q) => [q.queue, q.entries.map((e) => e.msg.id)]));
      // Batches are atomic and applied in call order: the store holds batches 1..k, k >= every printed one.
      const k = (queues['/q/1'] ?? []).length;
      assert.ok(k >= Math.max(...printed), `killed after ${delay} ms: batch ${Math.max(...printed)} was resolved, the store holds 1..${k}`);
      const range = (from: number, p: string) => Array.from({ length: k - from + 1 }, (_, i) => `${p}${from + i}`);
      assert.deepEqual(queues['/q/1'], range(1, 'b'));
      assert.deepEqual(queues['/q/0'], range(1, 'a'));
      assert.deepEqual(queues['/q/2'], range(Math.max(1, k - 2), 'a'));
    });
  }
});
