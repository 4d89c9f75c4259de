/**
 * CONNECT (MQTT 3.1.1 §3.1, MQTT 5 §3.1): protocol level, client identifier, login,
 * session (new, resumed or taken over), keep-alive, will, and the CONNACK.
 */
import { randomBytes } from 'node:crypto';
import type { IConnectPacket } from 'mqtt-packet';
import type { AuthResult } from '../auth/authenticator.js';
import type { BrokerContext } from '../context.js';
import { ErrorCodes, StompboxError } from '../errors.js';
import type { MqttConnection } from './connection.js';
import { watchKeepAlive } from './keep-alive.js';
import { connackPacket, type ConnackProperties } from './packets.js';
import { ConnackV4, Reason } from './reason-codes.js';
import { MqttSession } from './session.js';
import { mqttState } from './state.js';
import { checkTopicName } from './topic-map.js';
import { willOf } from './will.js';

export function handleConnect(conn: MqttConnection, p: IConnectPacket): void {
  if (conn.connected) throw new StompboxError(ErrorCodes.ALREADY_CONNECTED, 'a second CONNECT on one connection [MQTT-3.1.0-2]');
  const version = p.protocolVersion ?? 4;
  conn.version = version;
  conn.v5 = version === 5;
  // [MQTT-3.1.2-1] protocol name "MQTT" (3.1.1, 5) / "MQIsdp" (3.1).
  if ((version === 3) !== (p.protocolId === 'MQIsdp')) {
    conn.version = 0; // not a protocol we can answer in: close without CONNACK
    throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, `protocol name '${p.protocolId}' does not go with level ${version} [MQTT-3.1.2-1]`);
  }
  const { config, auth, logger } = conn.ctx;
  const props = p.properties;
  if (props?.authenticationMethod !== undefined) {
    throw new StompboxError(ErrorCodes.MQTT_BAD_AUTH_METHOD, `authentication method '${props.authenticationMethod}' is not supported`);
  }
  // [MQTT-3.1.2-22] a password needs a user name (3.1.1 only; MQTT 5 allows it alone).
  if (version !== 5 && p.password !== undefined && p.username === undefined) {
    throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, 'password without a user name [MQTT-3.1.2-22]');
  }
  let clientId = p.clientId;
  let assigned: string | undefined;
  const clean = p.clean !== false;
  if (clientId === '') {
    // [MQTT-3.1.3-8] 3.1.1: an empty id with clean session 0 is refused (return code 2).
    if (version !== 5 && !clean) throw new StompboxError(ErrorCodes.MQTT_CLIENT_ID_REJECTED, 'empty client identifier with clean session 0 [MQTT-3.1.3-8]');
    // [MQTT-3.1.3-6] / MQTT 5 §3.1.3.1: the server assigns a unique one.
    clientId = assigned = `auto-${randomBytes(9).toString('base64url')}`;
  }
  if (clientId.length > 65535 || clientId.includes('\u0000')) throw new StompboxError(ErrorCodes.MQTT_CLIENT_ID_REJECTED, 'client identifier holds U+0000 or is too long');
  const login = auth.check(p.username, p.password === undefined ? undefined : p.password.toString('utf8'));
  if (!login.ok) {
    logger.info({ session: conn.id, login: p.username, remote: conn.transport.remote }, 'mqtt login refused');
    throw new StompboxError(ErrorCodes.AUTH_FAILED, p.username === undefined ? 'login required' : `access refused for user '${p.username}'`);
  }
  if (p.will !== undefined) {
    try {
      checkTopicName(p.will.topic);
    } catch (err) {
      throw new StompboxError(ErrorCodes.MQTT_PROTOCOL_ERROR, `invalid will topic: ${(err as Error).message}`);
    }
    if (p.will.topic.startsWith('$SYS/')) throw new StompboxError(ErrorCodes.MQTT_NOT_AUTHORIZED, 'a will may not publish to $SYS topics');
  }

  // Session expiry: 3.1.1 clean 0 = kept (up to the configured limit); MQTT 5 asks for an interval.
  const maxExpiry = config.mqttMaxSessionExpiry;
  const wanted = version === 5 ? (props?.sessionExpiryInterval ?? 0) : clean ? 0 : maxExpiry;
  const expiry = Math.min(wanted, maxExpiry);

  const owners = conn.ctx.owners;
  const accepted: Accepted = { clientId, assigned, clean, expiry, wanted, login };
  const claim = owners.claim(clientId);
  if (typeof claim === 'number') return accept(conn, p, accepted, claim);
  // A cluster's claim is a round trip (core/ownership.ts): what the client sends
  // meanwhile waits behind the CONNECT (connection.ts holdInput), in order.
  conn.holdInput();
  claim.then(
    (generation) => {
      if (conn.closing) return owners.release(clientId, generation);
      try {
        accept(conn, p, accepted, generation);
      } catch (err) {
        conn.fail(err);
        return;
      }
      conn.releaseInput();
    },
    (err: unknown) => {
      logger.warn({ err, clientId, session: conn.id }, 'mqtt session claim failed');
      conn.fail(new StompboxError(ErrorCodes.SESSION_UNAVAILABLE, `the session of client '${clientId}' could not be claimed; try again`));
    },
  );
}

