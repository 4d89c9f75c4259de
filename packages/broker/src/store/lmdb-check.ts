/**
 * A check of an LMDB data file made before lmdb opens it. LMDB memory-maps the file
 * and trusts it: a page past the end of a truncated file is a SIGBUS, a damaged page
 * pointer a SIGSEGV, and either kills the broker. LMDB itself only checks the meta
 * pages' magic and version. So this walks, with plain reads, every page LMDB can
 * reach from the newest meta page (both B-trees, the named databases, overflow
 * runs) and checks that each lies inside the file, says in its header that it is
 * the page expected, and holds nodes that stay inside it. The walk reads each tree
 * page once (overflow runs only by their first header), about what `load()` reads.
 *
 * The file may legitimately end before `mm_last_pg`: LMDB does not write pages
 * that a transaction allocated and freed again (mdb.c, "loose" pages). So only
 * reachable pages are held to the file size.
 *
 * Layout (liblmdb 0.9.90 as built by lmdb-js, data version 2, 64-bit page numbers):
 * page header 24 bytes: u64 pgno, u64 txnid, u16 pad, u16 flags, u16 lower, u16 upper
 * (or u32 page count on overflow pages); the meta follows the header of pages 0 and 1.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const PAGEHDRSZ = 24;
const NODESIZE = 8;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const P_KINDS = 0x7f;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const DB_SIZE = 48;
const MAX_DEPTH = 64;

/** The file is not a usable LMDB data file; the message says why, for an operator. */
export class DataFileError extends Error {}

type Tree = 'free' | 'main' | 'data';

interface Meta {
  psize: number;
  roots: number[];
  lastPage: number;
  txnid: number;
}

/** u64 little-endian as a number (page numbers stay far below 2^53); -1 for P_INVALID. */
function u64(b: Buffer, off: number): number {
  const lo = b.readUInt32LE(off);
  const hi = b.readUInt32LE(off + 4);
  return lo === 0xffffffff && hi === 0xffffffff ? -1 : hi * 0x1_0000_0000 + lo;
}

/** Checks `file` (an LMDB `data.mdb`); throws a `DataFileError` saying what is wrong with it. */
export function checkDataFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    new Walker(fd, fstatSync(fd).size).run();
  } finally {
    closeSync(fd);
  }
}

