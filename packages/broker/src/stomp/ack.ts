/**
 * ACK and NACK (STOMP 1.2 §ACK, §NACK). A delivery is named by the `id` header (the
 * MESSAGE's `ack` header, 1.2) or by `message-id` with `subscription` (1.1) or alone
 * (1.0). In `client` mode an ACK or NACK covers every earlier delivery of the
 * subscription too (cumulative); in `client-individual` only the one named.
 *
 * An ACK naming nothing unacked is one of two things. A delivery this broker did hand
 * out and that is settled already (covered by a cumulative ACK, acked twice) is ignored:
 * nothing is lost by it. An id it never issued, or a `subscription` the connection does
 * not have, is a client bug (a typo, an id from another broker) and gets an ERROR, as
 * RabbitMQ answers (`Subscription not found`, `unknown delivery tag`): a RECEIPT would
 * tell the client its ACK worked while the message stays unacked (docs/compatibility.md).
 *
 * NACK requeues by default (`redelivered: true` on the next delivery); `requeue:
 * false`, or a message delivered `maxDeliveries` times, goes to the dead-letter queue.
 */
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { isIssuedMessageId } from '../core/message.js';
import { isIssuedTag, type Subscription } from '../core/subscription.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';
import { holdInTransaction } from './transaction.js';

export function handleAck(conn: StompConnection, frame: Frame): void {
  const tx = getHeader(frame.headers, 'transaction');
  if (tx !== undefined) holdChecked(conn, tx, frame);
  else settle(conn, frame, 'ack');
  conn.receiptAfter(frame, conn.ctx.router.pendingCommit());
}

export function handleNack(conn: StompConnection, frame: Frame): void {
  if (conn.version === '1.0') throw new StompboxError(ErrorCodes.UNKNOWN_COMMAND, 'NACK is not part of STOMP 1.0');
  const tx = getHeader(frame.headers, 'transaction');
  if (tx !== undefined) holdChecked(conn, tx, frame);
  else settle(conn, frame, 'nack');
  conn.receiptAfter(frame, conn.ctx.router.pendingCommit());
}

/** Checked now, not at COMMIT: an ACK naming nothing found at COMMIT would leave the transaction half applied. */
function holdChecked(conn: StompConnection, tx: string, frame: Frame): void {
  locate(conn, frame.headers, frame.command);
  holdInTransaction(conn, tx, frame);
}

function requireDeliveryId(conn: StompConnection, h: string[]): void {
  if (getHeader(h, 'id') === undefined && getHeader(h, 'message-id') === undefined) {
    throw new StompboxError(ErrorCodes.MISSING_HEADER, conn.version === '1.2' ? "missing 'id' header" : "missing 'message-id' header");
  }
}

/** Applies an ACK or NACK frame now (also used at COMMIT). */
export function settle(conn: StompConnection, frame: Frame, kind: 'ack' | 'nack'): void {
  const h = frame.headers;
  const found = locate(conn, h, frame.command);
  if (found === undefined) {
    conn.ctx.logger.debug({ session: conn.id, headers: h }, `${kind} of a delivery already settled`);
    return;
  }
  const { sub, tag } = found;
  const entries = sub.take(tag, sub.ackMode === 'client');
  if (entries === undefined) return;
  const router = conn.ctx.router;
  if (kind === 'ack') router.ack(sub, entries);
  else router.nack(sub, entries, getHeader(h, 'requeue') !== 'false');
}

/** The unacked delivery named; undefined when it is settled already; throws when it never existed. */
function locate(conn: StompConnection, h: string[], command: string): { sub: Subscription; tag: number } | undefined {
  const id = getHeader(h, 'id');
  if (id !== undefined && /^\d{1,15}$/.test(id)) {
    const tag = Number(id);
    for (const sub of conn.subs.values()) if (sub.unacked.has(tag)) return { sub, tag };
    if (getHeader(h, 'message-id') === undefined) {
      if (isIssuedTag(tag)) return undefined;
      throw unknownDelivery(command, 'id', id);
    }
  }
  requireDeliveryId(conn, h);
  const messageId = (getHeader(h, 'message-id') ?? id) as string;
  const subId = getHeader(h, 'subscription');
  if (subId !== undefined) {
    const sub = conn.subs.get(subId);
    if (sub === undefined) {
      throw new StompboxError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `${command} names subscription '${subId.slice(0, 200)}', which this connection does not have`);
    }
    const tag = sub.tagOf(messageId);
    if (tag !== 0) return { sub, tag };
  } else {
    for (const sub of conn.subs.values()) {
      const tag = sub.tagOf(messageId);
      if (tag !== 0) return { sub, tag };
    }
  }
  if (isIssuedMessageId(messageId)) return undefined;
  throw unknownDelivery(command, getHeader(h, 'message-id') !== undefined ? 'message-id' : 'id', messageId);
}

function unknownDelivery(command: string, header: string, value: string): StompboxError {
  return new StompboxError(ErrorCodes.UNKNOWN_DELIVERY, `${command} ${header} '${value.slice(0, 200)}' names no message delivered by this broker`);
}
