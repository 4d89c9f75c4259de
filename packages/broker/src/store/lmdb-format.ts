/**
 * The bytes of the LMDB store, format 2 (`meta.format`). Every key and value the
 * store writes is built here, so a change to any of them is a change of format:
 * bump `STORE_FORMAT`, and keep the golden files of test/store/golden/ for the old one.
 *
 * Databases (one LMDB environment, integers big-endian):
 * - `meta`: JSON values; `format` -> 2, `createdAt` -> epoch ms (or `upgradedFrom` -> 1).
 * - `messages`: utf8(id) -> record:
 *     u32 CRC-32 of everything after it | f64 seq | f64 expires | f64 timestamp |
 *     u32 n | destination (n bytes utf8) | u32 header count |
 *     per header string: u32 n | n bytes utf8 | body (the rest, raw bytes).
 *   LMDB has no checksums of its own; the CRC turns a damaged record into an error
 *   at `load()` instead of a message with wrong bytes.
 * - `refs`: u16 n | queue (n bytes) | seq (8 bytes, ordered) | id -> u32 delivery count.
 *   Keys sort by queue, then seq, so one scan returns every queue in enqueue order;
 *   the id in the key keeps two references with the same seq apart.
 * - `refsById`: u16 n | id (n bytes) | queue -> seq (8 bytes, ordered): the same
 *   references by id. It finds a reference from (queue, id), which is all a
 *   removal or a delivery count names, and it is the reference count: a body is
 *   deleted when no key with its id prefix is left.
 * - `state` (format 2; format 1 is this layout without it): utf8 key -> JSON value,
 *   small records owned by the broker's components (durable subscriptions ...).
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { StoredMessage } from './types.js';

export const STORE_FORMAT = 2;

// zlib.crc32 is Node >= 20.15; the table version keeps older Node 20 releases working.
let table: Int32Array | undefined;
function tableCrc32(data: Uint8Array): number {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
const crc32: (data: Uint8Array) => number = typeof zlibCrc32 === 'function' ? (d) => zlibCrc32(d) : tableCrc32;

/** A record that does not decode: the store refuses it rather than return other bytes. */
export class RecordError extends Error {}

/** seq as 8 bytes that sort like the numbers: IEEE 754 big-endian, sign flipped (negative: all bits). */
function putSeq(buf: Buffer, off: number, seq: number): void {
  buf.writeDoubleBE(seq, off);
  if (buf[off] & 0x80) for (let i = off; i < off + 8; i++) buf[i] ^= 0xff;
  else buf[off] |= 0x80;
}

function getSeq(buf: Uint8Array, off: number): number {
  const b = Buffer.from(buf.subarray(off, off + 8));
  if (b[0] & 0x80) b[0] &= 0x7f;
  else for (let i = 0; i < 8; i++) b[i] ^= 0xff;
  return b.readDoubleBE(0);
}

export function messageKey(id: string): Buffer {
  return Buffer.from(id, 'utf8');
}

export function refKey(queue: string, seq: number, id: string): Buffer {
  const q = Buffer.from(queue, 'utf8');
  const i = Buffer.from(id, 'utf8');
  if (q.length > 0xffff) throw new RecordError(`queue name of ${q.length} bytes`);
  const key = Buffer.allocUnsafe(2 + q.length + 8 + i.length);
  key.writeUInt16BE(q.length, 0);
  q.copy(key, 2);
  putSeq(key, 2 + q.length, seq);
  i.copy(key, 10 + q.length);
  return key;
}

/** The queue and id bytes of a refs key (views into it). */
export function splitRefKey(key: Buffer): { queue: Buffer; id: Buffer } {
  const n = key.length >= 2 ? key.readUInt16BE(0) : -1;
  if (n < 0 || key.length < 2 + n + 8) throw new RecordError(`a refs key of ${key.length} bytes is too short`);
  return { queue: key.subarray(2, 2 + n), id: key.subarray(10 + n) };
}

