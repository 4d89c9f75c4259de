/**
 * Kept MQTT sessions in the store (MQTT 3.1.1 §4.1, MQTT 5 §4.1: the session state a
 * server holds), so that they survive a restart or a crash of the broker.
 *
 * What is stored, all in the router's per-turn batches (atomic with the messages):
 * - `mqtt-session/<name>`: the session (`SessionState`: client id, expiry interval,
 *   subscriptions with their options), written on CONNECT, SUBSCRIBE, UNSUBSCRIBE
 *   and a DISCONNECT that changes the expiry; the SUBACK / UNSUBACK waits for it.
 * - the queue `mqtt-session/<name>`: the session's bound queue (core/bound-queue.ts)
 *   is durable, so each QoS 1/2 message waiting for the client is a reference to a
 *   stored message (its body stored once however many sessions take it), with its
 *   delivery count, removed when the client acknowledges it.
 * - `mqtt-inflight/<name>/out/<packet id>` = [message id, QoS, PUBREL sent (0/1)]:
 *   a QoS 1/2 message sent from the session queue and not yet acknowledged, to be
 *   resumed with its packet id ([MQTT-4.4.0-1]); written when it is sent (and when
 *   PUBREC comes), deleted when it is acknowledged.
 * - `mqtt-inflight/<name>/in/<packet id>` = 1: a QoS 2 message received and not yet
 *   released, committed with the message itself, so a PUBLISH re-sent after a crash
 *   is not routed again ([MQTT-4.3.3-9]); deleted at PUBREL (PUBCOMP waits for it).
 * One small record per exchange, not one record of the whole window: a record of
 * the window rewritten every turn cost half the throughput of a kept session under
 * load (bench/mqtt.mjs, mqtt-qos1-kept). A message sent and acknowledged within one
 * turn costs only the delete of a key never written (the last change of a key wins).
 * All of a session's records are removed in one batch when it ends.
 *
 * `<name>` is the client id, URI-encoded, or `#` and its SHA-256 when that would be
 * long (an MQTT client id may have 65,535 bytes; a store key may not).
 */
import { createHash } from 'node:crypto';
import type { Router } from '../core/router.js';
import type { SessionPersistence, SessionState, SessionSubscriptionState } from '../core/sessions.js';
import type { StateValue } from '../store/types.js';
import type { MqttSession } from './session.js';
import type { SubInfo } from './sub-info.js';

export const SESSION_PREFIX = 'mqtt-session/';
const INFLIGHT_PREFIX = 'mqtt-inflight/';

/** The store name of a client id (`#` cannot start an encoded id: it is encoded itself). */
export function storeName(clientId: string): string {
  const e = encodeURIComponent(clientId);
  return e.length <= 200 ? e : '#' + createHash('sha256').update(clientId).digest('base64url');
}

/** The name of a session's queue, also the key of its stored references. */
export function sessionQueueName(clientId: string): string {
  return SESSION_PREFIX + storeName(clientId);
}

/** [packet id, message id, QoS, PUBREL sent (1) or not (0)] */
export type InflightOut = [number, string, number, number];

/** A session's exchanges under way as stored. */
export interface InflightRecord {
  out: InflightOut[];
  in: number[];
}

export class MqttSessionStore implements SessionPersistence {
  private readonly router: Router;
  /** Key prefixes of sessions' in-flight records (`mqtt-inflight/<name>/`), made once per session. */
  private readonly prefixes = new WeakMap<MqttSession, string>();

  constructor(router: Router) {
    this.router = router;
  }

  save(state: SessionState): Promise<void> {
    return this.router.saveState(SESSION_PREFIX + storeName(state.clientId), sessionRecord(state));
  }

  remove(clientId: string): void {
    this.router.saveState(SESSION_PREFIX + storeName(clientId), null);
  }

  /** A QoS 1/2 message went out from the session queue under `pid` (or its PUBREC came: `released`). */
  sent(s: MqttSession, pid: number, messageId: string, qos: number, released: boolean): Promise<void> {
    return this.router.saveState(`${this.prefix(s)}out/${pid}`, [messageId, qos, released ? 1 : 0]);
  }

  /** The exchange under `pid` is over (acknowledged, or given up). */
  done(s: MqttSession, pid: number): Promise<void> {
    return this.router.saveState(`${this.prefix(s)}out/${pid}`, null);
  }

  /** A QoS 2 message came in under `pid` (`true`) or was released (`false`). */
  inbound(s: MqttSession, pid: number, waiting: boolean): Promise<void> {
    return this.router.saveState(`${this.prefix(s)}in/${pid}`, waiting ? 1 : null);
  }

