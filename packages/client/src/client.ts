/**
 * The long-lived client: configuration, connecting (several URLs in turn), reconnecting
 * with exponential backoff and jitter, renewing subscriptions (before anything queued
 * is written, so replies to queued sends are not missed), the offline queue, and
 * recovery of what was missed. One connection's frames are handled by session.ts.
 */
import { getHeader, headersFromRecord, headersToRecord, type Frame } from '@stompbox/stomp-codec';
import { ClientErrorCodes, StompboxClientError } from './errors.js';
import { Message, type AckOptions, type MessageOwner } from './message.js';
import { OfflineQueue, sendFrame, type OutFrame, type OverflowPolicy, type QueueEntry, type SendOptions } from './offline-queue.js';
import { RESUME, type GapEvent } from './recovery.js';
import { openSession, type ConnectionOptions, type Session } from './session.js';
import { Subscription, type SubscribeOptions, type SubscriptionOwner } from './subscription.js';
import { Transaction } from './transaction.js';
import { within } from './within.js';
import type { Transport } from './transports/types.js';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnecting' | 'disconnected';

export interface ReconnectOptions {
  /** First delay in ms (default 500). */
  initialDelay?: number;
  /** Largest delay in ms (default 30000). */
  maxDelay?: number;
  /** Growth per round of failed URLs (default 2). */
  factor?: number;
  /** Share of the delay that is random, 0..1 (default 0.5), so that clients do not return all at once. */
  jitter?: number;
  /** Failed attempts in a row before giving up (default: never give up). */
  maxAttempts?: number;
}

export interface ClientOptions extends ConnectionOptions {
  /** Default: uni-app, WeChat or the global WebSocket, whichever exists. */
  transport?: Transport;
  /** Broker URL, or several tried in turn (`ws://`, `wss://`; `tcp://`, `tls://` with the Node transport). */
  url?: string;
  urls?: string[];
  /** `false`: no reconnecting. */
  reconnect?: ReconnectOptions | false;
  offlineQueue?: { maxMessages?: number; overflow?: OverflowPolicy };
  /** ms that `disconnect()` waits for queued sends to be confirmed (default 10000). */
  flushTimeout?: number;
}

export interface PublishOptions extends SendOptions {
  /** Wait for the broker's RECEIPT (default true). Without one the send is not replayed after a drop. */
  receipt?: boolean;
}

export interface ConnectedEvent {
  url: string;
  version: string;
  headers: Record<string, string>;
  /** True after the first connection: subscriptions were renewed. */
  reconnected: boolean;
}

export interface ClientEvents {
  status: (status: ConnectionStatus) => void;
  connected: (info: ConnectedEvent) => void;
  disconnected: (info: { url: string; code: number; reason: string; error?: StompboxClientError }) => void;
  error: (error: StompboxClientError) => void;
  gap: (gap: GapEvent) => void;
}

type Listeners = { [K in keyof ClientEvents]?: ClientEvents[K][] };

/** The client of every entry; each entry exports it with its platform's default transport. */
export class Client implements MessageOwner, SubscriptionOwner {
  status: ConnectionStatus = 'idle';
  readonly urls: string[];
  private session_: Session | undefined;
  private readonly subs_ = new Map<string, Subscription>();
  private readonly queue_: OfflineQueue;
  private readonly listeners_: Listeners = {};
  private failures_ = 0;
  /** Connections in a row ended by a protocol error (e.g. a frame over `maxFrameSize`). */
  private broken_ = 0;
  private urlIndex_ = 0;
  private everConnected_ = false;
  private retry_: ReturnType<typeof setTimeout> | undefined;
  private waiters_: { resolve(): void; reject(e: Error): void }[] = [];
  private counter_ = 0;

  private readonly transport_: Transport;

  /** `platform`: the entry's default transport (index.ts, node.ts, mini-program.ts), used unless `options.transport` is given. */
  constructor(
    readonly options: ClientOptions,
    platform: Transport,
  ) {
    this.transport_ = options.transport ?? platform;
    this.urls = options.urls ?? (options.url !== undefined ? [options.url] : []);
    if (this.urls.length === 0) throw invalid('give url or urls');
    this.queue_ = new OfflineQueue(options.offlineQueue?.maxMessages, options.offlineQueue?.overflow);
  }

  get connected(): boolean {
    return this.status === 'connected';
  }

  /** Frames waiting to be written or confirmed. */
  get pending(): number {
    return this.queue_.entries_.length;
  }

  on<K extends keyof ClientEvents>(event: K, fn: ClientEvents[K]): () => void {
    const list = ((this.listeners_[event] as ClientEvents[K][] | undefined) ??= []);
    list.push(fn);
    return () => list.splice(list.indexOf(fn) >>> 0, 1);
  }

  private emit_<K extends keyof ClientEvents>(event: K, ...args: Parameters<ClientEvents[K]>): void {
    for (const fn of this.listeners_[event] ?? []) (fn as (...a: unknown[]) => void)(...args);
  }

