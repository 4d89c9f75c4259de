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
 * - `mqtt-inflight/<name>`: the QoS 1/2 exchanges under way, which the spec asks to
 *   resume with their packet ids ([MQTT-4.4.0-1]): `out` = [packet id, message id,
 *   QoS, PUBREL sent] for messages sent from the session queue and not yet
 *   acknowledged, `in` = packet ids of QoS 2 messages received and not yet released
 *   ([MQTT-4.3.3-9]: a re-sent PUBLISH with such an id is not routed again). It is
 *   built when the turn's batch closes, so it costs one write per turn, not one per
 *   message; its `in` part is committed with the message it guards.
 * All three are removed in one batch when the session ends.
 *
 * `<name>` is the client id, URI-encoded, or `#` and its SHA-256 when that would be
 * long (an MQTT client id may have 65,535 bytes; a store key may not).
 */
import { createHash } from 'node:crypto';
import type { Router } from '../core/router.js';
import type { SessionPersistence, SessionState, SessionSubscriptionState } from '../core/sessions.js';
import type { StateValue } from '../store/types.js';
import type { MqttSession, SubInfo } from './session.js';

export const SESSION_PREFIX = 'mqtt-session/';
const INFLIGHT_PREFIX = 'mqtt-inflight/';

/** The store name of a client id (`#` cannot start an encoded id: it is encoded itself). */
function storeName(clientId: string): string {
  const e = encodeURIComponent(clientId);
  return e.length <= 200 ? e : '#' + createHash('sha256').update(clientId).digest('base64url');
}

/** The name of a session's queue, also the key of its stored references. */
export function sessionQueueName(clientId: string): string {
  return SESSION_PREFIX + storeName(clientId);
}

/** [packet id, message id, QoS, PUBREL sent (1) or not (0)] */
export type InflightOut = [number, string, number, number];

export interface InflightRecord {
  out: InflightOut[];
  in: number[];
}

/** Per session: the key and the builder of its in-flight record, made once. */
interface Records {
  key: string;
  build: () => StateValue | null;
}

export class MqttSessionStore implements SessionPersistence {
  private readonly router: Router;
  private readonly records = new WeakMap<MqttSession, Records>();

  constructor(router: Router) {
    this.router = router;
  }

  save(state: SessionState): Promise<void> {
    return this.router.saveState(SESSION_PREFIX + storeName(state.clientId), sessionRecord(state));
  }

  remove(clientId: string): void {
    const name = storeName(clientId);
    this.router.saveState(SESSION_PREFIX + name, null);
    this.router.saveState(INFLIGHT_PREFIX + name, null);
  }

  /** The in-flight record of `s` changed: it is written when this turn's batch closes. */
  saveInflight(s: MqttSession): Promise<void> {
    let r = this.records.get(s);
    if (r === undefined) this.records.set(s, (r = { key: INFLIGHT_PREFIX + storeName(s.clientId), build: () => inflightRecord(s) }));
    return this.router.saveState(r.key, r.build);
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

function inflightRecord(s: MqttSession): StateValue | null {
  if (s.ended || !s.persistent) return null;
  const out: InflightOut[] = [];
  for (const [pid, f] of s.inflight) {
    if ((f.sub.ext as SubInfo).kind !== 'session') continue; // only the session queue is the session's to keep
    const e = f.sub.unacked.get(f.tag);
    if (e !== undefined) out.push([pid, e.msg.id, f.qos, f.released ? 1 : 0]);
  }
  const inbound = s.awaitingRelease === undefined ? [] : [...s.awaitingRelease];
  return out.length === 0 && inbound.length === 0 ? null : { out, in: inbound };
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

/** The in-flight record of a client id, from the state loaded at start-up. */
export function loadedInflight(state: Map<string, StateValue>, clientId: string): InflightRecord {
  const v = state.get(INFLIGHT_PREFIX + storeName(clientId));
  const rec: InflightRecord = { out: [], in: [] };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return rec;
  if (Array.isArray(v.out)) {
    for (const x of v.out) {
      if (!Array.isArray(x) || x.length !== 4) continue;
      const [pid, id, qos, rel] = x;
      if (isPacketId(pid) && typeof id === 'string' && (qos === 1 || qos === 2) && (rel === 0 || rel === 1)) rec.out.push([pid, id, qos, rel]);
    }
  }
  if (Array.isArray(v.in)) for (const pid of v.in) if (isPacketId(pid)) rec.in.push(pid);
  return rec;
}

function isPacketId(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 65535;
}
