/**
 * A STOMP 1.2 client over TCP that hands every frame to a callback as it arrives
 * (no waiting queue, no timeouts), for tests that keep many requests in flight and
 * match RECEIPTs by id themselves, and that must survive the broker dying mid-stream:
 * writes after the connection went are dropped, errors are swallowed, `closed` settles.
 */
import net from 'node:net';
import { StompDecoder, encodeFrame, getHeader, type Frame } from '@stompbox/stomp-codec';

export interface StreamClient {
  send(command: string, headers: Record<string, string>, body?: string | Uint8Array): void;
  /** Settles when the connection closed (by either side). */
  closed: Promise<void>;
  isClosed(): boolean;
  close(): void;
}

/** Connects, sends CONNECT and resolves on CONNECTED; every later frame goes to `onFrame`. */
export function streamClient(port: number, onFrame: (f: Frame) => void, timeoutMs = 5000): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let isClosed = false;
    let connected = false;
    const closed = new Promise<void>((r) => socket.on('close', () => ((isClosed = true), r())));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no CONNECTED'));
    }, timeoutMs);
    const client: StreamClient = {
      send(command, headers, body) {
        if (!isClosed && !socket.destroyed) socket.write(encodeFrame(command, headers, body, { version: '1.2' }));
      },
      closed,
      isClosed: () => isClosed,
      close: () => socket.destroy(),
    };
    const decoder = new StompDecoder({
      version: '1.2',
      onFrame: (f) => {
        const copy: Frame = { command: f.command, headers: f.headers, body: Buffer.from(f.body) };
        if (connected) return onFrame(copy);
        clearTimeout(timer);
        if (copy.command !== 'CONNECTED') {
          socket.destroy();
          return reject(new Error(`expected CONNECTED, got ${copy.command}: ${getHeader(copy.headers, 'message') ?? ''}`));
        }
        connected = true;
        resolve(client);
      },
    });
    socket.on('data', (d: Buffer) => decoder.push(d));
    socket.on('error', (err) => {
      if (!connected) {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.once('connect', () => socket.write(encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/', 'heart-beat': '0,0' })));
    socket.on('close', () => {
      if (!connected) {
        clearTimeout(timer);
        reject(new Error('connection closed before CONNECTED'));
      }
    });
  });
}
