/** PINGREQ (MQTT 3.1.1 §3.12): answered with PINGRESP [MQTT-3.12.4-1]. Reading it already counted for keep-alive. */
import type { MqttConnection } from './connection.js';
import { PINGRESP } from './packets.js';

export function handlePingreq(conn: MqttConnection): void {
  conn.write(PINGRESP);
}
