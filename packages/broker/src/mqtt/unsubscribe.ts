/**
 * UNSUBSCRIBE (MQTT 3.1.1 §3.10, MQTT 5 §3.10): removes each filter; UNSUBACK
 * always follows [MQTT-3.10.4-5], MQTT 5 with 0x00 or 0x11 (no subscription existed).
 */
import type { IUnsubscribePacket } from 'mqtt-packet';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MqttConnection } from './connection.js';
import { inOrder } from './in-order.js';
import { unsubackPacket } from './packets.js';
import { Reason } from './reason-codes.js';
import { filterToDestination } from './topic-map.js';

export function handleUnsubscribe(conn: MqttConnection, p: IUnsubscribePacket): void {
  const pid = p.messageId ?? 0;
  if (pid === 0) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'UNSUBSCRIBE with packet identifier 0 [MQTT-2.3.1-1]');
  const session = conn.session!;
  const codes: number[] = [];
  const events = conn.ctx.events;
  for (const filter of p.unsubscriptions) {
    const info = session.subs.get(filter);
    const found = session.unsubscribe(filter);
    codes.push(found ? Reason.SUCCESS : Reason.NO_SUBSCRIPTION_EXISTED);
    if (found && events.wants.unsubscribed) {
      events.fire('unsubscribed', { client: conn.info, destination: info?.pattern ?? filterToDestination(filter), topic: filter, qos: info?.qos ?? 0 });
    }
  }
  // A kept session: UNSUBACK once the store no longer has the subscription (a crash cannot bring it back).
  const packet = unsubackPacket(conn.version, pid, codes);
  inOrder(conn, codes.includes(Reason.SUCCESS) ? session.persist() : undefined, () => conn.write(packet));
}
