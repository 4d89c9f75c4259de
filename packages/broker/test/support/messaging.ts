/**
 * Helpers for the messaging-semantics wire tests (`test/wire/10-20`): connected
 * clients of a given STOMP version, receipt round trips, collecting MESSAGE frames,
 * asserting silence, a deliberately slow TCP subscriber that stops reading, and
 * brokers restarted on one data directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { spawnBroker, type SpawnedBroker } from './spawn-broker.js';
import { StompDecoder, encodeFrame, getHeader, unescape, type Frame, type StompVersion } from '@stompbox/stomp-codec';
import { tcpClient, wsClient, type RawClient } from './raw-client.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let seq = 0;
/** A destination name unique to this process, so tests sharing a broker do not meet. */
export function uniq(prefix: string): string {
  return `${prefix}${process.pid}-${++seq}`;
}

export interface Client extends RawClient {
  version: StompVersion;
}

/** Connects over TCP (or WebSocket when `ws` is given) and negotiates `version`. */
export async function open(
  where: number | string,
  opts: { version?: StompVersion; headers?: Record<string, string> } = {},
): Promise<Client> {
  const version = opts.version ?? '1.2';
  const raw = typeof where === 'number' ? await tcpClient(where) : await wsClient(where);
  const headers: Record<string, string> = version === '1.0' ? {} : { 'accept-version': version, host: '/', 'heart-beat': '0,0' };
  raw.send('CONNECT', { ...headers, ...opts.headers });
  const connected = await raw.next('CONNECTED');
  if (version !== '1.0') assert.equal(getHeader(connected.headers, 'version'), version);
  return Object.assign(raw, { version });
}

let receiptSeq = 0;
/** Sends a frame (escaped for the client's version) with a fresh receipt and waits for the RECEIPT. */
export async function rt(c: Client, command: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<void> {
  const id = `r-${++receiptSeq}`;
  c.send(command, { ...headers, receipt: id }, body, c.version);
  await c.next('RECEIPT', (f) => getHeader(f.headers, 'receipt-id') === id);
}

/** Sends a frame escaped for the client's version, without waiting. */
export function send(c: Client, command: string, headers: Record<string, string>, body?: string | Uint8Array): void {
  c.send(command, headers, body, c.version);
}

/** SUBSCRIBE and wait until it took effect. */
export function subscribe(c: Client, id: string, destination: string, extra: Record<string, string> = {}): Promise<void> {
  return rt(c, 'SUBSCRIBE', { id, destination, ...extra });
}

/** Publishes `bodies` to `destination`, the last one with a receipt (so all were routed on return). */
export async function publish(c: Client, destination: string, bodies: string[], headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < bodies.length - 1; i++) send(c, 'SEND', { destination, ...headers }, bodies[i]);
  if (bodies.length > 0) await rt(c, 'SEND', { destination, ...headers }, bodies[bodies.length - 1]);
}

/** The next `n` MESSAGE frames (optionally only those matching `pred`). */
export async function take(c: RawClient, n: number, pred?: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let i = 0; i < n; i++) out.push(await c.next('MESSAGE', pred, timeoutMs));
  return out;
}

/** Asserts that no frame with this command arrives within `ms` (and none is waiting). */
export async function quiet(c: RawClient, ms = 150, command = 'MESSAGE'): Promise<void> {
  await sleep(ms);
  const got = c.frames.filter((f) => f.command === command);
  assert.equal(got.length, 0, `expected no ${command}, got: ${got.map((f) => body(f)).join(' | ')}`);
}

/** A header as the sender meant it: unescaped for 1.1/1.2 (the raw client does not unescape). */
export function hdr(f: Frame, name: string, version: StompVersion = '1.2'): string | undefined {
  const v = getHeader(f.headers, name);
  return v === undefined || version === '1.0' ? v : unescape(v);
}

export function body(f: Frame): string {
  return Buffer.from(f.body).toString('utf8');
}

export const bodies = (fs: Frame[]) => fs.map(body);

