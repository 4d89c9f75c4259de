/**
 * stompjs 2.3.3's API on the SDK's session: `Stomp.client`, `Stomp.over`, every
 * `connect` argument form (the fifth is `host`), `heartbeat.incoming/outgoing`,
 * `debug`, "Whoops! Lost connection to <url>", `subscribe`/`unsubscribe`,
 * `ack`/`nack`, `begin`/`commit`/`abort`, `onreceipt`, `onreceive`. Code written for
 * stompjs runs unchanged, and gains what stompjs lacked: frames read by content-length
 * (a lost trailing NUL does not matter), UTF-8 without TextEncoder, binary bodies,
 * heart-beats judged by wall-clock time, unescaped 1.1 header values.
 * Like stompjs it does not reconnect: use the SDK's Client for that.
 */
import { headersFromRecord, headersToRecord, type Frame } from '@stompbox/stomp-codec';
import { utf8Decode } from '../utf8.js';
import { openSession, type Session } from '../session.js';
import { attachWebSocket, type WebSocketLike } from '../transports/factory.js';
import type { Transport } from '../transports/types.js';
import { installUtf8Loops } from '../utf8-loops.js';

// The facade runs in pages and in mini-programs (as the articles' stomp.js), which have no TextEncoder.
installUtf8Loops();

type Headers = Record<string, string>;
type Callback = (frame: StompFrame) => unknown;

export class StompFrame {
  ack?: (headers?: Headers) => void;
  nack?: (headers?: Headers) => void;
  binaryBody?: Uint8Array;
  constructor(
    public command: string,
    public headers: Headers = {},
    public body = '',
  ) {}

  toString(): string {
    const lines = [this.command];
    for (const k of Object.keys(this.headers)) lines.push(`${k}:${this.headers[k]}`);
    return `${lines.join('\n')}\n\n${this.body}`;
  }

  static marshall(command: string, headers?: Headers, body?: string): string {
    return `${new StompFrame(command, headers, body).toString()}\0`;
  }
}

function toFrame(f: Frame): StompFrame {
  const out = new StompFrame(f.command, headersToRecord(f.headers), utf8Decode(f.body));
  out.binaryBody = new Uint8Array(f.body);
  return out;
}

/** stompjs's argument forms: (headers, cb[, err]) or (login, passcode, cb[, err[, host]]). */
function parseConnect(args: unknown[]): [Headers, Callback | undefined, ((e: StompFrame | string) => unknown) | undefined] {
  if (typeof args[1] === 'function') return [{ ...(args[0] as Headers) }, args[1] as Callback, args[2] as never];
  const headers: Headers = { login: args[0] as string, passcode: args[1] as string };
  if (args.length >= 5) headers.host = args[4] as string;
  return [headers, args[2] as Callback, args[3] as never];
}

export class CompatClient {
  counter = 0;
  connected = false;
  heartbeat = { outgoing: 10000, incoming: 10000 };
  /** Kept for code that sets it; frames are never split here. */
  maxWebSocketFrameSize = 16 * 1024;
  subscriptions: Record<string, Callback> = {};
  onreceive: Callback | undefined;
  onreceipt: Callback | undefined;
  connectCallback: Callback | undefined;
  pinger: unknown;
  ponger: unknown;
  debug: ((line: string) => void) | null = (line) => typeof window !== 'undefined' && window.console?.log(line);
  private session: Session | undefined;
  private closing = false;

  constructor(
    public ws: WebSocketLike | { url: string },
    private readonly transport: Transport,
  ) {}

  connect(...args: unknown[]): void {
    const [headers, onConnect, onError] = parseConnect(args);
    this.connectCallback = onConnect;
    this.closing = false;
    const log = (line: string) => typeof this.debug === 'function' && this.debug(line);
    const url = (this.ws as { url?: string }).url ?? '';
    // stompjs's debug lines around the socket opening.
    log('Opening Web Socket...');
    const transport: Transport = (u, p, h) =>
      this.transport(u, p, {
        ...h,
        onOpen: () => {
          log('Web Socket Opened...');
          h.onOpen();
        },
      });
    this.session = openSession(
      url,
      transport,
      {
        protocols: ['v10.stomp', 'v11.stomp'],
        connectHeaders: headers,
        acceptVersion: '1.1,1.0',
        heartbeat: this.heartbeat,
        connectTimeout: 0,
        clock: {
          now: () => Date.now(),
          // stompjs keeps its timers as pinger/ponger (code clears them to stop beating); one timer does both here.
          setInterval: (f, ms) => (this.pinger = this.ponger = Stomp.setInterval(ms, f)),
          clearInterval: (h) => Stomp.clearInterval(h),
        },
        debug: log,
      },
      {
        onConnected_: (f) => {
          this.connected = true;
          const frame = toFrame(f);
          log(`connected to server ${frame.headers.server}`);
          this.connectCallback?.(frame);
        },
        onMessage_: (f) => this.message(toFrame(f)),
        onReceipt_: (f) => this.onreceipt?.(toFrame(f)),
        onError_: (f) => onError?.(toFrame(f)),
        onClosed_: () => {
          this.connected = false;
          if (this.closing) return;
          const msg = `Whoops! Lost connection to ${url}`;
          log(msg);
          onError?.(msg);
        },
      },
    );
  }

