// Hand-built MQTT 3.1.1 packets for the load generator (no codec in the hot loop),
// and an incremental packet reader that hands over (type, flags, buf, start, end)
// views without allocating, copying only a packet that spans chunks.
import { BODY_LEN } from './stats.mjs';

function varint(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function str(s) {
  const b = Buffer.from(s, 'utf8');
  return [b.length >> 8, b.length & 0xff, ...b];
}

/** CONNECT, MQTT 3.1.1, keep-alive 0; a clean session unless `clean` is false (a kept session). */
export function connectPacket(clientId, clean = true) {
  const body = [...str('MQTT'), 4, clean ? 0x02 : 0x00, 0, 0, ...str(clientId)];
  return Buffer.from([0x10, ...varint(body.length), ...body]);
}

export function subscribePacket(packetId, topic, qos) {
  const body = [packetId >> 8, packetId & 0xff, ...str(topic), qos];
  return Buffer.from([0x82, ...varint(body.length), ...body]);
}

/**
 * The bytes of a PUBLISH before its 100-byte body: fixed header, topic, and (QoS 1)
 * two bytes for the packet id, which the caller writes at `idAt`.
 */
export function publishPrefix(topic, qos) {
  const t = str(topic);
  const remaining = t.length + (qos > 0 ? 2 : 0) + BODY_LEN;
  const head = [0x30 | (qos << 1), ...varint(remaining), ...t];
  const idAt = head.length;
  if (qos > 0) head.push(0, 0);
  return { prefix: Buffer.from(head), idAt, length: head.length + BODY_LEN };
}

export function pubackPacket(packetId) {
  return Buffer.from([0x40, 2, packetId >> 8, packetId & 0xff]);
}

export const DISCONNECT = Buffer.from([0xe0, 0]);

/** Incremental reader: onPacket(type, flags, buf, start, end) with end exclusive, body only. */
export class PacketReader {
  constructor(onPacket) {
    this.onPacket = onPacket;
    this.carry = null;
  }

  push(chunk) {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (i + 2 > n) break;
      let j = i + 1;
      let len = 0;
      let mul = 1;
      let done = false;
      while (j < n && j < i + 5) {
        const b = buf[j++];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) { done = true; break; }
      }
      if (!done) break;
      if (j + len > n) break;
      this.onPacket(buf[i] >> 4, buf[i] & 0x0f, buf, j, j + len);
      i = j + len;
    }
    if (i < n) this.carry = Buffer.from(buf.subarray(i));
  }
}
