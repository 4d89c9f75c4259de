/**
 * The MQTT answer to each Stompbox error, in one place (STYLE: errors): the MQTT 5
 * reason code sent in CONNACK or DISCONNECT, and the MQTT 3.1.1 CONNACK return code
 * where 3.1.1 has one (elsewhere 3.1.1 can only close the connection, [MQTT-4.8.0-1]).
 * docs/errors.md shows the same table.
 */
import { ErrorCodes, type ErrorCode } from '../errors.js';

/** MQTT 5 reason codes used by the broker (MQTT 5 §2.4). */
export const Reason = {
  SUCCESS: 0x00,
  GRANTED_QOS_1: 0x01,
  GRANTED_QOS_2: 0x02,
  DISCONNECT_WITH_WILL: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_IDENTIFIER_NOT_VALID: 0x85,
  BAD_USER_NAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_BUSY: 0x89,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_IN_USE: 0x91,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  PAYLOAD_FORMAT_INVALID: 0x99,
  RETAIN_NOT_SUPPORTED: 0x9a,
  QOS_NOT_SUPPORTED: 0x9b,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
  SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: 0xa1,
  WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: 0xa2,
  SERVER_SHUTTING_DOWN: 0x8b,
} as const;

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const ConnackV4 = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USER_NAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

interface MqttAnswer {
  /** MQTT 5 reason code (CONNACK or DISCONNECT). */
  v5: number;
  /** MQTT 3.1.1 CONNACK return code, when the error can happen while connecting. */
  v4?: number;
}

const ANSWERS: Partial<Record<ErrorCode, MqttAnswer>> = {
  [ErrorCodes.MQTT_MALFORMED_PACKET]: { v5: Reason.MALFORMED_PACKET },
  [ErrorCodes.MQTT_PROTOCOL_ERROR]: { v5: Reason.PROTOCOL_ERROR },
  [ErrorCodes.MQTT_PACKET_TOO_LARGE]: { v5: Reason.PACKET_TOO_LARGE },
  [ErrorCodes.MQTT_UNSUPPORTED_PROTOCOL]: { v5: Reason.UNSUPPORTED_PROTOCOL_VERSION, v4: ConnackV4.UNACCEPTABLE_PROTOCOL_VERSION },
  [ErrorCodes.MQTT_CLIENT_ID_REJECTED]: { v5: Reason.CLIENT_IDENTIFIER_NOT_VALID, v4: ConnackV4.IDENTIFIER_REJECTED },
  [ErrorCodes.MQTT_BAD_AUTH_METHOD]: { v5: Reason.BAD_AUTHENTICATION_METHOD, v4: ConnackV4.NOT_AUTHORIZED },
  [ErrorCodes.MQTT_NOT_AUTHORIZED]: { v5: Reason.NOT_AUTHORIZED, v4: ConnackV4.NOT_AUTHORIZED },
  [ErrorCodes.MQTT_RECEIVE_MAXIMUM_EXCEEDED]: { v5: Reason.RECEIVE_MAXIMUM_EXCEEDED },
  [ErrorCodes.MQTT_TOPIC_ALIAS_INVALID]: { v5: Reason.TOPIC_ALIAS_INVALID },
  [ErrorCodes.MQTT_SESSION_TAKEN_OVER]: { v5: Reason.SESSION_TAKEN_OVER },
  [ErrorCodes.AUTH_FAILED]: { v5: Reason.BAD_USER_NAME_OR_PASSWORD, v4: ConnackV4.BAD_USER_NAME_OR_PASSWORD },
  [ErrorCodes.NOT_CONNECTED]: { v5: Reason.PROTOCOL_ERROR },
  [ErrorCodes.ALREADY_CONNECTED]: { v5: Reason.PROTOCOL_ERROR },
  [ErrorCodes.BAD_DESTINATION]: { v5: Reason.TOPIC_NAME_INVALID },
  [ErrorCodes.HEARTBEAT_TIMEOUT]: { v5: Reason.KEEP_ALIVE_TIMEOUT },
  [ErrorCodes.SLOW_CONSUMER]: { v5: Reason.QUOTA_EXCEEDED },
  [ErrorCodes.SHUTTING_DOWN]: { v5: Reason.SERVER_SHUTTING_DOWN, v4: ConnackV4.SERVER_UNAVAILABLE },
  [ErrorCodes.STORE_FAILED]: { v5: Reason.UNSPECIFIED_ERROR, v4: ConnackV4.SERVER_UNAVAILABLE },
  [ErrorCodes.SESSION_UNAVAILABLE]: { v5: Reason.SERVER_UNAVAILABLE, v4: ConnackV4.SERVER_UNAVAILABLE },
};

/** The MQTT answer to an error code (unknown ones: unspecified error / server unavailable). */
export function mqttAnswer(code: string): MqttAnswer {
  return ANSWERS[code as ErrorCode] ?? { v5: Reason.UNSPECIFIED_ERROR, v4: ConnackV4.SERVER_UNAVAILABLE };
}
