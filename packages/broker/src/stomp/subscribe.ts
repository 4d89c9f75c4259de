/**
 * SUBSCRIBE (STOMP 1.2 §SUBSCRIBE): `id` (required from 1.1; 1.0 defaults to the
 * destination), `ack` = auto | client | client-individual, `selector` (JMS/SQL-92
 * subset, as ActiveMQ), and a prefetch bound as RabbitMQ's `prefetch-count` (or
 * ActiveMQ's `activemq.prefetchSize`).
 */
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { parseDestination } from '../core/destination.js';
import { compileSelector } from '../core/selector.js';
import { Subscription, type AckMode } from '../core/subscription.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';
import { subscriptionPrefix } from './message-writer.js';
import { requireDestination } from './send.js';
import { fireSubscription } from './events.js';

const MAX_SUBSCRIPTIONS = 10_000;

export function handleSubscribe(conn: StompConnection, frame: Frame): void {
  const h = frame.headers;
  const dest = requireDestination(h);
  const parsed = parseDestination(dest);
  if (typeof parsed === 'string') throw new StompboxError(ErrorCodes.BAD_DESTINATION, parsed);
  if (parsed.kind === 'temp-queue' || parsed.kind === 'reply-queue') {
    throw new StompboxError(ErrorCodes.BAD_DESTINATION, `cannot SUBSCRIBE to '${dest}': replies to a temp queue arrive without a subscription`);
  }
  let id = getHeader(h, 'id');
  if (id === undefined) {
    if (conn.version !== '1.0') throw new StompboxError(ErrorCodes.MISSING_HEADER, "missing 'id' header (required since STOMP 1.1)");
    id = dest;
  }
  if (conn.subs.has(id)) throw new StompboxError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `subscription id '${id}' is already in use on this connection`);
  if (conn.subs.size >= MAX_SUBSCRIPTIONS) throw new StompboxError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `more than ${MAX_SUBSCRIPTIONS} subscriptions on one connection`);
  const ack = getHeader(h, 'ack') ?? 'auto';
  if (ack !== 'auto' && ack !== 'client' && ack !== 'client-individual') {
    throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid ack mode '${ack}': expected auto, client or client-individual`);
  }
  const selectorText = getHeader(h, 'selector');
  const selector = selectorText === undefined ? undefined : compileSelector(selectorText);
  const { config, router } = conn.ctx;
  const sub = new Subscription(conn, {
    id,
    destination: dest,
    ackMode: ack as AckMode,
    selector,
    prefetch: prefetchOf(h, config.defaultPrefetch),
    maxPending: config.maxQueueLength > 0 ? config.maxQueueLength : 10_000,
  });
  sub.ext = subscriptionPrefix(id, conn.version);
  conn.subs.set(id, sub);
  // RECEIPT before the first MESSAGE: a client waiting on it sees the subscription take effect.
  conn.receipt(frame);
  router.subscribe(sub);
  fireSubscription(conn, 'subscribed', dest, sub.ackMode !== 'auto');
}

function prefetchOf(h: string[], fallback: number): number {
  const v = getHeader(h, 'prefetch-count') ?? getHeader(h, 'activemq.prefetchSize');
  if (v === undefined) return fallback;
  if (!/^\d{1,9}$/.test(v)) throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid prefetch-count '${v}'`);
  return Number(v);
}
