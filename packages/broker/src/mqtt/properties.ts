/**
 * MQTT 5 properties <-> message headers, so that what both protocols can carry
 * survives the crossing (docs/mqtt.md "Headers and properties"):
 *
 *   Content Type                 <-> `content-type`
 *   Response Topic               <-> `reply-to` (as a destination: `a/b` <-> `/topic/a.b`)
 *   Correlation Data             <-> `correlation-id` (UTF-8), or `x-mqtt-correlation-data` (base64) when binary
 *   Payload Format Indicator 1   <-> `x-mqtt-payload-format: utf-8`
 *   Message Expiry Interval      <-> the message's expiry, shown to STOMP as `expires` (epoch ms)
 *   User Property name=value     <-> header name:value (in order; repeats kept)
 *   QoS 2 / RETAIN of a publish  ->  `x-mqtt-publish-qos: 2` / `x-mqtt-retain: true` (QoS 1 is `persistent`)
 *
 * Headers the broker owns on the STOMP side (destination, message-id, ...) are not
 * taken from user properties, and `x-mqtt-*` headers are never sent as user properties.
 */
import { isUtf8 } from 'node:buffer';
import type { IPublishPacket } from 'mqtt-packet';
import { isBrokerOwnedHeader } from '../core/message.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import { checkTopicName, destinationToTopic, topicToDestination } from './topic-map.js';

export const QOS_HEADER = 'x-mqtt-publish-qos';
export const RETAIN_HEADER = 'x-mqtt-retain';
const CORRELATION_BINARY = 'x-mqtt-correlation-data';
const PAYLOAD_FORMAT = 'x-mqtt-payload-format';

type PublishProperties = NonNullable<IPublishPacket['properties']>;

/** MQTT 5 properties that may appear at most once in a PUBLISH (or a will). */
const SINGLE = ['payloadFormatIndicator', 'messageExpiryInterval', 'topicAlias', 'responseTopic', 'correlationData', 'contentType'] as const;

export interface PublishMeta {
  headers: string[];
  /** Absolute expiry in epoch ms; 0 = never. */
  expires: number;
}

/** Headers (and expiry) of an MQTT publish or will. */
export function headersOf(qos: number, retain: boolean, props: PublishProperties | undefined, now: number): PublishMeta {
  const headers: string[] = [];
  if (qos === 2) headers.push(QOS_HEADER, '2');
  if (retain) headers.push(RETAIN_HEADER, 'true');
  let expires = 0;
  if (props === undefined) return { headers, expires };
  for (const k of SINGLE) {
    if (Array.isArray(props[k])) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, `property ${k} given more than once`);
  }
  if (props.contentType !== undefined) headers.push('content-type', props.contentType);
  if (props.responseTopic !== undefined) {
    // [MQTT-3.3.2-14] the Response Topic is a topic name: no wildcards.
    try {
      checkTopicName(props.responseTopic);
    } catch (err) {
      throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, `invalid response topic: ${(err as Error).message}`);
    }
    headers.push('reply-to', topicToDestination(props.responseTopic));
  }
  const cd = props.correlationData;
  if (cd !== undefined) {
    if (isUtf8(cd)) headers.push('correlation-id', cd.toString('utf8'));
    else headers.push(CORRELATION_BINARY, cd.toString('base64'));
  }
  if (props.payloadFormatIndicator === true) headers.push(PAYLOAD_FORMAT, 'utf-8');
  if (props.messageExpiryInterval !== undefined) {
    expires = now + props.messageExpiryInterval * 1000;
    headers.push('expires', String(expires));
  }
  const up = props.userProperties;
  if (up !== undefined) {
    for (const name of Object.keys(up)) {
      if (isBrokerOwnedHeader(name) || name.startsWith('x-mqtt-')) continue;
      const v = up[name];
      if (Array.isArray(v)) for (const x of v) headers.push(name, x);
      else headers.push(name, v);
    }
  }
  return { headers, expires };
}

/** Header names turned into MQTT 5 properties other than user properties, or not sent at all. */
const NOT_USER = new Set(['content-type', 'reply-to', 'correlation-id', 'expires', 'expiration', QOS_HEADER, RETAIN_HEADER, CORRELATION_BINARY, PAYLOAD_FORMAT]);

/**
 * The MQTT 5 property bytes of a message that are the same for every delivery
 * (without the length prefix, subscription identifiers and the remaining expiry).
 */
export function staticProperties(headers: readonly string[]): Buffer {
  if (headers.length === 0) return EMPTY;
  const parts: Buffer[] = [];
  let seen = 0; // content-type, reply-to, correlation: each once [MQTT-3.3.2-*] "MUST NOT be sent more than once"
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (name === 'content-type' && (seen & 1) === 0) {
      seen |= 1;
      parts.push(Buffer.from([0x03]), str(value));
    } else if (name === 'reply-to' && (seen & 2) === 0) {
      seen |= 2;
      parts.push(Buffer.from([0x08]), str(destinationToTopic(value)));
    } else if ((name === 'correlation-id' || name === CORRELATION_BINARY) && (seen & 4) === 0) {
      seen |= 4;
      const data = name === 'correlation-id' ? Buffer.from(value, 'utf8') : Buffer.from(value, 'base64');
      parts.push(Buffer.from([0x09]), bin(data));
    } else if (name === PAYLOAD_FORMAT && (seen & 8) === 0) {
      seen |= 8;
      parts.push(Buffer.from([0x01, 0x01]));
    } else if (!NOT_USER.has(name) && !name.startsWith('x-mqtt-')) {
      parts.push(Buffer.from([0x26]), str(name), str(value));
    }
  }
  return parts.length === 0 ? EMPTY : Buffer.concat(parts);
}

const EMPTY = Buffer.alloc(0);

function str(s: string): Buffer {
  return bin(Buffer.from(s, 'utf8'));
}

function bin(b: Buffer): Buffer {
  const n = Math.min(b.length, 0xffff);
  const out = Buffer.allocUnsafe(2 + n);
  out.writeUInt16BE(n, 0);
  b.copy(out, 2, 0, n);
  return out;
}

/** Bytes of a variable byte integer (MQTT 5 §1.5.5). */
export function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}