  /** Records every exchange of `s` under way (`keep`), or removes them all (the session ends, or is no longer kept). */
  all(s: MqttSession, keep: boolean): void {
    for (const [pid, f] of s.inflight) {
      if ((f.sub.ext as SubInfo).kind !== 'session') continue; // only the session queue is the session's to keep
      const e = f.sub.unacked.get(f.tag);
      if (keep && e !== undefined) this.sent(s, pid, e.msg.id, f.qos, f.released);
      else this.done(s, pid);
    }
    if (s.awaitingRelease !== undefined) for (const pid of s.awaitingRelease) this.inbound(s, pid, keep);
  }

  private prefix(s: MqttSession): string {
    let p = this.prefixes.get(s);
    if (p === undefined) this.prefixes.set(s, (p = `${INFLIGHT_PREFIX}${storeName(s.clientId)}/`));
    return p;
  }
}

function sessionRecord(state: SessionState): StateValue {
  const rec: { [key: string]: StateValue } = {
    clientId: state.clientId,
    protocol: state.protocol,
    expiryInterval: state.expiryInterval,
    subscriptions: state.subscriptions.map((s) => ({ filter: s.filter, options: s.options })),
  };
  if (state.queue !== undefined) rec.queue = state.queue;
  return rec;
}


/** The session's state as the store keeps it (parseSessionRecord reads it back). */
export function sessionState(s: MqttSession): SessionState {
  return {
    clientId: s.clientId,
    protocol: 'mqtt',
    expiryInterval: s.expiryInterval,
    subscriptions: [...s.subs.values()].map((i) => ({
      filter: i.filter,
      options: { qos: i.qos, noLocal: i.noLocal, retainAsPublished: i.retainAsPublished, retainHandling: i.retainHandling, identifier: i.id },
    })),
    queue: s.queueName,
  };
}

// --- reading the records back (restore.ts) --------------------------------------

/** The session stored under `key`, or undefined when the key is not one (or not one this code reads). */
export function parseSessionRecord(key: string, value: StateValue): SessionState | undefined {
  if (!key.startsWith(SESSION_PREFIX) || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { clientId, protocol, expiryInterval, subscriptions, queue } = value;
  if (typeof clientId !== 'string' || protocol !== 'mqtt' || typeof expiryInterval !== 'number' || !Array.isArray(subscriptions)) return undefined;
  const subs: SessionSubscriptionState[] = [];
  for (const s of subscriptions) {
    if (typeof s !== 'object' || s === null || Array.isArray(s) || typeof s.filter !== 'string') continue;
    const o = s.options;
    const options: SessionSubscriptionState['options'] = {};
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
      for (const [k, v] of Object.entries(o)) if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') options[k] = v;
    }
    subs.push({ filter: s.filter, options });
  }
  return { clientId, protocol, expiryInterval, subscriptions: subs, queue: typeof queue === 'string' ? queue : undefined };
}

/**
 * Every in-flight record loaded at start-up, by session store name (the client id's
 * `<name>`), with the keys read, so that what no restored session claims can be
 * deleted. A record this code cannot read is left out (and deleted with the others).
 */
export function loadedInflight(state: ReadonlyMap<string, StateValue>): { byName: Map<string, InflightRecord>; keys: Map<string, string | undefined> } {
  const byName = new Map<string, InflightRecord>();
  /** Every key read, with the name of the session it belongs to (undefined: unreadable). */
  const keys = new Map<string, string | undefined>();
  for (const [key, v] of state) {
    if (!key.startsWith(INFLIGHT_PREFIX)) continue;
    const m = /^(.*)\/(out|in)\/(\d+)$/.exec(key.slice(INFLIGHT_PREFIX.length));
    const pid = m === null ? 0 : Number(m[3]);
    keys.set(key, m !== null && isPacketId(pid) ? m[1] : undefined);
    if (m === null || !isPacketId(pid)) continue;
    let rec = byName.get(m[1]);
    if (rec === undefined) byName.set(m[1], (rec = { out: [], in: [] }));
    if (m[2] === 'in') {
      if (v === 1) rec.in.push(pid);
    } else if (Array.isArray(v) && v.length === 3) {
      const [id, qos, rel] = v;
      if (typeof id === 'string' && (qos === 1 || qos === 2) && (rel === 0 || rel === 1)) rec.out.push([pid, id, qos, rel]);
    }
  }
  return { byName, keys };
}

function isPacketId(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 65535;
}
