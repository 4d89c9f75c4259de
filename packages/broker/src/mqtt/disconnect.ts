/**
 * DISCONNECT from the client (MQTT 3.1.1 §3.14, MQTT 5 §3.14): the will is dropped
 * ([MQTT-3.14.4-3]) unless MQTT 5 reason 0x04 asks for it, and MQTT 5 may change the
 * Session Expiry Interval, though not from 0 to more (MQTT 5 §3.14.2.2.2: a protocol error).
 */
import type { IDisconnectPacket } from 'mqtt-packet';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MqttConnection } from './connection.js';
import { CloseCode } from '../listeners/transport.js';
import { Reason } from './reason-codes.js';

export function handleDisconnect(conn: MqttConnection, p: IDisconnectPacket): void {
  const session = conn.session!;
  const expiry = p.properties?.sessionExpiryInterval;
  if (conn.v5 && expiry !== undefined) {
    if (session.expiryInterval === 0 && expiry > 0) {
      throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'Session Expiry Interval raised from 0 at DISCONNECT (MQTT 5 §3.14.2.2.2)');
    }
    session.setExpiry(Math.min(expiry, conn.ctx.config.mqttMaxSessionExpiry));
  }
  conn.normalDisconnect = !(conn.v5 && p.reasonCode === Reason.DISCONNECT_WITH_WILL);
  // [MQTT-3.14.4-1] the server closes the network connection.
  conn.close(CloseCode.NORMAL, 'disconnect');
}