/**
 * Another node claimed `clientId` (core/ownership.ts `lost`): the connection here is closed
 * as in a takeover on this node ([MQTT-3.1.4-2]) and the session ends here; it lives on
 * where it was claimed.
 */
export function sessionLostElsewhere(ctx: BrokerContext, clientId: string, generation: number): void {
  const session = mqttState(ctx).sessions.get(clientId);
  if (session === undefined || session.generation >= generation) return;
  const old = session.conn;
  session.conn = undefined;
  old?.fail(new StompboxError(ErrorCodes.MQTT_SESSION_TAKEN_OVER, 'another node took over this client id [MQTT-3.1.4-2]'));
  session.end();
}

/** What CONNECT settled before the session's claim. */
interface Accepted {
  clientId: string;
  assigned: string | undefined;
  clean: boolean;
  /** Session expiry granted, and asked for. */
  expiry: number;
  wanted: number;
  login: AuthResult;
}

/** The claim is held (`generation`): the session is taken over, resumed or made, and CONNACK sent. */
function accept(conn: MqttConnection, p: IConnectPacket, a: Accepted, generation: number): void {
  const { clientId, assigned, clean, expiry, wanted, login } = a;
  const { config, logger } = conn.ctx;
  const version = conn.version;
  const props = p.properties;
  conn.clientId = clientId;
  conn.user = login.user;
  const state = conn.state;
  // Session takeover ([MQTT-3.1.4-2]): the connection holding this client id is closed.
  let session = state.sessions.get(clientId);
  if (session !== undefined && session.conn !== undefined) {
    const old = session.conn;
    session.conn = undefined;
    old.fail(new StompboxError(ErrorCodes.MQTT_SESSION_TAKEN_OVER, 'another connection took over this client id [MQTT-3.1.4-2]'));
    // An MQTT 5 session with expiry 0 ends with its connection; so does a 3.1.1 clean one.
    if (session.expiryInterval === 0) session.end();
  }
  if (session !== undefined && (session.ended || clean)) {
    // [MQTT-3.1.2-6] clean session / clean start: the previous session is discarded.
    session.end();
    session = undefined;
  }
  const resumed = session !== undefined;
  if (session === undefined) {
    session = new MqttSession(state, clientId);
    state.sessions.add(session);
  }
  session.generation = generation;
  // A kept session is recorded in the store (persistence.ts); one no longer kept leaves it.
  session.setExpiry(expiry);
  session.maxInflight = Math.min(config.mqttMaxInflight, props?.receiveMaximum ?? 65535);
  conn.session = session;

  // Keep-alive: 1.5 x the client's ([MQTT-3.1.2-24]); MQTT 5 lets the server impose its own.
  let keepAlive = p.keepalive ?? 0;
  let serverKeepAlive: number | undefined;
  if (config.mqttMaxKeepAlive > 0 && (keepAlive === 0 || keepAlive > config.mqttMaxKeepAlive)) {
    if (version === 5) {
      keepAlive = serverKeepAlive = config.mqttMaxKeepAlive;
    }
  }
  conn.keepAliveLimitMs = keepAlive * 1500;
  if (version === 5) {
    conn.maxOutgoing = props?.maximumPacketSize ?? 0;
    conn.problemInfo = props?.requestProblemInformation !== false;
  }
  conn.will = p.will === undefined ? undefined : willOf(p.will);
  conn.accepted();
  session.attach(conn, false);

  let connack: Buffer;
  if (version === 5) {
    const cp: ConnackProperties = {
      receiveMaximum: config.mqttMaxInflight,
      maximumPacketSize: config.mqttMaxPacketSize,
      topicAliasMaximum: config.mqttMaxTopicAlias,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true,
    };
    if (assigned !== undefined) cp.assignedClientIdentifier = assigned;
    if (serverKeepAlive !== undefined) cp.serverKeepAlive = serverKeepAlive;
    if (expiry !== wanted) cp.sessionExpiryInterval = expiry;
    connack = connackPacket(5, resumed, Reason.SUCCESS, cp);
  } else {
    // [MQTT-3.2.2-1] session present is 0 with clean session 1.
    connack = connackPacket(version, resumed, ConnackV4.ACCEPTED);
  }
  conn.write(connack);
  if (keepAlive > 0) watchKeepAlive(conn);
  // In flight and queued messages follow the CONNACK ([MQTT-4.4.0-1]).
  if (resumed) session.attach(conn, true);
  logger.debug({ session: conn.id, clientId, version, resumed, remote: conn.transport.remote }, 'mqtt connected');
  const events = conn.ctx.events;
  if (events.wants.clientConnected) events.fire('clientConnected', { client: conn.info, sessionPresent: resumed });
}
