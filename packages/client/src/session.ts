/**
 * One connection: opens the transport, sends CONNECT, decodes what arrives, answers
 * receipts, runs heart-beats, and reports its end exactly once. It knows nothing of
 * reconnecting, subscriptions or queues (client.ts does); the stompjs facade uses it
 * directly.
 */
import { getHeader, type Frame, type StompVersion } from '@stompbox/stomp-codec';
import { encodeFrame } from './encode.js';
import { utf8Decode, utf8Encode } from './utf8.js';
import { ClientErrorCodes, StompboxClientError } from './errors.js';
import { FrameReader } from './reader.js';
import { Heartbeat, negotiate, realClock, type Clock } from './heartbeat.js';
import type { Transport, TransportConnection } from './transports/types.js';

export interface SessionOptions {
  url: string;
  transport: Transport;
  protocols: string[];
  /** CONNECT headers, flat; accept-version and heart-beat are added. */
  connectHeaders: string[];
  acceptVersion: string;
  /** [cx, cy]: the heart-beats offered, in ms. */
  heartbeat: [number, number];
  /** ms from the start until CONNECTED (0 = none). */
  connectTimeout: number;
  /** Largest frame accepted from the broker, in bytes (default 10 MiB). */
  maxFrameSize?: number;
  clock?: Clock;
  debug?: (line: string) => void;
  onConnected(frame: Frame): void;
  onMessage(frame: Frame): void;
  /** A RECEIPT that answers no `request()` (a receipt header the application set itself). */
  onReceipt?(frame: Frame): void;
  /** An ERROR frame that answers no pending receipt (the broker closes next). */
  onError(frame: Frame): void;
  onClosed(error: StompboxClientError | undefined, code: number, reason: string): void;
}

interface Pending {
  resolve(frame: Frame): void;
  reject(err: Error): void;
}

let receiptCounter = 0;

export class Session {
  version: StompVersion | undefined;
  connected = false;
  closed = false;
  private conn_!: TransportConnection;
  private readonly decoder_: FrameReader;
  private heartbeat_: Heartbeat | undefined;
  private readonly receipts_ = new Map<string, Pending>();
  private timer_: ReturnType<typeof setTimeout> | undefined;
  private error_: StompboxClientError | undefined;

  constructor(readonly options: SessionOptions) {
    const o = options;
    this.decoder_ = new FrameReader(
      (f) => this.frame_(f),
      () => o.debug?.('<<< PONG'),
      o.maxFrameSize,
    );
    if (o.connectTimeout > 0) {
      this.timer_ = setTimeout(
        () => this.fail(ClientErrorCodes.CONNECT_TIMEOUT, `no CONNECTED from ${o.url} within ${o.connectTimeout} ms`),
        o.connectTimeout,
      );
    }
    o.debug?.('Opening Web Socket...');
    this.conn_ = o.transport(o.url, o.protocols, {
      onOpen: () => {
        if (this.closed) return;
        o.debug?.('Web Socket Opened...');
        this.send('CONNECT', [...o.connectHeaders, 'accept-version', o.acceptVersion, 'heart-beat', o.heartbeat.join(',')]);
      },
      onData: (data) => this.data_(data),
      onClose: (code, reason) => this.end_(code, reason),
    });
  }

  /** Encodes and writes a frame (dropped once closed). */
  send(command: string, headers: string[], body?: Uint8Array | string): void {
    if (this.closed) return;
    const bytes = encodeFrame(command, headers, body, this.version);
    this.options.debug?.(`>>> ${utf8Decode(bytes)}`);
    this.heartbeat_?.sent();
    this.conn_.send(bytes, typeof body === 'object');
  }

  /** Sends with a `receipt` header; resolves with the RECEIPT, rejects on ERROR or loss. */
  request(command: string, headers: string[], body?: Uint8Array | string): Promise<Frame> {
    const id = `r-${++receiptCounter}`;
    const p = new Promise<Frame>((resolve, reject) => this.receipts_.set(id, { resolve, reject }));
    this.send(command, [...headers, 'receipt', id], body);
    return p;
  }

  /** Ends the connection: DISCONNECT (with a receipt, waited for up to `wait` ms) when connected. */
  async disconnect(wait = 3000): Promise<void> {
    if (this.connected && !this.closed) {
      const done = this.request('DISCONNECT', []).catch(() => undefined);
      await Promise.race([done, new Promise((r) => setTimeout(r, wait))]);
    }
    this.end_(1000, 'disconnect');
  }

