/**
 * PUBLISH from a client (MQTT 3.1.1 §3.3, MQTT 5 §3.3). QoS 0 is routed and
 * forgotten. QoS 1 and 2 become persistent messages (as RabbitMQ does), and the
 * PUBACK / PUBREC is sent once the router says the message is safe (stored, when it
 * went to a queue that keeps it), in the order the PUBLISH packets came
 * ([MQTT-4.6.0-2]). QoS 2 is method B of MQTT 5 §4.3.3: the message is routed when it
 * arrives and its packet id remembered until PUBREL, so a re-sent PUBLISH with that
 * id is not routed twice ([MQTT-4.3.3-9]). In a kept session that packet id is
 * recorded in the same store batch as the message (persistence.ts), so a PUBLISH
 * re-sent after a broker crash is not routed twice either.
 */
import type { IPublishPacket } from 'mqtt-packet';
import { newMessage } from '../core/message.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MqttConnection } from './connection.js';
import { inOrder } from './in-order.js';
import { headersOf } from './properties.js';
import { Reason } from './reason-codes.js';
import { route } from './route.js';
import { checkTopicName, topicToDestination } from './topic-map.js';

const EMPTY = Buffer.alloc(0);

export function handlePublish(conn: MqttConnection, p: IPublishPacket): void {
  const qos = p.qos;
  const pid = p.messageId ?? 0;
  if (qos === 0 && p.dup) throw new StompboxError(ErrorCodes.MQTT_MALFORMED_PACKET, 'DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]');
  if (qos > 0 && pid === 0) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'QoS 1/2 PUBLISH with packet identifier 0 [MQTT-2.3.1-1]');
  const props = p.properties;
  const topic = conn.v5 ? resolveAlias(conn, p.topic, props?.topicAlias) : p.topic;
  conn.state.stats.received++;
  const session = conn.session!;

  if (qos > 0) {
    // MQTT 5 §3.3.4: a client that exceeds our Receive Maximum is disconnected (0x93).
    if (conn.v5 && conn.inboundInflight >= conn.ctx.config.mqttMaxInflight && !(qos === 2 && session.awaitingRelease?.has(pid))) {
      throw new StompboxError(ErrorCodes.MQTT_RECEIVE_MAXIMUM_EXCEEDED, `more than ${conn.ctx.config.mqttMaxInflight} unacknowledged QoS 1/2 PUBLISH packets (Receive Maximum)`);
    }
    if (qos === 2 && session.awaitingRelease?.has(pid)) {
      // A re-sent PUBLISH of a message already routed: acknowledge again (after what is still waiting), route nothing.
      inOrder(conn, undefined, () => conn.sendAck(5, pid));
      return;
    }
  }

  let refusal = 0;
  let why = '';
  try {
    checkTopicName(topic);
    // $SYS is the broker's; and $share is not a topic name (MQTT 5 §4.8.2).
    if (topic.startsWith('$SYS/') || topic === '$SYS') {
      refusal = Reason.NOT_AUTHORIZED;
      why = 'clients may not publish to $SYS topics';
    } else if (topic.startsWith('$share/')) {
      refusal = Reason.TOPIC_NAME_INVALID;
      why = '$share/ is for subscriptions, not a topic name';
    }
  } catch (err) {
    if (!(err instanceof StompboxError) || err.code !== ErrorCodes.BAD_DESTINATION) throw err;
    // [MQTT-3.3.2-2] a wildcard in a topic name: the server closes the connection (MQTT 5: 0x90).
    throw new StompboxError(ErrorCodes.BAD_DESTINATION, err.message);
  }

  let done: Promise<void> | undefined;
  if (refusal === 0) {
    const now = Date.now();
    const meta = headersOf(qos, p.retain, props, now);
    const payload = p.payload;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload.length === 0 ? EMPTY : payload;
    const msg = newMessage(topicToDestination(topic), meta.headers, body, qos > 0, meta.expires);
    if (conn.state.noLocalSubscriptions > 0) conn.state.origins.set(msg, session);
    try {
      done = route(conn.state, msg, qos, p.retain, conn.ctx.events.wants.published ? conn.info : undefined);
      // Method B: the packet id is kept from now on; a kept session records it with the message.
      if (qos === 2) done = session.received(pid) ?? done;
    } catch (err) {
      // A queue whose policy refuses when full: MQTT 5 answers with "quota exceeded", 3.1.1 can only close.
      if (!(err instanceof StompboxError) || !conn.v5 || qos === 0) throw err;
      refusal = Reason.QUOTA_EXCEEDED;
      why = err.message;
    }
  } else {
    conn.ctx.logger.debug({ session: conn.id, topic, reason: refusal }, why);
    // 3.1.1 has no way to refuse a PUBLISH: it is acknowledged and dropped, as Mosquitto does.
  }
  if (qos === 0) return;
  acknowledge(conn, qos, pid, done, conn.v5 ? refusal : 0, refusal !== 0 && conn.problemInfo ? why : undefined);
}

/**
 * Sends PUBACK (QoS 1) or PUBREC (QoS 2) once `done` settles, after every earlier
 * acknowledgement of this connection ([MQTT-4.6.0-2] acknowledgements in order).
 */
function acknowledge(conn: MqttConnection, qos: number, pid: number, done: Promise<void> | undefined, reason: number, why: string | undefined): void {
  const session = conn.session!;
  conn.inboundInflight++;
  const send = () => {
    if (qos === 1) {
      conn.inboundInflight--;
      conn.sendAck(4, pid, reason, why);
    } else {
      // Kept until PUBREL (pubrel.ts), which sends PUBCOMP; a refused one is finished at once.
      if (reason < 0x80) (session.awaitingRelease ??= new Set()).add(pid);
      else conn.inboundInflight--;
      conn.sendAck(5, pid, reason, why);
    }
  };
  // Not stored after all: a PUBLISH re-sent with this id must be routed, not taken for a duplicate.
  inOrder(conn, done, send, qos === 2 ? () => session.released(pid) : undefined);
}

/** MQTT 5 §3.3.2.3.4 topic aliases set by the client. */
function resolveAlias(conn: MqttConnection, topic: string, alias: number | number[] | undefined): string {
  if (alias === undefined) return topic;
  if (Array.isArray(alias)) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'Topic Alias given more than once');
  const max = conn.ctx.config.mqttMaxTopicAlias;
  // [MQTT-3.3.2-8] / [MQTT-3.3.2-9]: 0 and values above our Topic Alias Maximum are errors.
  if (alias === 0 || alias > max) throw new StompboxError(ErrorCodes.MQTT_TOPIC_ALIAS_INVALID, `topic alias ${alias} is outside 1..${max}`);
  const aliases = (conn.aliases ??= new Map());
  if (topic.length > 0) {
    aliases.set(alias, topic);
    return topic;
  }
  const known = aliases.get(alias);
  if (known === undefined) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, `topic alias ${alias} was never set (MQTT 5 §3.3.2.3.4)`);
  return known;
}
