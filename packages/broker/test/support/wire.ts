/**
 * Helpers for the black-box wire tests (`test/wire/*.test.ts`): peers that record
 * what arrived exactly as it arrived (raw TCP chunks with timestamps, WebSocket
 * messages with their text/binary kind) on top of `raw-client.ts`'s frame
 * decoding, plus small timing and CLI helpers.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { getHeader, type Frame } from '@stompbox/stomp-codec';
import { frameClient, type RawClient } from './raw-client.js';
import { CLI } from './spawn-broker.js';

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects with a clear message if `p` does not settle within `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timeout after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** One TCP chunk or one WebSocket message, as received. */
export interface Arrival {
  at: number;
  data: Buffer;
  binary: boolean;
}

export interface Peer extends RawClient {
  /** Everything received, in order (TCP: socket chunks; WebSocket: whole messages). */
  arrivals: Arrival[];
  /** Date.now() when the connection closed. */
  closedAt: number | undefined;
}

export interface TcpPeer extends Peer {
  socket: net.Socket;
}

export interface WsPeer extends Peer {
  ws: WebSocket;
  closeCode: number | undefined;
}

/** A `frameClient` that also records every arrival and the time the connection closed. */
function makePeer(writeFn: (d: Uint8Array) => void, closeFn: () => void) {
  const arrivals: Arrival[] = [];
  const { client, feed, ended } = frameClient(writeFn, closeFn, { timeoutMs: 3000, followVersion: true });
  const peer: Peer = Object.assign(client, { arrivals, closedAt: undefined as number | undefined });
  return {
    peer,
    feed(data: Buffer, binary: boolean) {
      arrivals.push({ at: Date.now(), data, binary });
      feed(data);
    },
    ended() {
      if (peer.closedAt === undefined) peer.closedAt = Date.now();
      ended();
    },
  };
}

/** A TCP peer; Nagle is off so that tiny writes leave as tiny segments. */
export function tcpPeer(port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<TcpPeer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: opts.allowHalfOpen ?? false });
    const { peer, feed, ended } = makePeer((d) => socket.write(d), () => socket.destroy());
    socket.on('data', (d: Buffer) => feed(d, true));
    socket.on('close', ended);
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(Object.assign(peer, { socket })));
    socket.once('error', reject);
  });
}

/**
 * A WebSocket peer. `send` goes as a text message when the encoded frame is valid
 * UTF-8 (as browser clients send strings), else binary; `write` sends a string as
 * text and bytes as binary.
 */
export function wsPeer(url: string, protocols: string[] = ['v12.stomp']): Promise<WsPeer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const sendBytes = (d: Uint8Array) => ws.send(isUtf8(d) ? Buffer.from(d).toString('utf8') : d);
    const { peer, feed, ended } = makePeer(sendBytes, () => ws.close());
    const wp = Object.assign(peer, { ws, closeCode: undefined as number | undefined });
    wp.write = (d) => ws.send(d);
    ws.on('message', (d: Buffer, isBinary: boolean) => feed(d, isBinary));
    ws.on('close', (code) => {
      wp.closeCode = code;
      ended();
    });
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(wp));
    ws.once('error', reject);
  });
}

/** CONNECT (STOMP 1.2, no heart-beats unless given) and wait for CONNECTED. */
export { connect as stompConnect } from './raw-client.js';

/**
 * Waits for the connection to close and returns the ERROR frame that must have
 * arrived before it (the broker flushes ERROR, then closes).
 */
export async function errorThenClose(c: RawClient, ms = 3000): Promise<Frame> {
  await within(c.closed, ms, 'the broker to close the connection');
  const i = c.frames.findIndex((f) => f.command === 'ERROR');
  assert.ok(i >= 0, `expected an ERROR frame before the close, got [${c.frames.map((f) => f.command).join(', ')}]`);
  return c.frames.splice(i, 1)[0];
}

/** Sends `command` with a fresh receipt and waits for the RECEIPT. */
let receiptSeq = 0;
export async function roundTrip(c: RawClient, command: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<Frame> {
  const id = `rt-${++receiptSeq}`;
  c.send(command, { ...headers, receipt: id }, body);
  return c.next('RECEIPT', (f) => getHeader(f.headers, 'receipt-id') === id);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI to completion (it is killed after `timeoutMs`); `env` is added to this process's. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 10000;
  const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-cli-'));
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export const headerOf = getHeader;