  private message(frame: StompFrame): void {
    if (frame.command !== 'MESSAGE') return;
    const subscription = frame.headers.subscription;
    const messageId = frame.headers['message-id'];
    const onreceive = this.subscriptions[subscription] ?? this.onreceive;
    if (!onreceive) return void (typeof this.debug === 'function' && this.debug(`Unhandled received MESSAGE: ${frame}`));
    frame.ack = (h = {}) => this.ack(messageId, subscription, h);
    frame.nack = (h = {}) => this.nack(messageId, subscription, h);
    onreceive(frame);
  }

  private transmit(command: string, headers: Headers, body?: string | Uint8Array): void {
    this.session?.send_(command, headersFromRecord(headers), body);
  }

  disconnect(disconnectCallback?: () => unknown, headers: Headers = {}): void {
    this.transmit('DISCONNECT', headers);
    this.closing = true;
    this.session?.fail_();
    this.connected = false;
    disconnectCallback?.();
  }

  send(destination: string, headers: Headers = {}, body: string | Uint8Array = ''): void {
    headers.destination = destination;
    this.transmit('SEND', headers, body);
  }

  subscribe(destination: string, callback: Callback, headers: Headers = {}): { id: string; unsubscribe: () => void } {
    if (!headers.id) headers.id = `sub-${this.counter++}`;
    headers.destination = destination;
    const id = headers.id;
    this.subscriptions[id] = callback;
    this.transmit('SUBSCRIBE', headers);
    return { id, unsubscribe: () => this.unsubscribe(id) };
  }

  unsubscribe(id: string): void {
    delete this.subscriptions[id];
    this.transmit('UNSUBSCRIBE', { id });
  }

  begin(transaction?: string): { id: string; commit: () => void; abort: () => void } {
    const id = transaction || `tx-${this.counter++}`;
    this.transmit('BEGIN', { transaction: id });
    return { id, commit: () => this.commit(id), abort: () => this.abort(id) };
  }

  commit(transaction: string): void {
    this.transmit('COMMIT', { transaction });
  }

  abort(transaction: string): void {
    this.transmit('ABORT', { transaction });
  }

  ack(messageId: string, subscription: string, headers: Headers = {}): void {
    this.transmit('ACK', { ...headers, 'message-id': messageId, subscription });
  }

  nack(messageId: string, subscription: string, headers: Headers = {}): void {
    this.transmit('NACK', { ...headers, 'message-id': messageId, subscription });
  }
}

type WebSocketCtor = new (url: string, protocols?: string[]) => WebSocketLike;

/** Hands the session a socket that already exists (stompjs creates or is given it up front). */
export function overSocket(ws: WebSocketLike): Transport {
  return (_url, _protocols, h) => attachWebSocket(ws, h);
}

export const Stomp = {
  VERSIONS: {
    V1_0: '1.0',
    V1_1: '1.1',
    V1_2: '1.2',
    supportedVersions: () => '1.1,1.0',
  },
  WebSocketClass: undefined as WebSocketCtor | undefined,
  Frame: StompFrame,
  /** stompjs's timer hooks (a mini-program wrapper replaces them). */
  setInterval: (ms: number, f: () => void): unknown => setInterval(f, ms),
  clearInterval: (id: unknown): void => clearInterval(id as ReturnType<typeof setInterval>),
  client(url: string, protocols: string[] = ['v10.stomp', 'v11.stomp']): CompatClient {
    const Ws = Stomp.WebSocketClass ?? (WebSocket as unknown as WebSocketCtor);
    return Stomp.over(new Ws(url, protocols));
  },
  over(ws: WebSocketLike): CompatClient {
    return new CompatClient(ws, overSocket(ws));
  },
};