/** Waits for an ERROR frame and for the broker to close the connection. */
export async function errorAndClose(c: RawClient, timeoutMs = 3000): Promise<Frame> {
  const err = await c.next('ERROR', undefined, timeoutMs);
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error('the broker did not close the connection after ERROR')), timeoutMs);
  });
  await Promise.race([c.closed, late]).finally(() => clearTimeout(t));
  return err;
}

/** VmRSS of a process in kB (Linux). */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'no VmRSS in /proc/<pid>/status');
  return Number(m[1]);
}

/**
 * A subscriber on a raw TCP socket that stops reading right after its SUBSCRIBE
 * was confirmed: the kernel buffers fill and the broker's output for it backs up.
 * `resume()` reads again and reports what arrives until the connection closes or
 * `settleMs` pass without data.
 */
export interface SlowSubscriber {
  socket: net.Socket;
  /** Starts reading again; resolves with the frames read and whether the broker closed the connection. */
  resume(settleMs?: number): Promise<{ frames: Frame[]; closed: boolean }>;
}

export async function slowSubscriber(port: number, destination: string, extra: Record<string, string> = {}): Promise<SlowSubscriber> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames: Frame[] = [];
  let closed = false;
  let lastData = Date.now();
  let onFrame: ((f: Frame) => void) | undefined;
  const decoder = new StompDecoder({
    version: '1.2',
    onFrame: (f) => {
      const copy = { command: f.command, headers: f.headers, body: Buffer.from(f.body) };
      frames.push(copy);
      onFrame?.(copy);
    },
  });
  socket.on('data', (d: Buffer) => {
    lastData = Date.now();
    decoder.push(d);
  });
  socket.on('close', () => (closed = true));
  const seen = (command: string) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`slow subscriber: no ${command}`)), 5000);
      onFrame = (f) => {
        if (f.command === command) {
          clearTimeout(t);
          onFrame = undefined;
          resolve();
        }
      };
    });
  let wait = seen('CONNECTED');
  socket.write(encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/', 'heart-beat': '0,0' }));
  await wait;
  wait = seen('RECEIPT');
  socket.write(encodeFrame('SUBSCRIBE', { id: 'slow', destination, receipt: 'subscribed', ...extra }, undefined, { version: '1.2' }));
  await wait;
  socket.pause();
  frames.length = 0;
  return {
    socket,
    async resume(settleMs = 500) {
      lastData = Date.now();
      socket.resume();
      while (!closed && Date.now() - lastData < settleMs) await sleep(25);
      return { frames, closed };
    },
  };
}

/**
 * One broker for a test file: started in `before`, stopped (with every client the file
 * opened) in `after`. `client()` opens a connected client over TCP, or WebSocket with `ws`.
 */
export function fileBroker(args: string[] = []): { client(opts?: Parameters<typeof open>[1] & { ws?: boolean }): Promise<Client> } {
  let broker: SpawnedBroker;
  const clients: Client[] = [];
  before(async () => {
    broker = await spawnBroker(args);
  });
  after(async () => {
    for (const c of clients) c.close();
    await broker.stop();
  });
  return {
    async client(opts = {}) {
      const c = await open(opts.ws ? broker.wsUrl : broker.stompPort, opts);
      clients.push(c);
      return c;
    },
  };
}

/**
 * Brokers that share one data directory for a test file, to be crashed and started
 * again: `start()` spawns one (with `args`), `client(b)` opens a connected client to it;
 * after each test every client is closed and every broker SIGKILLed, and the data
 * directory is removed after the file.
 */
export function dataDirBrokers(prefix: string, args: string[] = []): {
  dataDir: string;
  start(): Promise<SpawnedBroker>;
  client(b: SpawnedBroker, headers?: Record<string, string>): Promise<Client>;
} {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const started: SpawnedBroker[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const b of started.splice(0)) await b.stop('SIGKILL');
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  return {
    dataDir,
    async start() {
      const b = await spawnBroker(['--data-dir', dataDir, ...args]);
      started.push(b);
      return b;
    },
    async client(b, headers = {}) {
      const c = await open(b.stompPort, { headers });
      clients.push(c);
      return c;
    },
  };
}
