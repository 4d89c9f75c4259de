/**
 * One MQTT network connection (3.1.1 or 5.0, over TCP or WebSocket): cuts the byte
 * stream into packets (framer.ts, size limit before buffering), decodes them with
 * `mqtt-packet`, dispatches them to the per-packet handlers, and writes what the
 * session sends through the per-connection outbox (one write per turn). It owns the
 * connection's lifecycle: the CONNECT deadline, keep-alive, the refusal or
 * DISCONNECT that says why it is closed, and what happens to the session and the
 * will when it ends.
 */
import type { Packet } from 'mqtt-packet';
import type { BrokerContext, Session } from '../context.js';
import type { Message } from '../core/message.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { ClientInfo } from '../events.js';
import { Outbox, type OutboxOwner } from '../listeners/outbox.js';
import { ClosingConnection, closeCodeFor } from '../listeners/closing.js';
import type { Transport } from '../listeners/transport.js';
import { decodePacket, packetName, peekConnect } from './decode.js';
import { PacketFramer } from './framer.js';
import { handlers } from './handlers.js';
import { unwatchKeepAlive, type KeepAlivePeer } from './keep-alive.js';
import { ackPacket, connackPacket, disconnectPacket, reasonText } from './packets.js';
import { writePublish, type Delivery, type MqttEncoding } from './publish-writer.js';
import { mqttAnswer, Reason } from './reason-codes.js';
import type { MqttSession } from './session.js';
import { mqttState, type MqttState } from './state.js';
import { publishWill, type Will } from './will.js';

let nextId = 1;
const MAX_HELD_PACKETS = 1000;
const idPrefix = `mqtt-${process.pid.toString(36)}-${Date.now().toString(36)}-`;

export class MqttConnection extends ClosingConnection implements OutboxOwner, Session, KeepAlivePeer {
  readonly id = idPrefix + nextId++;
  readonly ctx: BrokerContext;
  readonly state: MqttState;
  readonly transport: Transport;
  readonly out: Outbox;
  private readonly framer: PacketFramer;
  private readonly onPacket = (bytes: Buffer) => this.handle(bytes);
  /** Protocol level: 0 until CONNECT, then 3, 4 or 5. */
  version = 0;
  v5 = false;
  session: MqttSession | undefined;
  clientId = '';
  user: string | undefined;
  /** Keep-alive (keep-alive.ts). */
  keepAliveLimitMs = 0;
  readSince = false;
  lastRead = 0;
  /** The client's Maximum Packet Size (MQTT 5), 0 = none. */
  maxOutgoing = 0;
  /** MQTT 5 Request Problem Information: reason strings only on CONNACK/DISCONNECT when false. */
  problemInfo = true;
  /** Topic aliases the client set (MQTT 5 §3.3.2.3.4), made on first use. */
  aliases: Map<number, string> | undefined;
  /** QoS 1/2 PUBLISH received and not yet answered (PUBACK / PUBCOMP): the client's use of our Receive Maximum. */
  inboundInflight = 0;
  /** Ordered acknowledgements waiting on the store ([MQTT-4.6.0-2]: PUBACKs in PUBLISH order). */
  ackTail: Promise<void> | undefined;
  ackWaiting = 0;
  will: Will | undefined;
  /** A DISCONNECT (reason 0) was received: no will. */
  normalDisconnect = false;
  /** Packets received while the CONNECT waits for its session's claim (connect.ts), in order. */
  private held: Buffer[] | undefined;

  constructor(ctx: BrokerContext, transport: Transport) {
    super();
    this.ctx = ctx;
    this.state = mqttState(ctx);
    this.transport = transport;
    const c = ctx.config;
    this.out = new Outbox(transport.socket, transport.kind === 'ws', c.maxOutputBytes, this);
    this.framer = new PacketFramer(c.mqttMaxPacketSize);
    this.awaitConnect(c.connectTimeoutMs, 'CONNECT packet');
    ctx.sessions.add(this);
    this.state.connections.add(this);
    this.state.stats.connectionsTotal++;
  }

  /** For events and logs. */
  get info(): ClientInfo {
    return { protocol: 'mqtt', session: this.id, clientId: this.clientId || undefined, user: this.user, remote: this.transport.remote, transport: this.transport.kind };
  }

  onData(chunk: Buffer): void {
    if (this.closing) return;
    this.readSince = true;
    this.state.stats.bytesReceived += chunk.length;
    try {
      this.framer.push(chunk, this.onPacket);
    } catch (err) {
      this.fail(err);
    }
  }

