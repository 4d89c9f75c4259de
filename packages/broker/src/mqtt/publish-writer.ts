/**
 * Outgoing PUBLISH packets, the hot path, written straight into the connection's
 * outbox (MQTT 3.1.1 §3.3, MQTT 5 §3.3):
 *
 *   0x30|dup<<3|qos<<1|retain  remaining-length  topic(u16+UTF-8)  [packet id]  [v5: props-length props]  payload
 *
 * What is the same for every delivery of a message (topic bytes, its QoS, its MQTT 5
 * properties) is encoded once and cached on the message beside the STOMP writer's
 * encodings (`msg.enc` is one object shared by the protocol writers, each with its
 * own keys). When one publish fans out to many QoS 0 subscribers, the whole packet,
 * WebSocket frame header included, is built once and the same bytes are copied to
 * each. Per-delivery parts (packet id, DUP, subscription identifiers, the remaining
 * expiry) are written in place, never as a new buffer.
 */
import type { Message } from '../core/message.js';
import type { Outbox } from '../listeners/outbox.js';
import { wsHeaderLength, writeWsHeader } from '../listeners/ws-frame.js';
import { QOS_HEADER, RETAIN_HEADER, staticProperties, varintLength } from './properties.js';
import { destinationToTopic } from './topic-map.js';

export interface MqttEncoding {
  /** u16 length + UTF-8 topic name. */
  readonly topic: Buffer;
  /** The QoS it was published with (STOMP: 1 when persistent, else 0). */
  readonly qos: number;
  /** Published with RETAIN (for Retain As Published). */
  readonly retain: boolean;
  /** A copy handed out as a retained message at subscription time: RETAIN is set on delivery. */
  readonly retainedCopy: boolean;
  /** MQTT 5 property bytes shared by every delivery (built on the first MQTT 5 delivery). */
  props: Buffer | null;
  /** Whole QoS 0 packets for fan-out, by (v5 | retain << 1 | ws << 2). */
  frames: (Buffer | null)[] | null;
}

interface SharedEncodings {
  mqtt?: MqttEncoding;
  retainedCopy?: boolean;
}

/** The message's MQTT encoding, built on first use. */
export function mqttEncoding(msg: Message): MqttEncoding {
  let all = msg.enc as SharedEncodings | undefined;
  if (all === undefined) msg.enc = all = {};
  let e = all.mqtt;
  if (e === undefined) {
    const topic = topicBytes(msg.destination);
    let qos = msg.persistent ? 1 : 0;
    let retain = false;
    const h = msg.headers;
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] === QOS_HEADER && msg.persistent && h[i + 1] === '2') qos = 2;
      else if (h[i] === RETAIN_HEADER) retain = h[i + 1] === 'true';
    }
    e = all.mqtt = { topic, qos, retain, retainedCopy: all.retainedCopy === true, props: null, frames: null };
  }
  return e;
}

/** u16 length + UTF-8 topic name of a destination, shared by all its messages (bounded cache). */
const topicCache = new Map<string, Buffer>();
function topicBytes(dest: string): Buffer {
  let t = topicCache.get(dest);
  if (t === undefined) {
    const name = Buffer.from(destinationToTopic(dest), 'utf8');
    t = Buffer.allocUnsafe(2 + name.length);
    t.writeUInt16BE(name.length, 0);
    name.copy(t, 2);
    if (topicCache.size >= 10_000) topicCache.clear();
    topicCache.set(dest, t);
  }
  return t;
}

/** A copy of a retained message to hand to a new subscriber (delivered with RETAIN set). */
export function retainedCopy(msg: Message): Message {
  return { ...msg, enc: { retainedCopy: true } };
}

export interface Delivery {
  qos: number;
  packetId: number;
  dup: boolean;
  retain: boolean;
  /** MQTT 5 subscription identifiers (0 = none). */
  subId: number;
  /** More identifiers when several subscriptions of the session matched. */
  subIds: number[] | null;
}

/**
 * Writes one PUBLISH. Returns false, writing nothing, when the packet would exceed
 * the client's Maximum Packet Size ([MQTT-3.1.2-25]: discarded as if sent).
 */
export function writePublish(out: Outbox, v5: boolean, msg: Message, e: MqttEncoding, d: Delivery, maxSize: number, fanout: number, now: number): boolean {
  const body = msg.body;
  const ws = out.isWebSocket;
  let propsLen = 0;
  let expiry = -1;
  if (v5) {
    if (e.props === null) e.props = staticProperties(msg.headers);
    propsLen = e.props.length;
    if (msg.expires !== 0) {
      // MQTT 5 §3.3.2.3.3: the interval sent is what remains of it.
      expiry = Math.max(0, Math.ceil((msg.expires - now) / 1000));
      propsLen += 5;
    }
    if (d.subId !== 0) propsLen += 1 + varintLength(d.subId);
    if (d.subIds !== null) for (const id of d.subIds) propsLen += 1 + varintLength(id);
  }
  const remaining = e.topic.length + (d.qos > 0 ? 2 : 0) + (v5 ? varintLength(propsLen) + propsLen : 0) + body.length;
  const size = 1 + varintLength(remaining) + remaining;
  if (maxSize > 0 && size > maxSize) return false;
  const first = 0x30 | (d.dup ? 8 : 0) | (d.qos << 1) | (d.retain ? 1 : 0);
  if (d.qos === 0 && fanout > 1 && expiry < 0 && d.subId === 0 && d.subIds === null) {
    // Built once per message and variant, then copied to every subscriber.
    const key = (v5 ? 1 : 0) | (d.retain ? 2 : 0) | (ws ? 4 : 0);
    const frames = (e.frames ??= [null, null, null, null, null, null, null, null]);
    let f = frames[key];
    if (f === null) {
      f = frames[key] = Buffer.allocUnsafe((ws ? wsHeaderLength(size) : 0) + size);
      let o = ws ? writeWsHeader(f, 0, size, true) : 0;
      f[o++] = first;
      o = putVarint(f, o, remaining);
      f.set(e.topic, o);
      o += e.topic.length;
      if (v5) {
        o = putVarint(f, o, propsLen);
        f.set(e.props as Buffer, o);
        o += propsLen;
      }
      f.set(body, o);
    }
    out.raw(f);
    return true;
  }
  out.begin(size, true);
  out.putByte(first);
  putVarintOut(out, remaining);
  out.put(e.topic);
  if (d.qos > 0) {
    out.putByte(d.packetId >> 8);
    out.putByte(d.packetId & 0xff);
  }
  if (v5) {
    putVarintOut(out, propsLen);
    out.put(e.props as Buffer);
    if (expiry >= 0) {
      out.putByte(0x02);
      out.putByte((expiry >>> 24) & 0xff);
      out.putByte((expiry >>> 16) & 0xff);
      out.putByte((expiry >>> 8) & 0xff);
      out.putByte(expiry & 0xff);
    }
    if (d.subId !== 0) {
      out.putByte(0x0b);
      putVarintOut(out, d.subId);
    }
    if (d.subIds !== null) {
      for (const id of d.subIds) {
        out.putByte(0x0b);
        putVarintOut(out, id);
      }
    }
  }
  out.put(body);
  out.end();
  return true;
}

function putVarint(b: Buffer, o: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    b[o++] = byte;
  } while (n > 0);
  return o;
}

function putVarintOut(out: Outbox, n: number): void {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.putByte(byte);
  } while (n > 0);
}
