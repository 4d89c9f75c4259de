/**
 * MQTT over plain TCP (`mqttPort`, 1883 by default). Thin, like tcp.ts: TCP_NODELAY
 * (the outbox batches writes per turn) and bytes handed to an MQTT connection.
 */
import net from 'node:net';
import type { BrokerContext } from '../context.js';
import { MqttConnection } from '../mqtt/connection.js';
import { attachSocket, socketServer } from './tcp.js';

export function attachMqttSocket(ctx: BrokerContext, socket: net.Socket, kind: 'tcp' | 'tls'): MqttConnection {
  return attachSocket(ctx, socket, kind, (t) => new MqttConnection(ctx, t));
}

export function createMqttTcpServer(ctx: BrokerContext): net.Server {
  return socketServer(ctx, attachMqttSocket);
}
