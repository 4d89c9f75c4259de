/**
 * The STOMP side of the broker events (src/events.ts): who a STOMP session is, and
 * the event objects, built only when somebody listens.
 */
import type { Message } from '../core/message.js';
import type { ClientInfo } from '../events.js';
import { destinationToTopic } from '../mqtt/topic-map.js';
import type { StompConnection } from './connection.js';

export function stompClient(conn: StompConnection): ClientInfo {
  return { protocol: 'stomp', session: conn.id, clientId: conn.clientId, user: conn.user, remote: conn.transport.remote, transport: conn.transport.kind };
}

export function firePublished(conn: StompConnection, msg: Message): void {
  const ev = conn.ctx.events;
  if (!ev.wants.published) return;
  ev.fire('published', { client: stompClient(conn), destination: msg.destination, topic: destinationToTopic(msg.destination), message: msg, qos: msg.persistent ? 1 : 0, retain: false });
}

export function fireSubscription(conn: StompConnection, kind: 'subscribed' | 'unsubscribed', destination: string, clientAck: boolean): void {
  const ev = conn.ctx.events;
  if (!ev.wants[kind]) return;
  ev.fire(kind, { client: stompClient(conn), destination, topic: destinationToTopic(destination), qos: clientAck ? 1 : 0 });
}
