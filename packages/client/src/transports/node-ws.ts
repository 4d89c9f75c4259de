/**
 * WebSocket in Node.js through the `ws` package, loaded when first used so that the
 * SDK itself depends on nothing (install `ws` beside it, or pass its class). `options`
 * go to `ws` (handshake headers, TLS settings, ...).
 */
import { attachWebSocket, type WebSocketLike } from './factory.js';
import type { Transport, TransportConnection } from './types.js';

type WsClass = new (url: string, protocols: string[], options?: object) => WebSocketLike;

export function nodeWebSocket(settings: { WebSocket?: WsClass; options?: object } = {}): Transport {
  let loaded: Promise<WsClass> | undefined;
  const load = () =>
    (loaded ??= settings.WebSocket !== undefined
      ? Promise.resolve(settings.WebSocket)
      : import('ws').then((m) => (m.WebSocket ?? m.default) as unknown as WsClass));
  return (url, protocols, h) => {
    let inner: TransportConnection | undefined;
    let closed = false;
    load().then(
      (Ws) => {
        if (closed) return h.onClose(1000, 'closed before opening');
        inner = attachWebSocket(new Ws(url, protocols, settings.options), h);
      },
      (err: Error) => h.onClose(1006, `cannot load the ws package: ${err.message}`),
    );
    return {
      messages: true,
      send: (frame, binary) => inner?.send(frame, binary),
      close: () => {
        closed = true;
        inner?.close();
      },
    };
  };
}
