import { Client as BaseClient, type ClientOptions } from './client.js';
import { browserTransport } from './transports/default.js';

export { type ClientOptions, type ClientEvents, type ConnectionStatus, type ConnectedEvent, type PublishOptions, type ReconnectOptions } from './client.js';
export type { SendOptions } from './offline-queue.js';
export { Message, type AckOptions } from './message.js';
export { Subscription, type SubscribeOptions, type AckMode } from './subscription.js';
export { Transaction } from './transaction.js';
export { StompboxClientError, ClientErrorCodes, type ClientErrorCode } from './errors.js';
export type { GapEvent, GapReason, StreamPosition } from './recovery.js';
export type { OverflowPolicy } from './offline-queue.js';
export type { ConnectionOptions } from './session.js';
export type { Clock } from './heartbeat.js';
export type { Transport, TransportConnection, TransportHandlers } from './transports/types.js';
export { webSocket, type WebSocketClass } from './transports/websocket.js';
export { webSocketFactory, type WebSocketLike } from './transports/factory.js';
export { wechat } from './transports/wechat.js';
export { uniApp } from './transports/uni.js';
export type { MiniProgramApi, SocketTask } from './transports/mini-program.js';

/** The client; its default transport is the global WebSocket (see /node and /mini-program for the others). */
export class Client extends BaseClient {
  constructor(options: ClientOptions) {
    super(options, browserTransport);
  }
}
