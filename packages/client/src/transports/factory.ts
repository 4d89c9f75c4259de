/**
 * Any WebSocket-like object (the browser's WebSocket, `ws`, SockJS, a hand-made
 * wrapper) through a factory: `webSocketFactory((url, protocols) => new SockJS(url))`.
 * Only `onopen`, `onmessage`, `onclose`, `send` and `close` are used.
 */
import { utf8Decode } from '../utf8.js';
import type { Transport, TransportHandlers, TransportConnection } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- event parameters are `any` so that DOM, `ws` and SockJS sockets all fit. */
export interface WebSocketLike {
  binaryType?: string;
  readyState?: number;
  onopen: ((ev: any) => unknown) | null;
  onmessage: ((ev: any) => unknown) | null;
  onclose: ((ev: any) => unknown) | null;
  onerror?: ((ev: any) => unknown) | null;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

/** Wires `ws` to the handlers; used by every WebSocket-based transport. */
export function attachWebSocket(ws: WebSocketLike, h: TransportHandlers): TransportConnection {
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => h.onOpen();
  ws.onmessage = (ev: { data: string | ArrayBuffer }) => h.onData(ev.data);
  ws.onclose = (ev?: { code?: number; reason?: string }) => h.onClose(ev?.code ?? 1006, ev?.reason ?? '');
  // The close event follows an error event; the error itself says nothing useful.
  ws.onerror = () => undefined;
  if (ws.readyState === 1) Promise.resolve().then(() => h.onOpen());
  return {
    messages: true,
    send: (frame, binary) => ws.send(binary ? frame : utf8Decode(frame)),
    close: () => ws.close(),
  };
}

export function webSocketFactory(factory: (url: string, protocols: string[]) => WebSocketLike): Transport {
  return (url, protocols, h) => attachWebSocket(factory(url, protocols), h);
}