  /** Closes at once, without DISCONNECT (stompjs's disconnect sends its own first). */
  close(): void {
    this.end_(1000, 'closed');
  }

  /** Closes at once with an error (heart-beat timeout, protocol error, timeout). */
  fail(code: (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes], message: string, frame?: Frame, cause?: unknown): void {
    this.error_ ??= new StompboxClientError(code, message, frame, cause);
    this.end_(1006, message);
  }

  private data_(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.closed) return;
    this.heartbeat_?.received();
    const bytes =
      typeof data === 'string'
        ? utf8Encode(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data);
    // As stompjs: what arrived, as it arrived (a lone heart-beat is logged as PONG by the decoder).
    if (this.options.debug && !(bytes.length === 1 && bytes[0] === 10)) this.options.debug(`<<< ${typeof data === 'string' ? data : utf8Decode(bytes)}`);
    try {
      this.decoder_.push(bytes);
      if (this.conn_.messages) this.decoder_.end();
    } catch (err) {
      this.fail(ClientErrorCodes.PROTOCOL, `bad frame from ${this.options.url}: ${(err as Error).message}`, undefined, err);
    }
  }

  private frame_(f: Frame): void {
    const o = this.options;
    if (this.closed) return;
    switch (f.command) {
      case 'CONNECTED': {
        if (this.connected) return;
        clearTimeout(this.timer_);
        this.connected = true;
        const v = getHeader(f.headers, 'version');
        this.version = v === '1.1' || v === '1.2' ? v : '1.0';
        this.decoder_.version = this.version;
        const [out, inc] = this.version === '1.0' ? [0, 0] : negotiate(this.options.heartbeat, getHeader(f.headers, 'heart-beat'));
        if (out > 0) o.debug?.(`send PING every ${out}ms`);
        if (inc > 0) o.debug?.(`check PONG every ${inc}ms`);
        if (out > 0 || inc > 0) {
          this.heartbeat_ = new Heartbeat(
            out,
            inc,
            () => {
              o.debug?.('>>> PING');
              this.conn_.send(LF, false);
            },
            (ms) => this.fail(ClientErrorCodes.HEARTBEAT_TIMEOUT, `nothing from ${o.url} for ${ms} ms (heart-beat ${inc} ms)`),
            o.clock ?? realClock,
          );
        }
        o.onConnected(f);
        return;
      }
      case 'MESSAGE':
        o.onMessage(f);
        return;
      case 'RECEIPT': {
        const id = getHeader(f.headers, 'receipt-id') ?? '';
        const p = this.receipts_.get(id);
        this.receipts_.delete(id);
        if (p) p.resolve(f);
        else o.onReceipt?.(f);
        return;
      }
      case 'ERROR': {
        const message = getHeader(f.headers, 'message') ?? utf8Decode(f.body);
        const id = getHeader(f.headers, 'receipt-id');
        const p = id === undefined ? undefined : this.receipts_.get(id);
        // Only a refused login ends the client's retries: any other ERROR (a broker
        // starting up, overloaded, a version it does not speak yet) is retried with backoff.
        const refused = !this.connected && (getHeader(f.headers, 'code') === 'STOMPBOX_ERR_AUTH_FAILED' || LOGIN_REFUSED.test(message));
        const code = refused ? ClientErrorCodes.CONNECT_REFUSED : ClientErrorCodes.SERVER_ERROR;
        const err = new StompboxClientError(code, `${o.url}: ${message}`, f);
        if (p !== undefined && id !== undefined) {
          this.receipts_.delete(id);
          p.reject(err);
        }
        this.error_ ??= err;
        o.onError(f);
        return;
      }
    }
  }

  private end_(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer_);
    this.heartbeat_?.stop();
    // A transport may fail inside its own constructor call, before `conn` is set.
    this.conn_?.close();
    const lost = new StompboxClientError(ClientErrorCodes.CONNECTION_LOST, `connection to ${this.options.url} closed (${code}${reason ? ` ${reason}` : ''})`);
    for (const p of this.receipts_.values()) p.reject(lost);
    this.receipts_.clear();
    this.options.onClosed(this.error_, code, reason);
  }
}

const LF = new Uint8Array([10]);
/** How brokers word a refused login (RabbitMQ, ActiveMQ, Artemis, Stompbox, Spring). */
const LOGIN_REFUSED = /auth|login|passcode|password|credential|access refused|denied|unauthori[sz]ed|forbidden/i;
