/**
 * Whole packets -> packet objects, with the `mqtt-packet` parser. The framer hands
 * over exactly one packet at a time, so one parser serves every connection: its
 * state is empty between packets, and the protocol version it parses for is set
 * before each call (it would otherwise keep the last CONNECT's). This keeps a
 * parser (an EventEmitter and a buffer list) out of every idle connection.
 */
import { parser as createParser, type Packet } from 'mqtt-packet';
import { ErrorCodes, StompboxError } from '../errors.js';

interface ParserInternals {
  settings: { protocolVersion?: number };
  parse(buf: Buffer): number;
  _resetState(): void;
  _pos: number;
  on(event: 'packet', l: (p: Packet) => void): void;
  on(event: 'error', l: (e: Error) => void): void;
}

const parser = createParser() as unknown as ParserInternals;
let got: Packet | null = null;
let failed: Error | null = null;
parser.on('packet', (p) => {
  got = p;
});
parser.on('error', (e) => {
  failed ??= e;
});

const SETTINGS: Record<number, { protocolVersion?: number }> = {
  0: {},
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 },
};

/** Errors of the parser that are protocol errors rather than malformed bytes (MQTT 5 §4.13). */
const PROTOCOL_ERRORS = /Invalid protocolId|Invalid protocol version|Not supported auth packet/;

/**
 * Decodes one whole packet for a connection speaking `version` (0 before CONNECT).
 * Throws StompboxError(MQTT_MALFORMED_PACKET or MQTT_PROTOCOL_ERROR).
 */
export function decodePacket(bytes: Buffer, version: number): Packet {
  if (version !== 0) {
    const fast = decodeHot(bytes, version);
    if (fast !== null) return fast;
  }
  got = null;
  failed = null;
  parser.settings = SETTINGS[version] ?? SETTINGS[4];
  parser.parse(bytes);
  const p = got as Packet | null;
  const err = failed as Error | null;
  got = null;
  failed = null;
  if (err !== null || p === null) {
    // _resetState leaves the read position where the error was; the length of the next
    // packet is read from that position, so it must go back to 0 as well.
    parser._resetState();
    parser._pos = 0;
    const why = err?.message ?? 'packet shorter than its fields';
    const code = PROTOCOL_ERRORS.test(why) ? ErrorCodes.MQTT_PROTOCOL_ERROR : ErrorCodes.MQTT_MALFORMED_PACKET;
    throw new StompboxError(code, `malformed ${packetName(bytes[0] >> 4)} packet: ${why}`);
  }
  return p;
}

const NAMES = ['reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

export function packetName(type: number): string {
  return NAMES[type] ?? 'unknown';
}

/**
 * What a CONNECT that failed to parse says of itself: the protocol name and level,
 * read by hand, so that the refusal can use the right return code ([MQTT-3.1.2-2]).
 */
export function peekConnect(bytes: Buffer): { name: string; level: number } | undefined {
  let i = 1;
  while (i < bytes.length && i < 5 && (bytes[i] & 0x80) !== 0) i++;
  i++;
  if (i + 2 > bytes.length) return undefined;
  const len = bytes.readUInt16BE(i);
  i += 2;
  if (i + len + 1 > bytes.length) return undefined;
  return { name: bytes.toString('latin1', i, i + len), level: bytes[i + len] };
}

const ACKS = [undefined, undefined, undefined, undefined, 'puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

/**
 * The two packets that every QoS 0/1 message costs, read by hand: a PUBLISH without
 * MQTT 5 properties, and a PUBACK/PUBREC/PUBREL/PUBCOMP without a reason code. They
 * are checked as mqtt-packet checks them (QoS 3, fixed flags, lengths); anything else,
 * or anything unusual about them, goes to mqtt-packet. This keeps the buffer-list
 * copies and per-packet bookkeeping of the general parser off the hot path.
 */
function decodeHot(bytes: Buffer, version: number): Packet | null {
  const first = bytes[0];
  const type = first >> 4;
  // Remaining length (the framer already validated it): skip its bytes.
  let i = 1;
  while ((bytes[i] & 0x80) !== 0) i++;
  i++;
  const end = bytes.length;
  if (type === 3) {
    const qos = (first >> 1) & 3;
    if (qos === 3 || i + 2 > end) return null;
    const tlen = (bytes[i] << 8) | bytes[i + 1];
    const ts = i + 2;
    let p = ts + tlen;
    if (p > end) return null;
    let messageId: number | undefined;
    if (qos > 0) {
      if (p + 2 > end) return null;
      messageId = (bytes[p] << 8) | bytes[p + 1];
      p += 2;
    }
    if (version === 5) {
      if (p >= end || bytes[p] !== 0) return null; // properties: the general parser
      p++;
    }
    return {
      cmd: 'publish',
      qos: qos as 0 | 1 | 2,
      dup: (first & 8) !== 0,
      retain: (first & 1) !== 0,
      topic: bytes.toString('utf8', ts, ts + tlen),
      messageId,
      payload: bytes.subarray(p, end),
      properties: undefined,
    };
  }
  if (type >= 4 && type <= 7) {
    if ((first & 0x0f) !== (type === 6 ? 2 : 0) || end - i !== 2) return null;
    return { cmd: ACKS[type] as 'puback', messageId: (bytes[i] << 8) | bytes[i + 1] };
  }
  return null;
}
