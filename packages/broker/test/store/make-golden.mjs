#!/usr/bin/env node
// Writes the golden LMDB stores of test/store/golden/, from the compiled store:
//
//   npx tsc -b packages/broker && node packages/broker/test/store/make-golden.mjs [--force]
//
// valid-format-2/  the store below plus state records, as format 2 writes it (made by
//                  the format-2 code: this script writes it when it is missing)
//
// The rest was written by the format-1 code and is kept as that code left it:
// valid/     a small format-1 store; lmdb.test.ts checks it loads exactly what is below
// truncated/ valid/data.mdb cut to its first 3 pages
// corrupt/   valid/data.mdb with the first 64 bytes (header and node pointers) of the
//            page holding message g5 overwritten
//
// Only data.mdb is kept (lock.mdb is recreated on open). These files stand for stores
// already on disk: the script will not replace them unless given --force.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LmdbStore } from '../../dist/src/store/lmdb.js';

const golden = fileURLToPath(new URL('./golden/', import.meta.url));
const enc = new TextEncoder();
const msg = (id, seq, destination, headers, body, expires = 0) => ({
  id, seq, destination, headers, body: typeof body === 'string' ? enc.encode(body) : body, expires, timestamp: 1_700_000_000_000 + seq,
});
const ref = (queue, m) => ({ queue, id: m.id, seq: m.seq });
const batch = (b) => ({ messages: [], enqueue: [], remove: [], deliveries: [], state: [], ...b });

const g1 = msg('g1', 1, '/queue/orders', ['content-type', 'text/plain', 'é ✓', 'a:b'], 'first order');
const g2 = msg('g2', 2, '/queue/orders', [], Uint8Array.from([0, 255, 0, 10, 13, 0xc3, 0x28]), 1_900_000_000_000);
const g3 = msg('g3', 3, '/queue/big', ['x', 'y'], Uint8Array.from({ length: 6000 }, (_, i) => (i * 31) & 0xff)); // overflow pages
const g4 = msg('g4', 4, '/queue/orders', [], 'acked, so gone');
const g5 = msg('g5', 5, '/queue/audit', ['k', 'v'], 'golden body g5');

const v2 = join(golden, 'valid-format-2');
if (!existsSync(v2)) {
  const s2 = new LmdbStore({ path: v2 });
  await s2.open();
  await s2.commit(batch({ messages: [g1, g2], enqueue: [ref('/queue/orders', g1), ref('/topic/news', g2)] }));
  await s2.commit(batch({ state: [
    { key: 'binding/durable/c1/news', value: { queue: 'durable/c1/news', destination: '/topic/news.#', selector: "kind = 'a'" } },
    { key: 'epoch', value: 'e1' },
  ] }));
  await s2.close();
  rmSync(join(v2, 'lock.mdb'));
  console.log(`valid-format-2/data.mdb: ${statSync(join(v2, 'data.mdb')).size} bytes`);
}

if (existsSync(join(golden, 'valid')) && !process.argv.includes('--force')) {
  console.error(`${golden} exists; the golden files stand for stores already written (use --force to replace them)`);
  process.exit(1);
}
for (const name of ['valid', 'truncated', 'corrupt']) rmSync(join(golden, name), { recursive: true, force: true });
const valid = join(golden, 'valid');
const store = new LmdbStore({ path: valid });
await store.open();
await store.commit(batch({ messages: [g1, g2], enqueue: [ref('/queue/orders', g1), ref('/queue/audit', g1), ref('/queue/orders', g2)] }));
await store.commit(batch({ messages: [g3, g4], enqueue: [ref('/queue/big', g3), ref('/queue/orders', g4)] }));
await store.commit(batch({ deliveries: [{ queue: '/queue/orders', id: 'g1', count: 2 }], remove: [ref('/queue/orders', g4)] }));
await store.commit(batch({ messages: [g5], enqueue: [ref('/queue/audit', g5)] }));
await store.close();
rmSync(join(valid, 'lock.mdb'));

const data = readFileSync(join(valid, 'data.mdb'));
const psize = data.readUInt32LE(48); // mm_dbs[FREE_DBI].md_pad, the page size
for (const name of ['truncated', 'corrupt']) mkdirSync(join(golden, name));
copyFileSync(join(valid, 'data.mdb'), join(golden, 'truncated', 'data.mdb'));
truncateSync(join(golden, 'truncated', 'data.mdb'), 3 * psize);
const at = data.indexOf('golden body g5');
if (at < 0) throw new Error('body of g5 not found in data.mdb');
const page = Math.floor(at / psize);
const corrupt = Buffer.from(data);
corrupt.fill(0xa5, page * psize, page * psize + 64);
writeFileSync(join(golden, 'corrupt', 'data.mdb'), corrupt);

for (const name of ['valid', 'truncated', 'corrupt']) {
  console.log(`${name}/data.mdb: ${statSync(join(golden, name, 'data.mdb')).size} bytes`);
}
console.log(`corrupt: page ${page} (of ${data.length / psize}) overwritten`);
