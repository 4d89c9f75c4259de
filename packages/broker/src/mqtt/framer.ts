/**
 * Cuts an MQTT byte stream into whole packets (MQTT 3.1.1 §2.2, MQTT 5 §2.1.1):
 *
 *   packet    = fixed-byte remaining-length(1..4 bytes, 7 bits each, high bit = more) body
 *
 * The size of a packet is known from its first 2-5 bytes, so the limit is checked
 * *before* anything of the body is buffered: an oversize packet costs at most 5
 * bytes of memory. A packet lying inside one chunk is handed on as a view of it;
 * only a packet that spans chunks is copied, once, into a buffer of its exact size.
 */
import { ErrorCodes, StompboxError } from '../errors.js';

export class PacketFramer {
  /** The packet being assembled across chunks (exact size), or null. */
  private carry: Buffer | null = null;
  private filled = 0;
  /** Header bytes of a packet whose size is not known yet (at most 5). */
  private head: number[] | null = null;
  maxPacketSize: number;

  constructor(maxPacketSize: number) {
    this.maxPacketSize = maxPacketSize;
  }

  /** Feeds a chunk; calls `onPacket` for each whole packet. Throws on an oversize or malformed header. */
  push(chunk: Buffer, onPacket: (packet: Buffer) => void): void {
    let i = 0;
    const n = chunk.length;
    if (this.head !== null) {
      // Complete the header from this chunk, then continue as if it had arrived whole.
      const head = this.head;
      while (i < n && !headerComplete(head)) head.push(chunk[i++]);
      if (!headerComplete(head)) return;
      const size = this.sizeOf(head, 0, head.length);
      this.head = null;
      const buf = Buffer.allocUnsafe(size);
      for (let k = 0; k < head.length; k++) buf[k] = head[k];
      this.carry = buf;
      this.filled = head.length;
    }
    if (this.carry !== null) {
      const buf = this.carry;
      const take = Math.min(buf.length - this.filled, n - i);
      chunk.copy(buf, this.filled, i, i + take);
      this.filled += take;
      i += take;
      if (this.filled < buf.length) return;
      this.carry = null;
      onPacket(buf);
    }
    while (i < n) {
      // Remaining length: up to 4 bytes after the fixed byte.
      let j = i + 1;
      let len = 0;
      let mul = 1;
      let complete = false;
      for (let k = 0; k < 4 && j < n; k++) {
        const b = chunk[j++];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
        if (k === 3) throw malformedLength();
      }
      if (!complete) {
        this.head = Array.from(chunk.subarray(i, n));
        return;
      }
      const size = j - i + len;
      if (size > this.maxPacketSize) throw tooLarge(size, this.maxPacketSize);
      if (i + size <= n) {
        onPacket(chunk.subarray(i, i + size));
        i += size;
        continue;
      }
      const buf = Buffer.allocUnsafe(size);
      chunk.copy(buf, 0, i, n);
      this.carry = buf;
      this.filled = n - i;
      return;
    }
  }

  private sizeOf(b: number[], from: number, to: number): number {
    let len = 0;
    let mul = 1;
    for (let k = from + 1; k < to; k++) {
      len += (b[k] & 0x7f) * mul;
      mul *= 128;
    }
    const size = to - from + len;
    if (size > this.maxPacketSize) throw tooLarge(size, this.maxPacketSize);
    return size;
  }
}

/** A header is complete once a length byte without the continuation bit follows the fixed byte. */
function headerComplete(head: number[]): boolean {
  if (head.length < 2) return false;
  if ((head[head.length - 1] & 0x80) === 0) return true;
  if (head.length === 5) throw malformedLength();
  return false;
}

function malformedLength(): StompboxError {
  return new StompboxError(ErrorCodes.MQTT_MALFORMED_PACKET, 'malformed remaining length (more than 4 bytes) [MQTT-1.5.5-1]');
}

function tooLarge(size: number, max: number): StompboxError {
  return new StompboxError(ErrorCodes.MQTT_PACKET_TOO_LARGE, `packet of ${size} bytes exceeds the maximum packet size ${max}`);
}
