/**
 * One STOMP session on one transport: decodes frames, dispatches them to the
 * per-command handlers, writes MESSAGE frames for its subscriptions, and owns the
 * session's lifecycle (connect timeout, heart-beats, ERROR-then-close, cleanup).
 *
 * STOMP 1.2 §ERROR: after an ERROR frame the server closes the connection; the
 * ERROR is flushed first so the client can read why.
 */
import { encodeFrame, getHeader, StompCodecError, StompDecoder, type Frame, type StompVersion } from '@stompbox/stomp-codec';
import type { BrokerContext, Session } from '../context.js';
import type { Message } from '../core/message.js';
import type { DeliveryTarget, Subscription } from '../core/subscription.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import { Outbox, type OutboxOwner } from '../listeners/outbox.js';
import { ClosingConnection, closeCodeFor } from '../listeners/closing.js';
import type { Transport } from '../listeners/transport.js';
import { handlers } from './handlers.js';
import { Heartbeat, type HeartbeatPeer } from './heartbeat.js';
import { writeMessage } from './message-writer.js';
import { ReceiptFence } from './receipt-fence.js';
import { stompClient } from './events.js';

let nextSession = 1;
const sessionPrefix = `session-${process.pid.toString(36)}-${Date.now().toString(36)}-`;
const EOL = new Uint8Array([10]);

export class StompConnection extends ClosingConnection implements DeliveryTarget, OutboxOwner, HeartbeatPeer, Session {
  readonly id = sessionPrefix + nextSession++;
  readonly ctx: BrokerContext;
  readonly transport: Transport;
  readonly out: Outbox;
  readonly decoder: StompDecoder;
  version: StompVersion = '1.0';
  user: string | undefined;
  /** The `client-id` CONNECT header (ActiveMQ, Artemis): scopes durable subscription names. */
  clientId: string | undefined;
  readonly subs = new Map<string, Subscription>();
  /** Open transactions: frames held until COMMIT (STOMP 1.2 §BEGIN). Created on first use: idle connections stay small. */
  private _txs: Map<string, Frame[]> | undefined;
  /** Private reply queues created by `reply-to: /temp-queue/<name>`. */
  private _tempQueues: Map<string, Subscription> | undefined;
  heartbeat: Heartbeat | undefined;
  /** Deliveries held until a SEND's RECEIPT is written (receipt-fence.ts); made on first use. */
  private fence: ReceiptFence | undefined;
  private readSince = false;

  constructor(ctx: BrokerContext, transport: Transport) {
    super();
    this.ctx = ctx;
    this.transport = transport;
    const c = ctx.config;
    this.out = new Outbox(transport.socket, transport.kind === 'ws', c.maxOutputBytes, this);
    this.decoder = new StompDecoder({
      maxFrameSize: c.maxFrameSize,
      maxHeaders: c.maxHeaders,
      maxHeaderLength: c.maxHeaderLength,
      onFrame: (f) => this.handle(f),
    });
    this.awaitConnect(c.connectTimeoutMs, 'CONNECT frame');
    ctx.sessions.add(this);
  }

  get txs(): Map<string, Frame[]> {
    return (this._txs ??= new Map());
  }

  get tempQueues(): Map<string, Subscription> {
    return (this._tempQueues ??= new Map());
  }

