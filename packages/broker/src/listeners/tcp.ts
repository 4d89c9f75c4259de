/**
 * STOMP over plain TCP. Thin: it sets TCP_NODELAY (the outbox batches writes per
 * event-loop turn, so Nagle would only add latency) and hands bytes to a session.
 */
import net from 'node:net';
import type { BrokerContext } from '../context.js';
import { StompConnection } from '../stomp/connection.js';
import type { Transport } from './transport.js';

/** How long a half-closed socket may linger after we ended it. */
const LINGER_MS = 2000;

export function tcpTransport(socket: net.Socket, kind: 'tcp' | 'tls'): Transport {
  return {
    kind,
    socket,
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
    close() {
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    },
    destroy() {
      socket.destroy();
    },
  };
}

export function attachStompSocket(ctx: BrokerContext, socket: net.Socket, kind: 'tcp' | 'tls'): StompConnection {
  socket.setNoDelay(true);
  const conn = new StompConnection(ctx, tcpTransport(socket, kind));
  socket.on('data', (chunk: Buffer) => conn.onData(chunk));
  socket.on('close', () => conn.onTransportClose());
  socket.on('error', (err) => ctx.logger.debug({ err, session: conn.id }, 'socket error'));
  return conn;
}

export function createTcpServer(ctx: BrokerContext): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    if (ctx.shuttingDown) {
      socket.destroy();
      return;
    }
    attachStompSocket(ctx, socket, 'tcp');
  });
}
