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

/** A class, not an object of closures: one per connection, so its methods live on the prototype. */
export class TcpTransport implements Transport {
  readonly kind: 'tcp' | 'tls';
  readonly socket: net.Socket;
  constructor(socket: net.Socket, kind: 'tcp' | 'tls') {
    this.socket = socket;
    this.kind = kind;
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  close(): void {
    const socket = this.socket;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** What a protocol connection (STOMP, MQTT) takes from its socket: bytes, and the end. */
export interface SocketSession {
  readonly id: string;
  onData(chunk: Buffer): void;
  onTransportClose(): void;
}

/** Hands a TCP socket to the connection `make` builds on it. */
export function attachSocket<C extends SocketSession>(ctx: BrokerContext, socket: net.Socket, kind: 'tcp' | 'tls', make: (t: TcpTransport) => C): C {
  socket.setNoDelay(true);
  const conn = make(new TcpTransport(socket, kind));
  socket.on('data', (chunk: Buffer) => conn.onData(chunk));
  socket.on('close', () => conn.onTransportClose());
  socket.on('error', (err) => ctx.logger.debug({ err, session: conn.id }, 'socket error'));
  return conn;
}

export function attachStompSocket(ctx: BrokerContext, socket: net.Socket, kind: 'tcp' | 'tls'): StompConnection {
  return attachSocket(ctx, socket, kind, (t) => new StompConnection(ctx, t));
}

/** A TCP server handing each socket to `attach` (refused once the broker is shutting down). */
export function socketServer(ctx: BrokerContext, attach: (ctx: BrokerContext, socket: net.Socket, kind: 'tcp') => unknown): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    if (ctx.shuttingDown) socket.destroy();
    else attach(ctx, socket, 'tcp');
  });
}

export function createTcpServer(ctx: BrokerContext): net.Server {
  return socketServer(ctx, attachStompSocket);
}
