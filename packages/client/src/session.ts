/**
 * One connection: opens the transport, sends CONNECT, decodes what arrives, answers
 * receipts, runs heart-beats, and reports its end exactly once. It knows nothing of
 * reconnecting, subscriptions or queues (client.ts does); the stompjs facade uses it
 * directly.
 */
import { getHeader, headersFromRecord, type Frame, type StompVersion } from '@stompbox/stomp-codec';
import { encodeFrame } from './encode.js';
import { utf8Decode, utf8Encode } from './utf8.js';
import { ClientErrorCodes, StompboxClientError, type ClientErrorCode } from './errors.js';
import { frameReader, type FrameReader } from './reader.js';
import { within } from './within.js';
import { heartbeat, negotiate, type Clock, type Heartbeat } from './heartbeat.js';
import { STOMP_PROTOCOLS, type Transport, type TransportConnection } from './transports/types.js';

/** What a connection needs of the client's options (the client passes its own). */
export interface ConnectionOptions {
  /** WebSocket sub-protocols (default v12.stomp, v11.stomp, v10.stomp). */
  protocols?: string[];
  login?: string;
  passcode?: string;
  /** The `host` header (a virtual host); not sent unless given. */
  host?: string;
  connectHeaders?: Record<string, string>;
  /** Default '1.2,1.1,1.0'. */
  acceptVersion?: string;
  /** Heart-beats in ms (default 10000 both ways; 0 = none). */
  heartbeat?: { outgoing?: number; incoming?: number };
  /** ms to wait for CONNECTED (default 10000; 0 = no limit). */
  connectTimeout?: number;
  debug?: (line: string) => void;
  /** Largest frame accepted from the broker, in bytes (default 10 MiB); a larger one is a protocol error. */
  maxFrameSize?: number;
  /** Time source for heart-beats (tests, the stompjs facade's timer hooks). */
  clock?: Clock;
}

/** What the session reports to its owner (the client, or the stompjs facade). */
export interface SessionHandlers {
  onConnected_(frame: Frame): void;
  onMessage_(frame: Frame): void;
  /** A RECEIPT that answers no `request()` (a receipt header the application set itself). */
  onReceipt_?(frame: Frame): void;
  /** An ERROR frame that answers no pending receipt (the broker closes next). */
  onError_?(frame: Frame): void;
  onClosed_(error: StompboxClientError | undefined, code: number, reason: string): void;
}

interface Pending {
  resolve(frame: Frame): void;
  reject(err: Error): void;
}

let receiptCounter = 0;

export class Session {
  version_: StompVersion | undefined;
  connected_ = false;
  closed_ = false;
  private conn_!: TransportConnection;
  private readonly reader_: FrameReader;
  private heartbeat_: Heartbeat | undefined;
  private readonly receipts_ = new Map<string, Pending>();
  private timer_: ReturnType<typeof setTimeout> | undefined;
  private error_: StompboxClientError | undefined;
  /** The heart-beats offered in CONNECT: [cx, cy] in ms. */
  private readonly offer_: [number, number];

  constructor(
    readonly url_: string,
    transport: Transport,
    private readonly o_: ConnectionOptions,
    private readonly h_: SessionHandlers,
  ) {
    const o = o_;
    const debug = o.debug;
    const wait = o.connectTimeout ?? 10000;
    const hb = o.heartbeat;
    const offer = (this.offer_ = [hb?.outgoing ?? 10000, hb?.incoming ?? 10000]);
    this.reader_ = frameReader(
      (f) => this.frame_(f),
      () => debug?.('<<< PONG'),
      o.maxFrameSize,
    );
    this.conn_ = transport(url_, o.protocols ?? STOMP_PROTOCOLS, {
      onOpen: () => {
        if (this.closed_) return;
        this.send_('CONNECT', [
          ...headersFromRecord({ login: o.login, passcode: o.passcode, host: o.host, ...o.connectHeaders }),
          'accept-version',
          o.acceptVersion ?? '1.2,1.1,1.0',
          'heart-beat',
          offer.join(),
        ]);
      },
      onData: (data) => this.data_(data),
      onClose: (code, reason) => this.end_(code, reason),
    });
    // After the transport call, which may throw (no transport here): then nothing is left scheduled.
    if (wait > 0) this.timer_ = setTimeout(() => this.fail_(ClientErrorCodes.CONNECT_TIMEOUT, `no CONNECTED within ${wait} ms`), wait);
  }

  /** Encodes and writes a frame (dropped once closed). */
  send_(command: string, headers: string[], body?: Uint8Array | string): void {
    if (this.closed_) return;
    const bytes = encodeFrame(command, headers, body, this.version_);
    this.o_.debug?.(`>>> ${utf8Decode(bytes)}`);
    this.heartbeat_?.sent_();
    this.conn_.send(bytes, typeof body === 'object');
  }

