/**
 * DISCONNECT (STOMP 1.2 §"Connection Lingering"): a graceful shutdown. The RECEIPT
 * is written before the socket is ended, so a client that waits for it knows every
 * earlier frame was processed.
 */
import type { Frame } from '@stompbox/stomp-codec';
import type { StompConnection } from './connection.js';

export function handleDisconnect(conn: StompConnection, frame: Frame): void {
  conn.receipt(frame);
  conn.close(1000, 'disconnect');
}
