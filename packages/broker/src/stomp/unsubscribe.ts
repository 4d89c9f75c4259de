/**
 * UNSUBSCRIBE (STOMP 1.2 §UNSUBSCRIBE): by `id` (1.0 clients may name the
 * destination instead). Unacked queue messages go back to their queue. An unknown
 * id is not an error: a client that unsubscribes twice has lost nothing.
 * With a durable header (durable-headers.ts) the durable subscription is removed
 * too, with what it kept; the RECEIPT waits until that is stored.
 */
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';
import { durableNameOf } from './durable-headers.js';
import { fireSubscription } from './events.js';

export function handleUnsubscribe(conn: StompConnection, frame: Frame): void {
  const id = getHeader(frame.headers, 'id') ?? (conn.version === '1.0' ? getHeader(frame.headers, 'destination') : undefined);
  if (id === undefined) throw new StompboxError(ErrorCodes.MISSING_HEADER, "missing 'id' header");
  const sub = conn.subs.get(id);
  if (sub !== undefined) {
    conn.subs.delete(id);
    conn.ctx.router.unsubscribe(sub);
    fireSubscription(conn, 'unsubscribed', sub.destination, sub.ackMode !== 'auto');
  } else {
    conn.ctx.logger.debug({ session: conn.id, id }, 'UNSUBSCRIBE of an unknown subscription');
  }
  const durable = durableNameOf(conn, frame.headers, id);
  if (durable !== undefined && conn.ctx.router.unsubscribeDurable(durable)) return conn.receiptAfter(frame, conn.ctx.router.pendingCommit());
  conn.receipt(frame);
}
