/**
 * AUTH (MQTT 5 §3.15): enhanced authentication is not offered (a CONNECT naming an
 * Authentication Method is refused with 0x8C), so an AUTH packet is a protocol error.
 */
import { ErrorCodes, StompboxError } from '../errors.js';

export function handleAuth(): void {
  throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'AUTH without an authentication exchange (MQTT 5 §4.12)');
}