  /** Sends with a `receipt` header; resolves with the RECEIPT, rejects on ERROR or loss. */
  request_(command: string, headers: string[], body?: Uint8Array | string): Promise<Frame> {
    const id = `r-${++receiptCounter}`;
    const p = new Promise<Frame>((resolve, reject) => this.receipts_.set(id, { resolve, reject }));
    this.send_(command, [...headers, 'receipt', id], body);
    return p;
  }

  /** Ends the connection: DISCONNECT (its receipt waited for up to 3 s) when connected. */
  async disconnect_(): Promise<void> {
    if (this.connected_ && !this.closed_) {
      await within(this.request_('DISCONNECT', []).catch(() => undefined), 3000);
    }
    this.end_(1000, 'disconnect');
  }

  /** Closes at once with an error (heart-beat timeout, protocol error, timeout); without one, as asked. */
  fail_(code?: ClientErrorCode, message = 'closed', frame?: Frame, cause?: unknown): void {
    if (code) this.error_ ??= new StompboxClientError(code, `${this.url_}: ${message}`, frame, cause);
    this.end_(code ? 1006 : 1000, message);
  }

  private data_(data: string | ArrayBuffer | Uint8Array): void {
    if (this.closed_) return;
    this.heartbeat_?.received_();
    const bytes = typeof data === 'string' ? utf8Encode(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
    const debug = this.o_.debug;
    // As stompjs: what arrived, as it arrived (a lone heart-beat is logged as PONG by the reader).
    if (debug && !(bytes.length === 1 && bytes[0] === 10)) debug(`<<< ${typeof data === 'string' ? data : utf8Decode(bytes)}`);
    try {
      this.reader_.push_(bytes);
      if (this.conn_.messages) this.reader_.end_();
    } catch (err) {
      this.fail_(ClientErrorCodes.PROTOCOL, `bad frame: ${(err as Error).message}`, undefined, err);
    }
  }

  private frame_(f: Frame): void {
    const h = this.h_;
    const header = (name: string) => getHeader(f.headers, name);
    if (this.closed_) return;
    switch (f.command) {
      case 'CONNECTED': {
        if (this.connected_) return;
        clearTimeout(this.timer_);
        this.connected_ = true;
        const v = header('version');
        const version = (this.version_ = this.reader_.version_ = v === '1.1' || v === '1.2' ? v : '1.0');
        const [out, inc] = version === '1.0' ? [0, 0] : negotiate(this.offer_, header('heart-beat'));
        const debug = this.o_.debug;
        if (out > 0) debug?.(`send PING every ${out}ms`);
        if (inc > 0) debug?.(`check PONG every ${inc}ms`);
        if (out > 0 || inc > 0) {
          this.heartbeat_ = heartbeat(
            out,
            inc,
            () => {
              debug?.('>>> PING');
              this.conn_.send(LF, false);
            },
            (ms) => this.fail_(ClientErrorCodes.HEARTBEAT_TIMEOUT, `nothing heard for ${ms} ms (heart-beat ${inc} ms)`),
            this.o_.clock,
          );
        }
        h.onConnected_(f);
        return;
      }
      case 'MESSAGE':
        h.onMessage_(f);
        return;
      case 'RECEIPT': {
        const id = header('receipt-id') ?? '';
        const p = this.receipts_.get(id);
        this.receipts_.delete(id);
        if (p) p.resolve(f);
        else h.onReceipt_?.(f);
        return;
      }
      case 'ERROR': {
        const message = header('message') ?? utf8Decode(f.body);
        const id = header('receipt-id') ?? '';
        const p = this.receipts_.get(id);
        // Only a refused login ends the client's retries: any other ERROR (a broker
        // starting up, overloaded, a version it does not speak yet) is retried with backoff.
        const refused = !this.connected_ && (header('code') === 'STOMPBOX_ERR_AUTH_FAILED' || LOGIN_REFUSED.test(message));
        const err = new StompboxClientError(refused ? ClientErrorCodes.CONNECT_REFUSED : ClientErrorCodes.SERVER_ERROR, `${this.url_}: ${message}`, f);
        this.receipts_.delete(id);
        p?.reject(err);
        this.error_ ??= err;
        h.onError_?.(f);
        return;
      }
    }
  }

  private end_(code: number, reason: string): void {
    if (this.closed_) return;
    this.closed_ = true;
    clearTimeout(this.timer_);
    this.heartbeat_?.stop_();
    // A transport may fail inside its own constructor call, before `conn_` is set.
    this.conn_?.close();
    const lost = new StompboxClientError(ClientErrorCodes.CONNECTION_LOST, `${this.url_}: closed (${code} ${reason})`);
    for (const p of this.receipts_.values()) p.reject(lost);
    this.receipts_.clear();
    this.h_.onClosed_(this.error_, code, reason);
  }
}

const LF = new Uint8Array([10]);
/** How brokers word a refused login (RabbitMQ, ActiveMQ, Artemis, Stompbox, Spring): "auth" also finds unauthorized, "pass" passcode and password. */
const LOGIN_REFUSED = /auth|login|pass|credential|access refused|denied|forbidden/i;