  private handle(bytes: Buffer): void {
    if (this.closing) return;
    if (this.held !== undefined) return this.hold(bytes);
    let packet: Packet;
    try {
      packet = decodePacket(bytes, this.version);
    } catch (err) {
      if (!this.connected && (bytes[0] >> 4) === 1) return this.refuseUnparsedConnect(bytes, err);
      return this.fail(err);
    }
    try {
      if (!this.connected && packet.cmd !== 'connect') {
        // [MQTT-3.1.0-1] the first packet must be CONNECT.
        throw new StompboxError(ErrorCodes.NOT_CONNECTED, `${packetName(bytes[0] >> 4)} before CONNECT [MQTT-3.1.0-1]`);
      }
      const h = handlers[packet.cmd];
      if (h === undefined) throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, `a client may not send ${packetName(bytes[0] >> 4)}`);
      (h as (c: MqttConnection, p: Packet) => void)(this, packet);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * A CONNECT that did not parse: a protocol level we do not speak gets its CONNACK
   * ([MQTT-3.1.2-2]: return code 1 / reason 0x84); anything else is just closed.
   */
  private refuseUnparsedConnect(bytes: Buffer, err: unknown): void {
    const head = peekConnect(bytes);
    if (head !== undefined && (head.name === 'MQTT' || head.name === 'MQIsdp') && ![3, 4, 5].includes(head.level & 0x7f)) {
      this.version = head.level === 5 ? 5 : 4;
      this.v5 = false;
      return this.fail(new StompboxError(ErrorCodes.MQTT_UNSUPPORTED_PROTOCOL, `protocol level ${head.level} is not supported (3, 4 and 5 are) [MQTT-3.1.2-2]`));
    }
    this.fail(err);
  }

  /** The CONNECT waits (its session's claim): hold back what follows it, in order. */
  holdInput(): void {
    this.held ??= [];
  }

  private hold(bytes: Buffer): void {
    const held = this.held as Buffer[];
    // Clients that pipeline send a few packets before CONNACK; more is not a client waiting.
    if (held.length >= MAX_HELD_PACKETS) {
      this.held = undefined;
      return this.fail(new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, `more than ${MAX_HELD_PACKETS} packets before CONNACK`));
    }
    // A copy: the framer's view may be into a chunk that is reused once this turn ends.
    held.push(Buffer.from(bytes));
  }

  /** The CONNECT was answered: handle what was held back, then go on as usual. */
  releaseInput(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const b of held) this.handle(b);
  }

  /** Called by the CONNECT handler once the client is accepted (before CONNACK is written). */
  accepted(): void {
    this.connectAccepted();
  }

  /** A QoS 0 delivery found the output over its limit (session.ts): the slow-consumer policy decides. */
  outputFull(): void {
    this.overflowed(this.ctx.config.slowConsumerPolicy);
  }

  // --- output ----------------------------------------------------------------

  write(bytes: Uint8Array): void {
    if (this.closing && this.out.closed) return;
    this.out.frame(bytes, true);
  }

  /**
   * PUBACK (4), PUBREC (5), PUBREL (6) or PUBCOMP (7): the plain 4-byte form goes
   * straight into the outbox (one per QoS 1/2 message: no buffer of its own).
   */
  sendAck(type: 4 | 5 | 6 | 7, packetId: number, reason = 0, why?: string): void {
    if (this.out.closed) return;
    if (reason !== 0 || why !== undefined) return this.write(ackPacket(type, packetId, reason, why));
    const out = this.out;
    out.begin(4, true);
    out.putByte((type << 4) | (type === 6 ? 2 : 0));
    out.putByte(2);
    out.putByte(packetId >> 8);
    out.putByte(packetId & 0xff);
    out.end();
  }

  sendPublish(msg: Message, e: MqttEncoding, d: Delivery, fanout: number): boolean {
    if (!writePublish(this.out, this.v5, msg, e, d, this.maxOutgoing, fanout, msg.expires === 0 ? 0 : Date.now())) return false;
    this.state.stats.sent++;
    return true;
  }

  /** OutboxOwner: the output drained below its high-water mark. */
  onDrain(): void {
    this.session?.refillAll();
  }

  // --- keep-alive --------------------------------------------------------------

  keepAliveExpired(silentMs: number): void {
    this.fail(new StompboxError(ErrorCodes.HEARTBEAT_TIMEOUT, `keep-alive: nothing from the client for ${silentMs} ms [MQTT-3.1.2-24]`));
  }

  // --- ending ------------------------------------------------------------------

  /**
   * Refuses or ends the connection for an error: a CONNACK with the return/reason code
   * while connecting, an MQTT 5 DISCONNECT with the reason code afterwards (3.1.1 has
   * none: the connection is just closed, [MQTT-4.8.0-1]), then close.
   */
  fail(err: unknown): void {
    if (this.closing) return;
    const e = this.brokerError(err, this.ctx.logger, this.id);
    const answer = mqttAnswer(e.code);
    const reason = reasonText(e.message);
    if (!this.connected) {
      // A CONNACK refusal only when CONNECT was readable (version known); else just close.
      if (this.version === 5) this.write(connackPacket(5, false, answer.v5, { reasonString: reason }));
      else if (this.version !== 0 && answer.v4 !== undefined) this.write(connackPacket(this.version, false, answer.v4));
    } else if (this.v5) {
      this.write(disconnectPacket(answer.v5, this.problemInfo ? reason : undefined));
    }
    this.close(closeCodeFor(e.code), e.message);
  }

  protected cleanup(): void {
    if (!this.ctx.sessions.delete(this)) return;
    this.state.connections.delete(this);
    unwatchKeepAlive(this);
    const s = this.session;
    if (!this.connected || s === undefined) return;
    const info = this.info;
    const will = this.will;
    this.will = undefined;
    if (will !== undefined && !this.normalDisconnect) {
      // MQTT 5: a delay lets a quick reconnection cancel the will; it is sent at the latest when the session ends.
      const delay = Math.min(will.delay, s.expiryInterval);
      if (delay > 0) {
        const timer = setTimeout(() => {
          if (s.pendingWill?.will !== will) return;
          s.pendingWill = undefined;
          publishWill(this.state, will, info);
        }, delay * 1000);
        timer.unref();
        s.pendingWill = { will, timer, client: info };
      } else {
        publishWill(this.state, will, info);
      }
    }
    s.detach(this);
    if (this.ctx.events.wants.clientDisconnected) {
      this.ctx.events.fire('clientDisconnected', { client: info, reason: this.normalDisconnect ? 'disconnect' : this.closeReason });
    }
  }
}

export { Reason };
