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

/** One connection, as the client and the facade see it. */
export interface Session {
  readonly url_: string;
  version_?: StompVersion;
  connected_: boolean;
  closed_: boolean;
  /** Encodes and writes a frame (dropped once closed). */
  send_(command: string, headers: string[], body?: Uint8Array | string): void;
  /** Sends with a `receipt` header; resolves with the RECEIPT, rejects on ERROR or loss. */
  request_(command: string, headers: string[], body?: Uint8Array | string): Promise<Frame>;
  /** Ends the connection: DISCONNECT (its receipt waited for up to 3 s) when connected. */
  disconnect_(): Promise<void>;
  /** Closes at once with an error (heart-beat timeout, protocol error, timeout); without one, as asked. */
  fail_(code?: ClientErrorCode, message?: string, frame?: Frame, cause?: unknown): void;
}

/** Opens the transport and runs the connection; the handlers hear of it. May throw (no transport), leaving nothing scheduled. */
export function openSession(url: string, transport: Transport, o: ConnectionOptions, h: SessionHandlers): Session {
  const debug = o.debug;
  const wait = o.connectTimeout ?? 10000;
  const hb = o.heartbeat;
  /** The heart-beats offered in CONNECT: [cx, cy] in ms. */
  const offer: [number, number] = [hb?.outgoing ?? 10000, hb?.incoming ?? 10000];
  const receipts = new Map<string, Pending>();
  let beats: Heartbeat | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let error: StompboxClientError | undefined;
  // Set by the transport call below; `end` may run before it returns if a transport breaks its contract.
  let conn: TransportConnection | undefined;
  const reader: FrameReader = frameReader(frame, () => debug?.('<<< PONG'), o.maxFrameSize);

  const self: Session = {
    url_: url,
    connected_: false,
    closed_: false,
    send_(command, headers, body) {
      if (self.closed_) return;
      const bytes = encodeFrame(command, headers, body, self.version_);
      debug?.(`>>> ${utf8Decode(bytes)}`);
      beats?.sent_();
      conn!.send(bytes, typeof body === 'object');
    },
    request_(command, headers, body) {
      const id = `r-${++receiptCounter}`;
      const p = new Promise<Frame>((resolve, reject) => receipts.set(id, { resolve, reject }));
      self.send_(command, [...headers, 'receipt', id], body);
      return p;
    },
    async disconnect_() {
      if (self.connected_ && !self.closed_) await within(self.request_('DISCONNECT', []).catch(() => undefined), 3000);
      end(1000, 'disconnect');
    },
    fail_(code, message = 'closed', frame, cause) {
      if (code) error ??= new StompboxClientError(code, `${url}: ${message}`, frame, cause);
      end(code ? 1006 : 1000, message);
    },
  };

  conn = transport(url, o.protocols ?? STOMP_PROTOCOLS, {
    onOpen: () =>
      self.closed_ ||
      self.send_('CONNECT', [
        ...headersFromRecord({ login: o.login, passcode: o.passcode, host: o.host, ...o.connectHeaders }),
        'accept-version',
        o.acceptVersion ?? '1.2,1.1,1.0',
        'heart-beat',
        offer.join(),
      ]),
    onData: (data) => {
      if (self.closed_) return;
      beats?.received_();
      const bytes = typeof data === 'string' ? utf8Encode(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
      // As stompjs: what arrived, as it arrived (a lone heart-beat is logged as PONG by the reader).
      if (debug && !(bytes.length === 1 && bytes[0] === 10)) debug(`<<< ${typeof data === 'string' ? data : utf8Decode(bytes)}`);
      try {
        reader.push_(bytes);
        if (conn!.messages) reader.end_();
      } catch (err) {
        self.fail_(ClientErrorCodes.PROTOCOL, `bad frame: ${(err as Error).message}`, undefined, err);
      }
    },
    onClose: end,
  });
  // After the transport call, which may throw (no transport here): then nothing is left scheduled.
  if (wait > 0) timer = setTimeout(() => self.fail_(ClientErrorCodes.CONNECT_TIMEOUT, `no CONNECTED within ${wait} ms`), wait);

  /** The RECEIPT or ERROR's pending request, taken out. */
  function take(id: string): Pending | undefined {
    const p = receipts.get(id);
    receipts.delete(id);
    return p;
  }

  function frame(f: Frame): void {
    const header = (name: string) => getHeader(f.headers, name);
    if (self.closed_) return;
    switch (f.command) {
      case 'CONNECTED': {
        if (self.connected_) return;
        clearTimeout(timer);
        self.connected_ = true;
        const v = header('version');
        const version = (self.version_ = reader.version_ = v === '1.1' || v === '1.2' ? v : '1.0');
        const [out, inc] = version === '1.0' ? [0, 0] : negotiate(offer, header('heart-beat'));
        if (out > 0) debug?.(`send PING every ${out}ms`);
        if (inc > 0) debug?.(`check PONG every ${inc}ms`);
        if (out > 0 || inc > 0) {
          beats = heartbeat(
            out,
            inc,
            () => {
              debug?.('>>> PING');
              conn!.send(LF, false);
            },
            (ms) => self.fail_(ClientErrorCodes.HEARTBEAT_TIMEOUT, `nothing heard for ${ms} ms (heart-beat ${inc} ms)`),
            o.clock,
          );
        }
        h.onConnected_(f);
        return;
      }
      case 'MESSAGE':
        h.onMessage_(f);
        return;
      case 'RECEIPT': {
        const p = take(header('receipt-id') ?? '');
        if (p) p.resolve(f);
        else h.onReceipt_?.(f);
        return;
      }
      case 'ERROR': {
        const message = header('message') ?? utf8Decode(f.body);
        // Only a refused login ends the client's retries: any other ERROR (a broker
        // starting up, overloaded, a version it does not speak yet) is retried with backoff.
        const refused = !self.connected_ && (header('code') === 'STOMPBOX_ERR_AUTH_FAILED' || LOGIN_REFUSED.test(message));
        const err = new StompboxClientError(refused ? ClientErrorCodes.CONNECT_REFUSED : ClientErrorCodes.SERVER_ERROR, `${url}: ${message}`, f);
        take(header('receipt-id') ?? '')?.reject(err);
        error ??= err;
        h.onError_?.(f);
        return;
      }
    }
  }

  function end(code: number, reason: string): void {
    if (self.closed_) return;
    self.closed_ = true;
    clearTimeout(timer);
    beats?.stop_();
    conn?.close();
    const lost = new StompboxClientError(ClientErrorCodes.CONNECTION_LOST, `${url}: closed (${code} ${reason})`);
    for (const p of receipts.values()) p.reject(lost);
    receipts.clear();
    h.onClosed_(error, code, reason);
  }

  return self;
}

const LF = new Uint8Array([10]);
/** How brokers word a refused login (RabbitMQ, ActiveMQ, Artemis, Stompbox, Spring): "auth" also finds unauthorized, "pass" passcode and password. */
const LOGIN_REFUSED = /auth|login|pass|credential|access refused|denied|forbidden/i;
