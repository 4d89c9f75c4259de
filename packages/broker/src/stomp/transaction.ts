/**
 * BEGIN, COMMIT, ABORT (STOMP 1.2 §BEGIN): SEND, ACK and NACK frames naming a
 * transaction are held and take effect, in order, at COMMIT; ABORT and a closed
 * connection discard them. Bounded: a transaction holds at most MAX_FRAMES frames.
 */
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import type { Message } from '../core/message.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { StompConnection } from './connection.js';
import { settle } from './ack.js';
import { publishFrame } from './send.js';

const MAX_FRAMES = 10_000;
const MAX_TRANSACTIONS = 100;

function requireTx(conn: StompConnection, frame: Frame): string {
  const tx = getHeader(frame.headers, 'transaction');
  if (tx === undefined) throw new StompboxError(ErrorCodes.MISSING_HEADER, "missing 'transaction' header");
  return tx;
}

export function handleBegin(conn: StompConnection, frame: Frame): void {
  const tx = requireTx(conn, frame);
  if (conn.txs.has(tx)) throw new StompboxError(ErrorCodes.BAD_TRANSACTION, `transaction '${tx}' is already open`);
  if (conn.txs.size >= MAX_TRANSACTIONS) throw new StompboxError(ErrorCodes.BAD_TRANSACTION, `more than ${MAX_TRANSACTIONS} open transactions`);
  conn.txs.set(tx, []);
  conn.receipt(frame);
}

export function handleCommit(conn: StompConnection, frame: Frame): void {
  const tx = requireTx(conn, frame);
  const held = conn.txs.get(tx);
  if (held === undefined) throw new StompboxError(ErrorCodes.BAD_TRANSACTION, `no open transaction '${tx}'`);
  conn.txs.delete(tx);
  // With a receipt, the COMMIT's RECEIPT precedes this connection's copies of what it sent (receipt-fence.ts).
  const fenced: Message[] | undefined = getHeader(frame.headers, 'receipt') === undefined ? undefined : [];
  for (const f of held) {
    if (f.command === 'SEND') publishFrame(conn, f, fenced);
    else settle(conn, f, f.command === 'ACK' ? 'ack' : 'nack');
  }
  // Everything the transaction stored went into this turn's store commit.
  conn.receiptAfter(frame, conn.ctx.router.pendingCommit(), undefined, fenced);
}

export function handleAbort(conn: StompConnection, frame: Frame): void {
  const tx = requireTx(conn, frame);
  if (!conn.txs.delete(tx)) throw new StompboxError(ErrorCodes.BAD_TRANSACTION, `no open transaction '${tx}'`);
  conn.receipt(frame);
}

/** Holds a frame until COMMIT; its body is copied (the decoder's view would not survive). */
export function holdInTransaction(conn: StompConnection, tx: string, frame: Frame): void {
  const held = conn.txs.get(tx);
  if (held === undefined) throw new StompboxError(ErrorCodes.BAD_TRANSACTION, `no open transaction '${tx}'`);
  if (held.length >= MAX_FRAMES) throw new StompboxError(ErrorCodes.TRANSACTION_TOO_LARGE, `transaction '${tx}' holds more than ${MAX_FRAMES} frames`);
  held.push({ command: frame.command, headers: frame.headers, body: Buffer.from(frame.body) });
}
