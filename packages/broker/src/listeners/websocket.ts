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
import type { Transport } from './transport.js';

export const STOMP_PATHS = new Set(['/ws', '/stomp']);
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
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => attachStompWebSocket(ctx, ws, req));
  return wss;
}

function attachStompWebSocket(ctx: BrokerContext, ws: WebSocket, req: IncomingMessage): void {
  const socket = (ws as unknown as { _socket: Socket })._socket;
  socket.setNoDelay(true);
  const transport: Transport = {
    kind: 'ws',
    socket,
    remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
    close(code, reason) {
      ws.close(code, closeReason(reason));
    },
    destroy() {
      ws.terminate();
    },
  };
  const conn = new StompConnection(ctx, transport);
  ws.on('message', (data: Buffer) => conn.onData(data));
  ws.on('close', () => conn.onTransportClose());
  ws.on('error', (err) => {
    // ws reports protocol violations (bad masking, payload over maxPayload) here and closes.
    ctx.logger.debug({ err, session: conn.id }, 'websocket error');
  });
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

export function handleUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Socket, head: Buffer): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (!STOMP_PATHS.has(path)) return false;
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  return true;
}
