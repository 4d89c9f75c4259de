/**
 * What every MQTT connection of one broker shares: the sessions by client id, the
 * shared-subscription groups, the no-local bookkeeping and the counters that the
 * $SYS topics report. One per broker context.
 */
import type { BrokerContext } from '../context.js';
import type { Message } from '../core/message.js';
import { SessionRegistry } from '../core/sessions.js';
import type { MqttConnection } from './connection.js';
import { MqttSessionStore } from './persistence.js';
import type { MqttSession } from './session.js';
import { SharedGroups } from './shared.js';

export interface MqttStats {
  /** PUBLISH packets received from clients / sent to clients. */
  received: number;
  sent: number;
  bytesReceived: number;
  /** Connections since start, and open now. */
  connectionsTotal: number;
}

export class MqttState {
  readonly ctx: BrokerContext;
  readonly sessions: SessionRegistry<MqttSession>;
  /** Kept sessions in the store (persistence.ts); also the registry's persistence hook. */
  readonly store: MqttSessionStore;
  readonly shares: SharedGroups;
  /** Open MQTT connections (connected or still in CONNECT). */
  readonly connections = new Set<MqttConnection>();
  readonly stats: MqttStats = { received: 0, sent: 0, bytesReceived: 0, connectionsTotal: 0 };
  /**
   * Who published a message, kept only while some subscription asks for No Local
   * (MQTT 5 §3.8.3.1): then each MQTT publish records its session here.
   */
  readonly origins = new WeakMap<Message, MqttSession>();
  noLocalSubscriptions = 0;

  constructor(ctx: BrokerContext) {
    this.ctx = ctx;
    this.store = new MqttSessionStore(ctx.router);
    this.sessions = new SessionRegistry<MqttSession>(this.store);
    this.shares = new SharedGroups(ctx.router, ctx.config.mqttMaxOfflineMessages);
  }
}

const states = new WeakMap<BrokerContext, MqttState>();

/** The MQTT state of a broker context, made on first use. */
export function mqttState(ctx: BrokerContext): MqttState {
  let s = states.get(ctx);
  if (s === undefined) states.set(ctx, (s = new MqttState(ctx)));
  return s;
}