  private setStatus_(s: ConnectionStatus): void {
    if (this.status !== s) this.emit_('status', (this.status = s));
  }

  /** Resolves once connected; keeps trying (as `reconnect` allows) until then. Rejects on a refused login. */
  connect(): Promise<void> {
    if (this.status === 'connected') return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters_.push({ resolve, reject }));
    if (this.status === 'idle' || this.status === 'disconnected') {
      this.failures_ = 0;
      this.open_();
    }
    return p;
  }

  private open_(): void {
    this.retry_ = undefined;
    this.setStatus_(this.everConnected_ ? 'reconnecting' : 'connecting');
    const url = this.urls[this.urlIndex_ % this.urls.length];
    const session: Session = (this.session_ = openSession(url, this.transport_, this.options, {
      onConnected_: (f) => this.opened_(session, f),
      onMessage_: (f) => this.message_(session, f),
      onClosed_: (err, code, reason) => this.closed_(session, err, code, reason),
    }));
  }

  private opened_(session: Session, f: Frame): void {
    const reconnected = this.everConnected_;
    this.failures_ = 0;
    this.everConnected_ = true;
    this.setStatus_('connected');
    // Renew subscriptions first: the broker handles frames in order, so nothing a
    // queued send causes can arrive before the subscription that wants it.
    for (const sub of this.subs_.values()) this.sendSubscribe_(session, sub);
    this.flush_(session);
    for (const w of this.waiters_.splice(0)) w.resolve();
    this.emit_('connected', { url: session.url_, version: session.version_ ?? '1.0', headers: headersToRecord(f.headers), reconnected });
  }

  private closed_(session: Session, err: StompboxClientError | undefined, code: number, reason: string): void {
    if (session !== this.session_) return;
    const url = session.url_;
    this.session_ = undefined;
    this.queue_.connectionLost_();
    this.emit_('disconnected', { url, code, reason, error: err });
    // A protocol error tends to come back on every connection (the same oversized
    // message redelivered): it is reported once, and the connections it ends count as
    // failures in a row although each got CONNECTED, so the backoff grows instead of
    // reconnecting in a loop.
    const broken = err?.code === ClientErrorCodes.PROTOCOL;
    if (err && !(broken && this.broken_ > 0)) this.emit_('error', err);
    if (broken) this.failures_ = this.broken_++;
    else this.broken_ = 0;
    if (this.status === 'disconnecting' || this.status === 'disconnected') return;
    const r = this.options.reconnect;
    this.failures_++;
    this.urlIndex_++;
    if (err?.code === ClientErrorCodes.CONNECT_REFUSED) return this.stop_(err);
    if (r === false) return this.stop_(err ?? new StompboxClientError(ClientErrorCodes.CONNECTION_LOST, `${url}: closed (${code} ${reason})`));
    if (this.failures_ >= (r?.maxAttempts ?? Infinity)) {
      return this.stop_(new StompboxClientError(ClientErrorCodes.RECONNECT_EXHAUSTED, `${this.failures_} attempts failed`, undefined, err));
    }
    this.setStatus_('reconnecting');
    // Next URL at once within a round; between rounds, back off.
    const n = this.urls.length;
    const round = Math.floor((this.failures_ - 1) / n);
    const base = Math.min(r?.maxDelay ?? 30000, (r?.initialDelay ?? 500) * (r?.factor ?? 2) ** round);
    const delay = this.failures_ % n === 0 || n === 1 ? base * (1 - (r?.jitter ?? 0.5) * Math.random()) : 0;
    this.retry_ = setTimeout(() => this.open_(), delay);
  }

  /** Gives up: every waiter and queued send is told why. */
  private stop_(err: StompboxClientError): void {
    this.setStatus_('disconnected');
    for (const w of this.waiters_.splice(0)) w.reject(err);
    this.queue_.rejectAll_(err);
  }

  /**
   * Retries at once if the client is waiting to reconnect: call it when the app comes
   * back to the foreground (a mini-program's `onShow`, a page's `visibilitychange`),
   * where backoff may have grown while it was hidden.
   */
  wake(): void {
    if (this.retry_ === undefined || this.status !== 'reconnecting') return;
    clearTimeout(this.retry_);
    this.open_();
  }

  subscribe(destination: string, callback?: (m: Message) => void, options: SubscribeOptions = {}): Subscription {
    if (!destination) throw invalid('empty destination');
    const id = options.id ?? `sub-${this.counter_++}`;
    const sub = new Subscription(id, destination, options, callback, this);
    this.subs_.set(id, sub);
    if (this.session_?.connected_) this.sendSubscribe_(this.session_, sub);
    return sub;
  }

  private sendSubscribe_(session: Session, sub: Subscription): void {
    const h = ['id', sub.id, 'destination', sub.destination, 'ack', sub.options.ack ?? 'auto', ...headersFromRecord(sub.options.headers ?? {})];
    const resume = sub.tracker_?.resumeHeader_();
    if (resume !== undefined) h.push(RESUME, resume);
    session.request_('SUBSCRIBE', h).then(
      (receipt) => {
        const gap = sub.tracker_?.receipt_(receipt.headers, sub.id, sub.destination);
        sub.settle_();
        if (gap) {
          sub.options.onGap?.(gap);
          this.emit_('gap', gap);
        }
      },
      (err: StompboxClientError) => {
        if (err.code === ClientErrorCodes.CONNECTION_LOST) return; // renewed on the next connection
        // Refused: renewing it would only be refused again.
        this.subs_.delete(sub.id);
        sub.end_();
        sub.settle_(err);
      },
    );
  }

  async unsubscribe(sub: Subscription): Promise<void> {
    if (!this.subs_.delete(sub.id)) return;
    sub.end_();
    if (this.session_?.connected_) await this.session_.request_('UNSUBSCRIBE', ['id', sub.id]).catch(() => undefined);
  }

  private message_(session: Session, f: Frame): void {
    const sub = this.subs_.get(getHeader(f.headers, 'subscription') ?? '');
    if (!sub) return; // after unsubscribe(), before the broker saw it
    const m = new Message(f, session, this);
    if (sub.tracker_ && !sub.tracker_.accept_(f.headers)) {
      if ((sub.options.ack ?? 'auto') !== 'auto') void m.ack(); // already delivered once
      return;
    }
    sub.deliver_(m);
  }

  /** ACK/NACK. A message from an earlier connection needs none: the broker redelivers it anyway. */
  acknowledge_(m: Message, command: 'ACK' | 'NACK', options: AckOptions = {}): Promise<void> {
    const s = this.session_;
    if (s === undefined || m.session_ !== s || !s.connected_) return Promise.resolve();
    const h = [...m.ackHeaders_(), ...headersFromRecord(options.headers ?? {})];
    if (options.receipt) return s.request_(command, h).then(() => undefined);
    s.send_(command, h);
    return Promise.resolve();
  }

  /** Sends to `destination`; resolves when the broker confirms (RECEIPT). Queued while offline. */
  publish(destination: string, body: string | Uint8Array = '', options: PublishOptions = {}): Promise<void> {
    if (!destination) return Promise.reject(invalid('empty destination'));
    return this.enqueue_([sendFrame(destination, body, options)], options.receipt ?? true);
  }

  /** A transaction: its frames are held here and sent together, BEGIN to COMMIT, at `commit()`. */
  begin(): Transaction {
    return new Transaction(`tx-${this.counter_++}`, (frames) => this.enqueue_(frames, true));
  }

  enqueue_(frames: OutFrame[], receipt: boolean): Promise<void> {
    if (this.status === 'disconnecting' || this.status === 'disconnected') {
      return Promise.reject(new StompboxClientError(ClientErrorCodes.DISCONNECTED, 'the client is disconnected'));
    }
    return new Promise<void>((resolve, reject) => {
      const e: QueueEntry = { frames_: frames, receipt_: receipt, resolve, reject };
      // While connected everything queued before is written already: only this entry is new.
      if (this.queue_.push_(e) && this.session_?.connected_) this.write_(this.session_, e);
    });
  }

  /** Writes what waited (at CONNECTED, after the subscriptions are renewed), in order. */
  private flush_(s: Session): void {
    for (const e of this.queue_.unsent_()) this.write_(s, e);
  }

  private write_(s: Session, e: QueueEntry): void {
    const q = this.queue_;
    e.sent_ = true;
    const frames = e.frames_;
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) s.send_(...frames[i]);
    if (!e.receipt_) {
      s.send_(...frames[last]);
      q.done_(e);
      return;
    }
    s.request_(...frames[last]).then(
      () => q.done_(e),
      (err: StompboxClientError) => err.code !== ClientErrorCodes.CONNECTION_LOST && q.done_(e, err),
    );
  }

  /** Waits (up to `flushTimeout`) for queued sends to be confirmed, then DISCONNECTs. */
  async disconnect(): Promise<void> {
    clearTimeout(this.retry_);
    // A drop meanwhile ends the wait: the queue would wait for a connection that is not coming.
    if (this.session_?.connected_) await within(this.queue_.settled_(), this.options.flushTimeout ?? 10000);
    this.setStatus_('disconnecting');
    const bye = (what: string) => new StompboxClientError(ClientErrorCodes.DISCONNECTED, `disconnect() ${what}`);
    this.queue_.rejectAll_(bye('before this was confirmed'));
    for (const w of this.waiters_.splice(0)) w.reject(bye('called'));
    await this.session_?.disconnect_();
    this.session_ = undefined;
    this.setStatus_('disconnected');
  }
}

function invalid(message: string): StompboxClientError {
  return new StompboxClientError(ClientErrorCodes.INVALID_ARGUMENT, message);
}

export type { QueueEntry };
