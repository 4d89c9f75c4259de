/**
 * SUBSCRIBE (MQTT 3.1.1 §3.8, MQTT 5 §3.8): each filter is validated and mapped to
 * the routing core (topic-map.ts, session.ts), the SUBACK grants the QoS asked for
 * (or refuses the one filter that is wrong, 0x80 / an MQTT 5 reason code), and the
 * retained messages that match are sent, per Retain Handling. In a kept session the
 * SUBACK waits until the subscriptions are recorded in the store ([MQTT-3.1.2-4]:
 * they are session state); the retained messages go at once (a server may send
 * PUBLISH before SUBACK, MQTT 3.1.1 §3.8.4), so none comes after a newer live one.
 */
import type { ISubscribePacket, ISubscription } from 'mqtt-packet';
import type { Message } from '../core/message.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MqttConnection } from './connection.js';
import { inOrder } from './in-order.js';
import { subackPacket } from './packets.js';
import { retainedCopy } from './publish-writer.js';
import { Reason } from './reason-codes.js';
import type { SubInfo, SubKind } from './sub-info.js';
import { destinationToTopic, filterProblem, filterToDestination, isQueueDestination } from './topic-map.js';

const MAX_SUBSCRIPTIONS = 10_000;

export function handleSubscribe(conn: MqttConnection, p: ISubscribePacket): void {
  const pid = p.messageId ?? 0;
  if (pid === 0) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'SUBSCRIBE with packet identifier 0 [MQTT-2.3.1-1]');
  // [MQTT-3.8.3-3] at least one filter (mqtt-packet refuses an empty payload as malformed).
  const session = conn.session!;
  const ids = p.properties?.subscriptionIdentifier;
  if (Array.isArray(ids)) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'Subscription Identifier given more than once');
  // MQTT 5 §3.8.2.1.2: 1 to 268,435,455; 0 is a protocol error.
  if (ids === 0) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'Subscription Identifier 0');
  const codes: number[] = [];
  const retained: { info: SubInfo; messages: Message[] }[] = [];
  let why: string | undefined;
  for (const s of p.subscriptions) {
    const r = subscribeOne(conn, s, ids ?? 0);
    if (typeof r === 'string') {
      codes.push(conn.v5 ? (r.startsWith('$share') ? Reason.TOPIC_FILTER_INVALID : Reason.TOPIC_FILTER_INVALID) : 0x80);
      why ??= r;
      conn.ctx.logger.debug({ session: conn.id, filter: s.topic, why: r }, 'subscription refused');
      continue;
    }
    codes.push(r.info.qos);
    if (r.messages.length > 0) retained.push(r);
    const events = conn.ctx.events;
    if (events.wants.subscribed) events.fire('subscribed', { client: conn.info, destination: r.info.pattern, topic: s.topic, qos: r.info.qos });
  }
  // [MQTT-3.8.4-1] SUBACK with the same packet id, one code per filter, in order [MQTT-3.8.4-5].
  const suback = subackPacket(conn.version, pid, codes, conn.v5 && conn.problemInfo ? why : undefined);
  inOrder(conn, codes.some((c) => c < 0x80) ? session.persist() : undefined, () => conn.write(suback));
  for (const r of retained) session.sendRetained(r.info, r.messages, retainedCopy);
}

/**
 * What a filter with its options maps to (session.ts, topic-map.ts), or why it is
 * refused; shared by SUBSCRIBE and the restore of kept sessions (restore.ts).
 */
export function subscriptionInfo(topic: string, qos: number, nl: boolean, rap: boolean, rh: number, id: number): SubInfo | string {
  let filter = topic;
  let group: string | undefined;
  if (filter.startsWith('$share/')) {
    // MQTT 5 §4.8.2: $share/{ShareName}/{filter}; the name has no '/', '+' or '#'.
    const rest = filter.slice(7);
    const slash = rest.indexOf('/');
    group = slash < 0 ? rest : rest.slice(0, slash);
    if (slash <= 0 || /[+#]/.test(group)) return `invalid shared subscription '${filter.slice(0, 100)}' [MQTT-4.8.2-1] [MQTT-4.8.2-2]`;
    filter = rest.slice(slash + 1);
    if (nl) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'No Local on a shared subscription [MQTT-3.8.3-4]');
  }
  const problem = filterProblem(filter);
  if (problem !== undefined) return problem;
  const pattern = filterToDestination(filter);
  const kind: SubKind = group !== undefined ? 'share' : isQueueDestination(pattern) ? 'queue' : qos === 0 ? 'direct' : 'bound';
  return { kind, filter: topic, pattern, qos, noLocal: nl, retainAsPublished: rap, retainHandling: rh, id, sub: undefined, group };
}

/** One filter: the subscription made and the retained messages it gets, or why it is refused. */
function subscribeOne(conn: MqttConnection, s: ISubscription, id: number): { info: SubInfo; messages: Message[] } | string {
  const session = conn.session!;
  const info = subscriptionInfo(s.topic, s.qos, s.nl === true, s.rap === true, s.rh ?? 0, id);
  if (typeof info === 'string') return info;
  const existed = session.subs.has(s.topic);
  if (!existed && session.subs.size >= MAX_SUBSCRIPTIONS) return `more than ${MAX_SUBSCRIPTIONS} subscriptions in one session`;
  const kind = info.kind;
  const pattern = info.pattern;
  session.addSubscription(info);
  // Retained messages: not for shared subscriptions (MQTT 5 §4.8.2) nor queues; Retain Handling
  // 0 = always, 1 = only for a new subscription, 2 = never (MQTT 5 [MQTT-3.3.1-9] .. [MQTT-3.3.1-11]).
  let messages: Message[] = [];
  if ((kind === 'direct' || kind === 'bound') && (info.retainHandling === 0 || (info.retainHandling === 1 && !existed))) {
    messages = conn.ctx.retained.match(pattern);
  }
  return { info, messages };
}

export { destinationToTopic };