/** The `refsById` key prefix of one message: every reference to it starts with these bytes. */
export function byIdPrefix(id: string): Buffer {
  const i = Buffer.from(id, 'utf8');
  if (i.length > 0xffff) throw new RecordError(`message id of ${i.length} bytes`);
  const key = Buffer.allocUnsafe(2 + i.length);
  key.writeUInt16BE(i.length, 0);
  i.copy(key, 2);
  return key;
}

export function byIdKey(id: string, queue: string): Buffer {
  return Buffer.concat([byIdPrefix(id), Buffer.from(queue, 'utf8')]);
}

export function encodeSeq(seq: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  putSeq(b, 0, seq);
  return b;
}

export function decodeSeq(value: Uint8Array): number {
  if (value.length !== 8) throw new RecordError(`a refsById value of ${value.length} bytes`);
  return getSeq(value, 0);
}

export function encodeCount(count: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(Math.max(0, Math.min(count, 0xffffffff)) >>> 0, 0);
  return b;
}

export function decodeCount(value: Uint8Array): number {
  if (value.length !== 4) throw new RecordError(`a refs value of ${value.length} bytes`);
  return ((value[0] << 24) | (value[1] << 16) | (value[2] << 8) | value[3]) >>> 0;
}

/** The record of a message; it copies the body, so the caller may reuse its buffer at once. */
export function encodeMessage(m: StoredMessage): Buffer {
  const destination = Buffer.from(m.destination, 'utf8');
  const headers = m.headers.map((h) => Buffer.from(h, 'utf8'));
  const size = 28 + 4 + destination.length + 4 + headers.reduce((n, h) => n + 4 + h.length, 0) + m.body.length;
  const rec = Buffer.allocUnsafe(size);
  rec.writeDoubleBE(m.seq, 4);
  rec.writeDoubleBE(m.expires, 12);
  rec.writeDoubleBE(m.timestamp, 20);
  let off = 28;
  const put = (s: Buffer): void => {
    off = rec.writeUInt32BE(s.length, off);
    off += s.copy(rec, off);
  };
  put(destination);
  off = rec.writeUInt32BE(headers.length, off);
  headers.forEach(put);
  rec.set(m.body, off);
  rec.writeUInt32BE(crc32(rec.subarray(4)), 0);
  return rec;
}

/**
 * Decodes a record, which may be lmdb's reused read buffer (`getBinaryFast`): nothing
 * returned points into it, and its size is its `length`, which lmdb sets on the
 * buffer, not its `byteLength` (the whole buffer).
 */
export function decodeMessage(id: string, record: Uint8Array): StoredMessage {
  const rec = Buffer.from(record.buffer, record.byteOffset, record.length);
  const short = (): RecordError => new RecordError(`the record of message ${id} is cut short`);
  if (rec.length < 36) throw new RecordError(`the record of message ${id} is ${rec.length} bytes, too short`);
  if (rec.readUInt32BE(0) !== crc32(rec.subarray(4))) throw new RecordError(`the record of message ${id} fails its checksum`);
  let off = 28;
  const str = (): string => {
    if (off + 4 > rec.length) throw short();
    const n = rec.readUInt32BE(off);
    if (off + 4 + n > rec.length) throw short();
    off += 4 + n;
    return rec.toString('utf8', off - n, off);
  };
  const destination = str();
  if (off + 4 > rec.length) throw short();
  const count = rec.readUInt32BE(off);
  off += 4;
  if (count > rec.length - off) throw new RecordError(`the record of message ${id} claims ${count} headers`);
  const headers: string[] = [];
  for (let i = 0; i < count; i++) headers.push(str());
  return {
    id,
    seq: rec.readDoubleBE(4),
    destination,
    headers,
    body: new Uint8Array(rec.subarray(off)), // a copy, never a view of lmdb's buffer
    expires: rec.readDoubleBE(12),
    timestamp: rec.readDoubleBE(20),
  };
}
