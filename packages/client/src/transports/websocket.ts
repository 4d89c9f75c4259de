/** The browser's WebSocket (or any class with its constructor, such as `ws`'s). */
import { webSocketFactory, type WebSocketLike } from './factory.js';
import type { Transport } from './types.js';

export type WebSocketClass = new (url: string, protocols?: string | string[]) => WebSocketLike;

export function webSocket(Class?: WebSocketClass): Transport {
  return webSocketFactory((url, protocols) => new (Class ?? (WebSocket as unknown as WebSocketClass))(url, protocols));
}
