/**
 * MQTT over WebSocket (MQTT 5 §6, MQTT 3.1.1 §6) at `/mqtt` on the HTTP port. The
 * sub-protocol is `mqtt` when the client offers it ([MQTT-6.0.0-3]), and a client
 * that offers none is accepted too: WeChat mini-programs often send none. Packets
 * arrive in binary messages ([MQTT-6.0.0-1]) that may split or join packets; the
 * connection's framer reassembles the stream. `maxPayload` bounds one WebSocket
 * message before `ws` buffers it.
 */
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { BrokerContext } from '../context.js';
import { MqttConnection } from '../mqtt/connection.js';
import { attachWebSocket } from './websocket.js';

export function createMqttWebSocketServer(ctx: BrokerContext): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: ctx.config.mqttMaxPacketSize + 16,
    clientTracking: false,
    handleProtocols: (offered: Set<string>) => (offered.has('mqtt') ? 'mqtt' : offered.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws: WebSocket) => attachWebSocket(ctx, ws, (t) => new MqttConnection(ctx, t)));
  return wss;
}

/** The configured MQTT WebSocket paths (`mqttWsPaths`, default `/mqtt`; empty = none). */
export function mqttPaths(config: { mqttWsPaths: string }): Set<string> {
  return new Set(config.mqttWsPaths.split(',').map((p) => p.trim()).filter((p) => p !== ''));
}
