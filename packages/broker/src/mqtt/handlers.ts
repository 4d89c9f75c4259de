/** Client packets and their handlers, one file per packet (as Mosquitto's handle_*.c). */
import type { Packet } from 'mqtt-packet';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import type { MqttConnection } from './connection.js';
import { handleDisconnect } from './disconnect.js';
import { handlePingreq } from './ping.js';
import { handlePuback, handlePubcomp, handlePubrec } from './puback.js';
import { handlePublish } from './publish.js';
import { handlePubrel } from './pubrel.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

type Handler = (conn: MqttConnection, packet: never) => void;

/** Packets only a server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) have no handler: a protocol error. */
export const handlers: Partial<Record<Packet['cmd'], Handler>> = {
  connect: handleConnect,
  publish: handlePublish,
  puback: handlePuback,
  pubrec: handlePubrec,
  pubrel: handlePubrel,
  pubcomp: handlePubcomp,
  subscribe: handleSubscribe,
  unsubscribe: handleUnsubscribe,
  pingreq: handlePingreq,
  disconnect: handleDisconnect,
  auth: handleAuth,
};
