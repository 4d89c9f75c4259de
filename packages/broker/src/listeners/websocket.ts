/**
 * STOMP over WebSocket at `/ws` and `/stomp` (as RabbitMQ Web-STOMP and Spring).
 * Sub-protocols `v12.stomp`, `v11.stomp`, `v10.stomp` (the highest offered is
 * chosen) or none at all. Text and binary messages are both fed to the decoder, and
 * a frame may span several messages (stompjs 2.3.3 splits frames over 16 KB) or
 * one message may hold several frames. `ws` parses the client's frames (masking,
 * fragmentation, `maxPayload` before buffering); our outbox writes ours.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BrokerContext } from '../context.js';
import { StompConnection } from '../stomp/connection.js';
import type { SocketSession } from './tcp.js';
import type { Transport } from './transport.js';

const PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export function createStompWebSocketServer(ctx: BrokerContext): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    // Compression would stop us writing pre-built frames; STOMP messages are small.
    perMessageDeflate: false,
    maxPayload: ctx.config.maxFrameSize + 1024,
    clientTracking: false,
    handleProtocols: (offered: Set<string>) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  wss.on('connection', (ws: WebSocket) => attachWebSocket(ctx, ws, (t) => new StompConnection(ctx, t)));
  return wss;
}

/** Hands a WebSocket to the connection `make` builds on it (STOMP here, MQTT in mqtt-websocket.ts). */
export function attachWebSocket<C extends SocketSession>(ctx: BrokerContext, ws: WebSocket, make: (t: WsTransport) => C): C {
  const transport = new WsTransport(ws);
  transport.socket.setNoDelay(true);
  const conn = make(transport);
  ws.on('message', (data: Buffer) => conn.onData(data));
  ws.on('close', () => conn.onTransportClose());
  // ws reports protocol violations (bad masking, payload over maxPayload) here and closes.
  ws.on('error', (err) => ctx.logger.debug({ err, session: conn.id }, 'websocket error'));
  return conn;
}

/**
 * RFC 6455 §5.5: a close frame's reason fits in 123 bytes of UTF-8 (`ws` throws
 * otherwise, which would leave the session unclosed). Cut at a character boundary.
 */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let r = reason.slice(0, 123);
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  const last = r.charCodeAt(r.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? r.slice(0, -1) : r; // no lone high surrogate
}

/** The outbox writes our frames straight to the socket under `ws` (see outbox.ts). */
export class WsTransport implements Transport {
  readonly kind = 'ws' as const;
  readonly ws: WebSocket;
  readonly socket: Socket;
  constructor(ws: WebSocket) {
    this.ws = ws;
    this.socket = (ws as unknown as { _socket: Socket })._socket;
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, closeReason(reason));
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/** The configured STOMP WebSocket paths (`stompWsPaths`, default `/ws,/stomp`). */
export function stompPaths(config: { stompWsPaths: string }): Set<string> {
  return new Set(config.stompWsPaths.split(',').map((p) => p.trim()));
}

export function handleUpgrade(wss: WebSocketServer, paths: Set<string>, req: IncomingMessage, socket: Socket, head: Buffer): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (!paths.has(path)) return false;
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  return true;
}
