/**
 * PUBACK, PUBREC and PUBCOMP from the client, for messages the broker sent
 * (MQTT 3.1.1 §3.4-3.7, MQTT 5 §4.3): they settle the core delivery (router.ack),
 * which frees in-flight room. An id the session does not know is ignored (a late
 * duplicate); for PUBREC the answer is still a PUBREL (MQTT 5: 0x92 not found).
 */
import type { IPubackPacket, IPubcompPacket, IPubrecPacket } from 'mqtt-packet';
import type { MqttConnection } from './connection.js';
import { Reason } from './reason-codes.js';

export function handlePuback(conn: MqttConnection, p: IPubackPacket): void {
  conn.session!.puback(p.messageId ?? 0);
}

export function handlePubrec(conn: MqttConnection, p: IPubrecPacket): void {
  const pid = p.messageId ?? 0;
  if (!conn.session!.pubrec(pid, p.reasonCode ?? 0) && (p.reasonCode ?? 0) < 0x80) {
    conn.sendAck(6, pid, conn.v5 ? Reason.PACKET_IDENTIFIER_NOT_FOUND : 0);
  }
}

export function handlePubcomp(conn: MqttConnection, p: IPubcompPacket): void {
  conn.session!.pubcomp(p.messageId ?? 0);
}