  onData(chunk: Uint8Array): void {
    if (this.closing) return;
    this.readSince = true;
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  private handle(frame: Frame): void {
    if (this.closing) return;
    const handler = handlers[frame.command];
    try {
      if (handler === undefined) {
        throw new StompboxError(ErrorCodes.UNKNOWN_COMMAND, `unknown command '${frame.command.slice(0, 40)}'`);
      }
      if (!this.connected && frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
        throw new StompboxError(ErrorCodes.NOT_CONNECTED, `${frame.command} before CONNECT`);
      }
      handler(this, frame);
    } catch (err) {
      this.fail(err, frame);
    }
  }

  /** Called by the CONNECT handler once the session is accepted. */
  accepted(version: StompVersion, user: string | undefined): void {
    this.version = version;
    this.decoder.version = version;
    this.user = user;
    this.connectAccepted();
  }

  // --- DeliveryTarget -------------------------------------------------------

  get congested(): boolean {
    return this.out.congested;
  }

  deliver(sub: Subscription, msg: Message, redelivered: boolean, tag: number, fanout: number): void {
    if (this.closing) return;
    if (this.fence !== undefined && this.fence.holds(msg)) return this.fence.hold(sub, msg, redelivered, tag, fanout);
    this.write(sub, msg, redelivered, tag, fanout);
  }

  private readonly write = (sub: Subscription, msg: Message, redelivered: boolean, tag: number, fanout: number): void => {
    if (this.closing) return;
    const out = this.out;
    if (tag === 0 && out.pending > out.limit) {
      // Only auto-ack deliveries can overflow: queues stop at the high-water mark and
      // client-ack subscriptions at their prefetch.
      this.overflowed(this.ctx.config.slowConsumerPolicy);
      return;
    }
    const ackId = tag !== 0 && this.version === '1.2' ? String(tag) : null;
    writeMessage(out, this.version, sub.ext as Buffer, msg, redelivered, ackId, fanout);
  };

  /** This connection's own deliveries of `msg` wait for the RECEIPT of the SEND that published it. */
  fenceUntilReceipt(msg: Message): void {
    (this.fence ??= new ReceiptFence()).await(msg);
  }

  onDrain(): void {
    for (const sub of this.subs.values()) this.ctx.router.refill(sub);
  }

  // --- HeartbeatPeer --------------------------------------------------------

  wroteSinceLook(): boolean {
    const w = this.out.wrote;
    this.out.wrote = false;
    return w;
  }

  readSinceLook(): boolean {
    const r = this.readSince;
    this.readSince = false;
    return r;
  }

  sendBeat(): void {
    this.out.frame(EOL);
  }

  dead(silentMs: number): void {
    this.fail(new StompboxError(ErrorCodes.HEARTBEAT_TIMEOUT, `no heart-beat or frame from the client for ${silentMs} ms`));
  }

  // --- frames out -----------------------------------------------------------

  sendFrame(command: string, headers: string[], body?: Uint8Array | string): void {
    if (this.transport.socket.destroyed) return;
    this.out.frame(encodeFrame(command, headers, body, { version: this.connected ? this.version : undefined, eol: !this.out.isWebSocket }));
  }

  /** Sends RECEIPT if the frame asked for one (STOMP 1.2 §RECEIPT), with any extension headers. */
  receipt(frame: Frame, extra?: string[]): void {
    const id = getHeader(frame.headers, 'receipt');
    if (id !== undefined) this.sendFrame('RECEIPT', extra === undefined ? ['receipt-id', id] : ['receipt-id', id, ...extra]);
  }

  /**
   * RECEIPT once `done` settles: after a persistent message is stored, for instance.
   * `fenced` are messages published by the frame whose deliveries to this connection
   * wait for the RECEIPT (fenceUntilReceipt).
   */
  receiptAfter(frame: Frame, done: Promise<void> | undefined, extra?: string[], fenced?: readonly Message[]): void {
    if (done === undefined) {
      this.receipt(frame, extra);
      if (fenced !== undefined) this.releaseFence(fenced);
      return;
    }
    done.then(
      () => {
        if (this.closing) return;
        this.receipt(frame, extra);
        if (fenced !== undefined) this.releaseFence(fenced);
      },
      () => this.fail(new StompboxError(ErrorCodes.STORE_FAILED, 'the message could not be stored'), frame),
    );
  }

  private releaseFence(msgs: readonly Message[]): void {
    const f = this.fence;
    if (f === undefined) return;
    f.release(msgs, this.write);
    if (f.idle) this.fence = undefined;
  }

  /** ERROR frame with a useful message (and receipt-id if the frame asked for a receipt), then close. */
  fail(err: unknown, frame?: Frame): void {
    if (this.closing) return;
    // The codec's own errors (frame too large, bad escape) are the client's, with their codes.
    const e = this.brokerError(err instanceof StompCodecError ? new StompboxError(err.code, err.message) : err, this.ctx.logger, this.id);
    const headers = ['message', e.message, 'code', e.code, 'content-type', 'text/plain'];
    const receipt = frame !== undefined ? getHeader(frame.headers, 'receipt') : undefined;
    if (receipt !== undefined) headers.push('receipt-id', receipt);
    let details = e.message;
    if (frame !== undefined) details += `\n\nThe frame:\n-----\n${frame.command}\n${describeHeaders(frame.headers)}-----`;
    this.sendFrame('ERROR', headers, details);
    this.close(closeCodeFor(e.code), e.message);
  }

  /** Ends subscriptions (unacked queue messages go back), drops transactions and timers. */
  protected cleanup(): void {
    if (!this.ctx.sessions.delete(this)) return;
    this.heartbeat?.stop();
    this.fence = undefined;
    this._txs = undefined;
    const router = this.ctx.router;
    for (const sub of this.subs.values()) router.unsubscribe(sub);
    if (this._tempQueues !== undefined) for (const sub of this._tempQueues.values()) router.unsubscribe(sub);
    this.subs.clear();
    this._tempQueues = undefined;
    if (this.connected && this.ctx.events.wants.clientDisconnected) {
      this.ctx.events.fire('clientDisconnected', { client: stompClient(this), reason: this.closeReason });
    }
  }
}

function describeHeaders(h: string[]): string {
  let s = '';
  for (let i = 0; i < h.length && i < 40; i += 2) {
    s += `${h[i]}:${h[i] === 'passcode' ? '***' : h[i + 1].slice(0, 200)}\n`;
  }
  return s;
}
