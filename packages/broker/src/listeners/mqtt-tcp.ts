/**
 * MQTT over plain TCP (`mqttPort`, 1883 by default). Thin, like tcp.ts: TCP_NODELAY
 * (the outbox batches writes per turn) and bytes handed to an MQTT connection.
 */
import net from 'node:net';
import type { BrokerContext } from '../context.js';
import { MqttConnection } from '../mqtt/connection.js';
import { TcpTransport } from './tcp.js';

export function attachMqttSocket(ctx: BrokerContext, socket: net.Socket, kind: 'tcp' | 'tls'): MqttConnection {
  socket.setNoDelay(true);
  const conn = new MqttConnection(ctx, new TcpTransport(socket, kind));
  socket.on('data', (chunk: Buffer) => conn.onData(chunk));
  socket.on('close', () => conn.onTransportClose());
  socket.on('error', (err) => ctx.logger.debug({ err, session: conn.id }, 'socket error'));
  return conn;
}

export function createMqttTcpServer(ctx: BrokerContext): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    if (ctx.shuttingDown) {
      socket.destroy();
      return;
    }
    attachMqttSocket(ctx, socket, 'tcp');
  });
}
