/**
 * SUBSCRIBE (STOMP 1.2 §SUBSCRIBE): `id` (required from 1.1; 1.0 defaults to the
 * destination), `ack` = auto | client | client-individual, `selector` (JMS/SQL-92
 * subset, as ActiveMQ), and a prefetch bound as RabbitMQ's `prefetch-count` (or
 * ActiveMQ's `activemq.prefetchSize`). Topic subscriptions may be durable
 * (durable-headers.ts) or resume from the topic's history (resume.ts).
 */
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { parseDestination } from '../core/destination.js';
import { compileSelector } from '../core/selector.js';
import { Subscription, type AckMode } from '../core/subscription.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';
import { subscriptionPrefix } from './message-writer.js';
import { durableNameOf } from './durable-headers.js';
import { planResume } from './resume.js';
import { requireDestination } from './send.js';
import { fireSubscription } from './events.js';

const MAX_SUBSCRIPTIONS = 10_000;
const NO_SUBSCRIPTION_LINE = Buffer.from('MESSAGE\n', 'latin1');

export function handleSubscribe(conn: StompConnection, frame: Frame): void {
  const h = frame.headers;
  const given = requireDestination(h);
  const parsed = parseDestination(given);
  if (typeof parsed === 'string') throw new StompboxError(ErrorCodes.BAD_DESTINATION, parsed);
  const dest = parsed.canonical;
  if (parsed.kind === 'temp-queue' || parsed.kind === 'reply-queue') {
    throw new StompboxError(ErrorCodes.BAD_DESTINATION, `cannot SUBSCRIBE to '${dest}': replies to a temp queue arrive without a subscription`);
  }
  // STOMP 1.1 and 1.2 require `id`; RabbitMQ takes the destination as the id when it is
  // missing, and so do we (code written against RabbitMQ omits it; docs/compatibility.md).
  const givenId = getHeader(h, 'id');
  const id = givenId ?? given;
  if (conn.subs.has(id)) throw new StompboxError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `subscription id '${id}' is already in use on this connection`);
  if (conn.subs.size >= MAX_SUBSCRIPTIONS) throw new StompboxError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `more than ${MAX_SUBSCRIPTIONS} subscriptions on one connection`);
  const ack = getHeader(h, 'ack') ?? 'auto';
  if (ack !== 'auto' && ack !== 'client' && ack !== 'client-individual') {
    throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid ack mode '${ack}': expected auto, client or client-individual`);
  }
  const selectorText = getHeader(h, 'selector');
  const selector = selectorText === undefined ? undefined : compileSelector(selectorText);
  const { config, router } = conn.ctx;
  const onTopic = parsed.kind !== 'queue';
  const durable = onTopic ? durableNameOf(conn, h, id) : undefined;
  // Recovery is for live topic subscriptions; a durable one keeps what it missed anyway.
  const plan = onTopic && durable === undefined ? planResume(router, dest, h) : undefined;
  const maxPending = config.maxQueueLength > 0 ? config.maxQueueLength : 10_000;
  const sub = new Subscription(conn, {
    id,
    destination: dest,
    ackMode: ack as AckMode,
    // A durable subscription's selector is applied when messages are kept for it.
    selector: durable === undefined ? selector : undefined,
    prefetch: prefetchOf(h, config.defaultPrefetch),
    // Room for the replayed history as well, so that no live message pushes one out.
    maxPending: maxPending + (plan?.missed.length ?? 0),
  });
  // STOMP 1.0 §MESSAGE: a `subscription` header only when the SUBSCRIBE had an id (as RabbitMQ).
  sub.ext = givenId === undefined && conn.version === '1.0' ? NO_SUBSCRIPTION_LINE : subscriptionPrefix(id, conn.version);
  conn.subs.set(id, sub);
  if (durable !== undefined) {
    const kept = router.durableSpec(durable);
    if (kept !== undefined && kept.destination === dest && kept.selector === selectorText) {
      conn.receipt(frame);
      router.subscribeDurable(sub, { name: durable, destination: dest, selector: selectorText });
    } else {
      // New (or changed): the RECEIPT waits until the subscription's record is stored.
      router.subscribeDurable(sub, { name: durable, destination: dest, ...(selectorText === undefined ? {} : { selector: selectorText }) });
      conn.receiptAfter(frame, router.pendingCommit());
    }
    fireSubscription(conn, 'subscribed', dest, sub.ackMode !== 'auto');
    return;
  }
  // RECEIPT before the first MESSAGE: a client waiting on it sees the subscription take effect.
  conn.receipt(frame, plan?.receipt);
  // Missed messages first, then live ones behind them (publish parks while any wait): no gap, no duplicate.
  if (plan !== undefined) for (const msg of plan.missed) sub.pending.push({ msg, deliveries: 0 });
  router.subscribe(sub);
  if (sub.pending.length > 0) router.refill(sub);
  fireSubscription(conn, 'subscribed', dest, sub.ackMode !== 'auto');
}

function prefetchOf(h: string[], fallback: number): number {
  const v = getHeader(h, 'prefetch-count') ?? getHeader(h, 'activemq.prefetchSize');
  if (v === undefined) return fallback;
  if (!/^\d{1,9}$/.test(v)) throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid prefetch-count '${v}'`);
  return Number(v);
}