class Walker {
  private pages = 0;
  private psize = 0;
  private seen = new Uint8Array(0);
  private lastPage = 0;

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}

  run(): void {
    const m0 = this.meta(0, 0);
    this.psize = m0.psize;
    if (this.size < 2 * this.psize) throw new DataFileError(`it is truncated: ${this.size} bytes, less than its two ${this.psize}-byte meta pages`);
    const m1 = this.meta(1, this.psize);
    if (m1.psize !== m0.psize) throw new DataFileError('its two meta pages disagree on the page size');
    const meta = m0.txnid >= m1.txnid ? m0 : m1; // as mdb_pick_meta
    this.pages = Math.floor(this.size / this.psize);
    this.lastPage = meta.lastPage;
    this.seen = new Uint8Array(Math.ceil(this.pages / 8));
    this.mark(0);
    this.mark(1);
    this.tree(meta.roots[0], 'free', 'the free list');
    this.tree(meta.roots[1], 'main', 'the main database');
  }

  private read(pgno: number, length: number, what: string): Buffer {
    if (pgno >= this.pages) {
      throw new DataFileError(`it is truncated: ${what} is on page ${pgno}, but the file ends after page ${this.pages - 1}`);
    }
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, pgno * this.psize);
    if (n !== length) throw new DataFileError(`reading page ${pgno} returned ${n} of ${length} bytes`);
    return buf;
  }

  private meta(n: number, offset: number): Meta {
    const need = PAGEHDRSZ + 160;
    if (this.size < offset + need) throw new DataFileError(`it is truncated: ${this.size} bytes, too short for LMDB meta page ${n}`);
    const b = Buffer.alloc(need);
    readSync(this.fd, b, 0, need, offset);
    if (!(b.readUInt16LE(18) & P_META) || b.readUInt32LE(24) !== MDB_MAGIC) throw new DataFileError(`it is not an LMDB data file (meta page ${n} has no LMDB signature)`);
    const version = b.readUInt32LE(28) & 0xffff;
    if (version !== MDB_DATA_VERSION) throw new DataFileError(`it is LMDB data version ${version}; this build reads version ${MDB_DATA_VERSION}`);
    const psize = b.readUInt32LE(48);
    if (psize < 512 || psize > 65536 || (psize & (psize - 1)) !== 0) throw new DataFileError(`meta page ${n} is damaged (page size ${psize})`);
    const base = PAGEHDRSZ + 24; // magic, version, address, mapsize
    return { psize, roots: [u64(b, base + 40), u64(b, base + DB_SIZE + 40)], lastPage: u64(b, base + 2 * DB_SIZE), txnid: u64(b, base + 2 * DB_SIZE + 8) };
  }

  private mark(pgno: number): void {
    const [byte, bit] = [Math.floor(pgno / 8), 1 << pgno % 8];
    if (this.seen[byte] & bit) throw new DataFileError(`it is damaged: page ${pgno} is reached twice`);
    this.seen[byte] |= bit;
  }

  private damaged(pgno: number, what: string, why: string): DataFileError {
    return new DataFileError(`it is damaged: page ${pgno} (${what}) ${why}`);
  }

  private tree(root: number, kind: Tree, what: string): void {
    if (root !== -1) this.page(root, kind, what, 0);
  }

  private page(pgno: number, kind: Tree, what: string, depth: number): void {
    if (depth > MAX_DEPTH) throw this.damaged(pgno, what, 'is deeper than any B-tree');
    if (pgno < 2 || pgno > this.lastPage) throw this.damaged(pgno, what, `is outside the pages in use (2..${this.lastPage})`);
    const p = this.read(pgno, this.psize, what);
    this.mark(pgno);
    if (u64(p, 0) !== pgno) throw this.damaged(pgno, what, `has the header of page 0x${p.readBigUInt64LE(0).toString(16)}`);
    const type = p.readUInt16LE(18) & P_KINDS;
    if (type !== P_BRANCH && type !== P_LEAF) throw this.damaged(pgno, what, `has page flags 0x${type.toString(16)} where a B-tree page belongs`);
    const lower = p.readUInt16LE(20);
    const upper = p.readUInt16LE(22);
    const count = lower >> 1;
    if (count === 0 || lower > upper || PAGEHDRSZ + upper > this.psize) throw this.damaged(pgno, what, `has bad bounds (lower ${lower}, upper ${upper})`);
    for (let i = 0; i < count; i++) {
      const at = PAGEHDRSZ + p.readUInt16LE(PAGEHDRSZ + 2 * i);
      if (at < PAGEHDRSZ + upper || at + NODESIZE > this.psize) throw this.damaged(pgno, what, `has node ${i} outside its free-space bounds`);
      const lo = p.readUInt16LE(at);
      const hi = p.readUInt16LE(at + 2);
      const flags = p.readUInt16LE(at + 4);
      const data = at + NODESIZE + p.readUInt16LE(at + 6);
      if (data > this.psize) throw this.damaged(pgno, what, `has node ${i} with a key past the page end`);
      if (type === P_BRANCH) {
        this.page(lo + hi * 0x10000 + flags * 0x1_0000_0000, kind, what, depth + 1);
        continue;
      }
      const dsize = lo + hi * 0x10000;
      if (flags & F_DUPDATA) throw this.damaged(pgno, what, 'holds duplicate-sorted data, which no Stompbox store has');
      if (flags & F_BIGDATA) {
        if (data + 8 > this.psize) throw this.damaged(pgno, what, `has node ${i} with its overflow pointer past the page end`);
        const first = u64(p, data);
        this.overflow(first, dsize, what);
        if (kind === 'free') this.freeList(this.read(first, PAGEHDRSZ + dsize, what).subarray(PAGEHDRSZ), pgno, what);
      } else if (data + dsize > this.psize) {
        throw this.damaged(pgno, what, `has node ${i} with ${dsize} bytes of data past the page end`);
      } else if (kind === 'free') {
        this.freeList(p.subarray(data, data + dsize), pgno, what);
      }
      if (flags & F_SUBDATA) {
        if (kind !== 'main' || dsize !== DB_SIZE || flags & F_BIGDATA) throw this.damaged(pgno, what, `has a bad database record in node ${i}`);
        const name = p.toString('utf8', at + NODESIZE, data).replace(/\0+$/, ''); // lmdb-js stores names NUL-terminated
        this.tree(u64(p, data + 40), 'data', `database ${JSON.stringify(name)}`);
      }
    }
  }

  /**
   * A free-list record: u64 n, then n entries, each a free page number, or minus a
   * run length followed by the run's first page, or 0 (lmdb-js's liblmdb, midl.c
   * mdb_midl_xmerge). LMDB trusts n and the page numbers when it allocates.
   */
  private freeList(v: Buffer, pgno: number, what: string): void {
    const n = v.length >= 8 ? u64(v, 0) : -1;
    // The record may be longer than its entries (written with MDB_RESERVE, then filled).
    if (v.length % 8 !== 0 || n < 0 || n > v.length / 8 - 1) throw this.damaged(pgno, what, `has a free-list record of ${v.length} bytes counting ${n} entries`);
    for (let i = 1; i <= n; i++) {
      let run = 1;
      const hi = v.readInt32LE(8 * i + 4);
      if (hi < 0 || (hi === 0 && v.readUInt32LE(8 * i) === 0)) {
        run = -Number(v.readBigInt64LE(8 * i));
        if (run === 0) continue;
        if (++i > n) throw this.damaged(pgno, what, 'has a free-list record ending in a run length');
      }
      const first = u64(v, 8 * i);
      if (first < 2 || first + run - 1 > this.lastPage) throw this.damaged(pgno, what, `lists free pages ${first}..${first + run - 1}, outside the pages in use`);
    }
  }

  private overflow(pgno: number, dsize: number, what: string): void {
    const n = Math.floor((PAGEHDRSZ - 1 + dsize) / this.psize) + 1; // OVPAGES
    if (pgno < 2 || pgno + n - 1 > this.lastPage) throw this.damaged(pgno, what, `starts an overflow run outside the pages in use (2..${this.lastPage})`);
    if (pgno + n > this.pages) throw new DataFileError(`it is truncated: ${what} has a value on pages ${pgno}..${pgno + n - 1}, but the file ends after page ${this.pages - 1}`);
    const h = this.read(pgno, PAGEHDRSZ, what);
    if (u64(h, 0) !== pgno || !(h.readUInt16LE(18) & P_OVERFLOW) || h.readUInt32LE(20) !== n) {
      throw this.damaged(pgno, what, `is not the ${n}-page overflow run a value points to`);
    }
    for (let i = 0; i < n; i++) this.mark(pgno + i);
  }
}
