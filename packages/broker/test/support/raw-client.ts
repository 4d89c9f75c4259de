/**
 * A minimal STOMP client over a raw TCP socket or WebSocket, for wire tests that
 * need to send exact bytes and see exact frames (no third-party client smoothing
 * anything over).
 */
import net from 'node:net';
import WebSocket from 'ws';
import { StompDecoder, encodeFrame, getHeader, type Frame, type StompVersion } from '@stompbox/stomp-codec';

export interface RawClient {
  frames: Frame[];
  closed: Promise<void>;
  isClosed(): boolean;
  /** Sends raw bytes or a string as is. */
  write(data: string | Uint8Array): void;
  send(command: string, headers: Record<string, string>, body?: string | Uint8Array, version?: StompVersion): void;
  /** Waits for the next frame with this command (and optional predicate). */
  next(command: string, pred?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(): void;
}

/** How a `frameClient` behaves. */
export interface FrameClientOptions {
  /** How long `next` waits by default, in ms. */
  timeoutMs?: number;
  /** Unescape headers as the version in CONNECTED says (CONNECTED is never escaped itself). */
  followVersion?: boolean;
}

/**
 * The transport-independent part of a client: `feed` it what arrives and call `ended`
 * when the connection closes; it decodes frames, hands them to whoever waits in `next`
 * and keeps the others in `frames`. `raw-client.ts` and the wire tests' peers build on it.
 */
export function frameClient(
  writeFn: (d: Uint8Array) => void,
  closeFn: () => void,
  opts: FrameClientOptions = {},
): { client: RawClient; feed(d: Uint8Array): void; ended(): void } {
  const frames: Frame[] = [];
  const waiters: { command: string; pred?: (f: Frame) => boolean; resolve(f: Frame): void }[] = [];
  let closed = false;
  let resolveClosed: () => void = () => undefined;
  const closedP = new Promise<void>((r) => (resolveClosed = r));
  const decoder = new StompDecoder({
    onFrame: (f) => {
      if (opts.followVersion && f.command === 'CONNECTED') decoder.version = (getHeader(f.headers, 'version') ?? '1.0') as StompVersion;
      const copy: Frame = { command: f.command, headers: f.headers, body: Buffer.from(f.body) };
      const i = waiters.findIndex((w) => w.command === copy.command && (!w.pred || w.pred(copy)));
      if (i >= 0) waiters.splice(i, 1)[0].resolve(copy);
      else frames.push(copy);
    },
  });
  const client: RawClient = {
    frames,
    closed: closedP,
    isClosed: () => closed,
    write: (d) => writeFn(typeof d === 'string' ? Buffer.from(d) : d),
    send(command, headers, body, version) {
      writeFn(encodeFrame(command, headers, body, { version }));
    },
    next(command, pred, timeoutMs = opts.timeoutMs ?? 5000) {
      const i = frames.findIndex((f) => f.command === command && (!pred || pred(f)));
      if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { command, pred, resolve: (f: Frame) => { clearTimeout(t); resolve(f); } };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          const got = frames.map((f) => f.command + ':' + (getHeader(f.headers, 'message') ?? '')).join(', ');
          reject(new Error(`timeout waiting for ${command}; got [${got}]${closed ? ' (connection closed)' : ''}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: closeFn,
  };
  return {
    client,
    feed: (d) => decoder.push(d),
    ended: () => {
      closed = true;
      resolveClosed();
    },
  };
}

export function tcpClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    // Nagle off, as client libraries set it: with it on, a burst of small frames stalls
    // behind the broker's delayed ACK of the first (some 40 ms on Linux).
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const { client, feed, ended } = frameClient((d) => s.write(d), () => s.destroy());
    s.on('data', feed);
    s.on('close', ended);
    s.on('error', () => undefined);
    s.once('connect', () => resolve(client));
    s.once('error', reject);
  });
}

export function wsClient(url: string, protocols: string[] = ['v12.stomp']): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const { client, feed, ended } = frameClient((d) => ws.send(d), () => ws.close());
    ws.on('message', (d: Buffer) => feed(d));
    ws.on('close', ended);
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

/** CONNECT (STOMP 1.2, no heart-beats unless given) and wait for CONNECTED. */
export async function connect(c: RawClient, headers: Record<string, string> = {}): Promise<Frame> {
  c.send('CONNECT', { 'accept-version': '1.2', host: '/', 'heart-beat': '0,0', ...headers });
  return c.next('CONNECTED');
}

export const header = getHeader;
