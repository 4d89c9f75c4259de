/**
 * The bytes of one turn's topic messages on the cluster bus: one Redis PUBLISH carries
 * them all (one round trip per batch, never per message). Length-prefixed fields, written
 * straight into one buffer: no intermediate object per message, and nothing to parse but
 * what was written here (a library format would add both for a struct this small).
 *
 *   batch   := u8 tagLength, tag (latin1), u32 count, message*
 *   message := str id, str destination, u16 headerCount, (str name, str value)*,
 *              u8 persistent, f64 expires, f64 timestamp, u32 bodyLength, body
 *   str     := u32 byteLength, UTF-8
 */
import { arrivedMessage, type Message } from '../core/message.js';

/** At most the bytes `m` takes (3 UTF-8 bytes per UTF-16 unit): measured without encoding anything. */
function maxSize(m: Message): number {
  let n = 4 + m.id.length * 3 + 4 + m.destination.length * 3 + 2 + 1 + 8 + 8 + 4 + m.body.byteLength;
  for (const h of m.headers) n += 4 + h.length * 3;
  return n;
}

/** Encodes a turn's messages from `tag` (the publishing node) into one buffer, each string encoded once. */
export function encodeBatch(tag: string, msgs: readonly Message[]): Buffer {
  let size = 1 + tag.length + 4;
  for (const m of msgs) size += maxSize(m);
  const b = Buffer.allocUnsafe(size);
  let o = b.writeUInt8(tag.length, 0);
  o += b.write(tag, o, 'latin1');
  o = b.writeUInt32BE(msgs.length, o);
  const str = (s: string) => {
    const n = b.write(s, o + 4, 'utf8');
    b.writeUInt32BE(n, o);
    o += 4 + n;
  };
  for (const m of msgs) {
    str(m.id);
    str(m.destination);
    // --max-headers allows up to 100000 (1000 by default): refuse rather than wrap the count.
    if (m.headers.length > 0x1fffe) throw new Error(`message ${m.id} has more than 65535 headers`);
    o = b.writeUInt16BE(m.headers.length / 2, o);
    for (const h of m.headers) str(h);
    o = b.writeUInt8(m.persistent ? 1 : 0, o);
    o = b.writeDoubleBE(m.expires, o);
    o = b.writeDoubleBE(m.timestamp, o);
    o = b.writeUInt32BE(m.body.byteLength, o);
    b.set(m.body, o);
    o += m.body.byteLength;
  }
  return b.subarray(0, o);
}

/** Decodes a batch; throws on bytes that are not one (the caller drops the batch and logs). */
export function decodeBatch(b: Buffer): { tag: string; messages: Message[] } {
  let o = 0;
  const need = (n: number) => {
    if (o + n > b.length) throw new Error(`bus batch truncated at byte ${o}`);
  };
  need(1);
  const tagLen = b.readUInt8(o++);
  need(tagLen + 4);
  const tag = b.toString('latin1', o, o + tagLen);
  o += tagLen;
  const count = b.readUInt32BE(o);
  o += 4;
  const str = () => {
    need(4);
    const n = b.readUInt32BE(o);
    need(4 + n);
    const s = b.toString('utf8', o + 4, o + 4 + n);
    o += 4 + n;
    return s;
  };
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    const id = str();
    const destination = str();
    need(2);
    const pairs = b.readUInt16BE(o);
    o += 2;
    const headers: string[] = [];
    for (let k = 0; k < pairs * 2; k++) headers.push(str());
    need(1 + 8 + 8 + 4);
    const persistent = b.readUInt8(o) === 1;
    const expires = b.readDoubleBE(o + 1);
    const timestamp = b.readDoubleBE(o + 9);
    const len = b.readUInt32BE(o + 17);
    o += 21;
    need(len);
    // A view into the batch, as a network chunk's: the router copies it if it is kept (message.ts keep()).
    const body = b.subarray(o, o + len);
    o += len;
    messages.push(arrivedMessage(id, destination, headers, body, persistent, expires, timestamp));
  }
  if (o !== b.length) throw new Error(`bus batch has ${b.length - o} bytes past its ${count} messages`);
  return { tag, messages };
}
