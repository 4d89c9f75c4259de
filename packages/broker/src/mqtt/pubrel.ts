/**
 * PUBREL (MQTT 3.1.1 §3.6, MQTT 5 §3.6): the client releases a QoS 2 message it
 * sent; the packet id may be used again and PUBCOMP answers ([MQTT-4.3.3-10]). An
 * unknown id still gets PUBCOMP (MQTT 5: reason 0x92), so a client that re-sends
 * PUBREL after a reconnection finishes its exchange.
 */
import type { IPubrelPacket } from 'mqtt-packet';
import type { MqttConnection } from './connection.js';
import { inOrder } from './in-order.js';
import { Reason } from './reason-codes.js';

export function handlePubrel(conn: MqttConnection, p: IPubrelPacket): void {
  const pid = p.messageId ?? 0;
  const session = conn.session!;
  if (session.awaitingRelease?.has(pid) === true) {
    conn.inboundInflight = Math.max(0, conn.inboundInflight - 1);
    // A kept session: PUBCOMP once the id is gone from the store too, or after a crash a new
    // PUBLISH reusing the id would be taken for a duplicate and lost.
    inOrder(conn, session.released(pid), () => conn.sendAck(7, pid));
    return;
  }
  conn.sendAck(7, pid, conn.v5 ? Reason.PACKET_IDENTIFIER_NOT_FOUND : 0);
}
