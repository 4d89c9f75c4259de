/**
 * SEND (STOMP 1.2 §SEND): routes a message. Inside a transaction the frame is held
 * until COMMIT. `reply-to: /temp-queue/<name>` creates the sender's private reply
 * queue and rewrites the header to `/reply-queue/<id>`, as RabbitMQ does, so that a
 * responder can SEND there and the reply reaches only this session.
 */
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { parseDestination } from '../core/destination.js';
import { isBrokerOwnedHeader, newMessage, type Message } from '../core/message.js';
import { Subscription } from '../core/subscription.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';
import { subscriptionPrefix } from './message-writer.js';
import { holdInTransaction } from './transaction.js';
import { firePublished } from './events.js';

export function handleSend(conn: StompConnection, frame: Frame): void {
  const tx = getHeader(frame.headers, 'transaction');
  if (tx !== undefined) {
    // Checked now, not at COMMIT: a bad SEND found at COMMIT would leave the transaction half applied.
    messageOf(conn, frame, true);
    holdInTransaction(conn, tx, frame);
    conn.receipt(frame);
    return;
  }
  if (getHeader(frame.headers, 'receipt') === undefined) {
    publishFrame(conn, frame);
    return;
  }
  // The RECEIPT goes out before this connection's own copy of the message (receipt-fence.ts).
  const fenced: Message[] = [];
  conn.receiptAfter(frame, publishFrame(conn, frame, fenced), undefined, fenced);
}

/**
 * Turns a SEND frame into a message and routes it; resolves when stored, if it was.
 * With `fenced`, the message is added to it and its deliveries to this connection wait
 * for the caller's RECEIPT.
 */
export function publishFrame(conn: StompConnection, frame: Frame, fenced?: Message[]): Promise<void> | undefined {
  const msg = messageOf(conn, frame, false) as Message;
  if (fenced !== undefined) {
    conn.fenceUntilReceipt(msg);
    fenced.push(msg);
  }
  firePublished(conn, msg);
  return conn.ctx.router.publish(msg);
}

/** Validates a SEND frame and builds its message; `checkOnly` throws what building would, and creates nothing. */
function messageOf(conn: StompConnection, frame: Frame, checkOnly: boolean): Message | undefined {
  const h = frame.headers;
  const parsed = parseDestination(requireDestination(h));
  if (typeof parsed === 'string') throw new StompboxError(ErrorCodes.BAD_DESTINATION, parsed);
  const dest = parsed.canonical;
  if (parsed.kind === 'temp-queue') {
    throw new StompboxError(ErrorCodes.BAD_DESTINATION, `cannot SEND to '${dest}': temp queues are named in reply-to; replies go to the rewritten /reply-queue/ destination`);
  }
  const headers: string[] = [];
  let persistent: boolean | undefined;
  let expires = 0;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    const value = h[i + 1];
    if (isBrokerOwnedHeader(name)) {
      if (name === 'persistent') persistent ??= value === 'true'; // the first wins here too
      continue;
    }
    if (getHeader(headers, name) !== undefined) continue; // repeated header: the first wins
    if (name === 'reply-to' && value.startsWith('/temp-queue/')) {
      headers.push(name, tempQueueFor(conn, value, !checkOnly));
      continue;
    }
    if (name === 'expiration') expires = relativeExpiry(value);
    else if (name === 'expires') expires = absoluteExpiry(value);
    headers.push(name, value);
  }
  if (checkOnly) return undefined;
  // The destination's policy: a default for `persistent`, and a TTL (the sooner expiry wins, as in RabbitMQ).
  const policy = conn.ctx.router.policyFor(dest);
  if (policy.ttlMs > 0) {
    const byPolicy = Date.now() + policy.ttlMs;
    if (expires === 0 || byPolicy < expires) expires = byPolicy;
  }
  // A view into the socket's chunk: the router copies it only if the message is kept.
  const body = frame.body.length === 0 ? EMPTY : frame.body;
  return newMessage(dest, headers, body, persistent ?? policy.persistent ?? false, expires);
}

const EMPTY = Buffer.alloc(0);

export function requireDestination(h: string[]): string {
  const dest = getHeader(h, 'destination');
  if (dest === undefined) throw new StompboxError(ErrorCodes.MISSING_HEADER, "missing 'destination' header");
  return dest;
}

/** RabbitMQ's `expiration`: milliseconds from now. */
function relativeExpiry(v: string): number {
  if (!/^\d{1,12}$/.test(v)) throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid expiration '${v}': milliseconds expected`);
  return Date.now() + Number(v);
}

/** ActiveMQ's `expires`: epoch milliseconds; 0 = never. */
function absoluteExpiry(v: string): number {
  if (!/^\d{1,15}$/.test(v)) throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid expires '${v}': epoch milliseconds expected`);
  return Number(v);
}

function tempQueueFor(conn: StompConnection, replyTo: string, create: boolean): string {
  const name = replyTo.slice('/temp-queue/'.length);
  if (name.length === 0) throw new StompboxError(ErrorCodes.BAD_DESTINATION, `invalid reply-to '${replyTo}'`);
  let sub = conn.tempQueues.get(name);
  if (sub === undefined) {
    if (conn.tempQueues.size >= 1000) throw new StompboxError(ErrorCodes.BAD_DESTINATION, 'too many temp queues on one connection');
    if (!create) return replyTo;
    sub = new Subscription(conn, {
      id: replyTo,
      destination: `/reply-queue/${conn.id}-${encodeURIComponent(name)}`,
      ackMode: 'auto',
      prefetch: 0,
      maxPending: 0,
    });
    sub.ext = subscriptionPrefix(replyTo, conn.version);
    conn.tempQueues.set(name, sub);
    conn.ctx.router.subscribe(sub);
  }
  return sub.destination;
}
