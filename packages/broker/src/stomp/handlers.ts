/** Client frames and their handlers, one file per command (as Mosquitto's handle_*.c). */
import type { Frame } from '@stompbox/stomp-codec';
import type { StompConnection } from './connection.js';
import { handleConnect } from './connect.js';
import { handleSend } from './send.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';
import { handleAck, handleNack } from './ack.js';
import { handleAbort, handleBegin, handleCommit } from './transaction.js';
import { handleDisconnect } from './disconnect.js';

export type Handler = (conn: StompConnection, frame: Frame) => void;

export const handlers: Record<string, Handler | undefined> = Object.assign(Object.create(null) as Record<string, Handler>, {
  CONNECT: handleConnect,
  STOMP: handleConnect, // STOMP 1.2 §"STOMP Frame": same as CONNECT
  SEND: handleSend,
  SUBSCRIBE: handleSubscribe,
  UNSUBSCRIBE: handleUnsubscribe,
  ACK: handleAck,
  NACK: handleNack,
  BEGIN: handleBegin,
  COMMIT: handleCommit,
  ABORT: handleAbort,
  DISCONNECT: handleDisconnect,
});
