/**
 * The one HTTP server: WebSocket upgrades at /ws and /stomp (STOMP) and /mqtt (MQTT; later SockJS),
 * and a small status page at `/`. The management API and dashboard will live here.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { BrokerContext } from '../context.js';
import { createMqttWebSocketServer, mqttPaths } from './mqtt-websocket.js';
import { createStompWebSocketServer, handleUpgrade, stompPaths } from './websocket.js';

export function createHttpServer(ctx: BrokerContext): http.Server {
  const wss = createStompWebSocketServer(ctx);
  const paths = stompPaths(ctx.config);
  const mqttWss = createMqttWebSocketServer(ctx);
  const mqtt = mqttPaths(ctx.config);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/healthz') {
      const body = JSON.stringify({ name: 'stompbox', server: ctx.serverName, status: ctx.shuttingDown ? 'stopping' : 'ok', websocket: [...paths], mqtt: [...mqtt], sessions: ctx.sessions.size });
      res.writeHead(ctx.shuttingDown ? 503 : 200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (ctx.shuttingDown || !(handleUpgrade(wss, paths, req, socket, head) || handleUpgrade(mqttWss, mqtt, req, socket, head))) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return server;
}
