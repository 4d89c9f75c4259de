/**
 * Sessions that outlive their connection, by client id: MQTT sessions with clean
 * session 0 (3.1.1) or a session expiry interval (5.0), and whatever a later
 * protocol adds. Protocol-free: it keeps the live session objects, ends the ones
 * nobody resumed in time, and tells a persistence hook what must survive a restart.
 *
 * Contract:
 * - At most one session per client id; `add` replaces (the caller ended the old one).
 * - `expireAfter(id, ms, onExpire)` ends an offline session unless `keep(id)` is
 *   called first (the client came back); `ms` = Infinity never expires.
 * - Every change a restart must not lose goes through `persistence` (`save` with
 *   the session's current `SessionState`, `remove` when it ends, also when the
 *   session stops being kept). `save` returns the store commit that makes the state
 *   durable, for an acknowledgement that must wait for it (an MQTT SUBACK).
 * - A session restored after a restart is registered like any other; its expiry
 *   counts from the restart (the broker cannot know how long it was down).
 *
 * The MQTT implementation is mqtt/persistence.ts (state records in the store) and
 * mqtt/restore.ts (start-up). What changes with every message (in-flight packet
 * ids) is the protocol's own record, not part of `SessionState`.
 */
export interface SessionSubscriptionState {
  /** The routing destination or pattern (`/topic/a.*`), or the protocol's own filter. */
  filter: string;
  /** Protocol options (MQTT: qos, noLocal, retainAsPublished, retainHandling, identifier). */
  options: Record<string, number | boolean | string>;
}

/** What a restart must bring back of a session (JSON-serialisable). */
export interface SessionState {
  clientId: string;
  protocol: string;
  /** Seconds the session is kept after its connection ends (0xFFFFFFFF = for ever). */
  expiryInterval: number;
  subscriptions: SessionSubscriptionState[];
  /** The name of the queue its offline messages wait in, if any. */
  queue: string | undefined;
}

export interface SessionPersistence {
  /** Records the state; resolves when it is durable (undefined: nothing is stored). */
  save(state: SessionState): Promise<void> | undefined;
  remove(clientId: string): void;
}

const NO_PERSISTENCE: SessionPersistence = { save: () => undefined, remove: () => undefined };

export class SessionRegistry<S extends { readonly clientId: string; readonly persistent: boolean }> {
  private readonly byId = new Map<string, S>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  readonly persistence: SessionPersistence;

  constructor(persistence: SessionPersistence = NO_PERSISTENCE) {
    this.persistence = persistence;
  }

  get size(): number {
    return this.byId.size;
  }

  get(clientId: string): S | undefined {
    return this.byId.get(clientId);
  }

  add(session: S): void {
    this.keep(session.clientId);
    this.byId.set(session.clientId, session);
  }

  /** Removes the session (its stored state too, when it is kept) if it is still the registered one. */
  delete(session: S): void {
    if (this.byId.get(session.clientId) !== session) return;
    this.keep(session.clientId);
    this.byId.delete(session.clientId);
    // A session that is not kept has nothing stored: no write for every clean disconnect.
    if (session.persistent) this.persistence.remove(session.clientId);
  }

  values(): IterableIterator<S> {
    return this.byId.values();
  }

  /** Ends the session after `ms` unless `keep` is called before (a timer per offline session only). */
  expireAfter(clientId: string, ms: number, onExpire: () => void): void {
    this.keep(clientId);
    if (!Number.isFinite(ms)) return;
    // setTimeout takes at most 2^31-1 ms; longer waits re-arm.
    const step = Math.min(ms, 0x7fffffff);
    const t = setTimeout(() => {
      this.timers.delete(clientId);
      if (ms > step) this.expireAfter(clientId, ms - step, onExpire);
      else onExpire();
    }, step);
    t.unref();
    this.timers.set(clientId, t);
  }

  /** Cancels a pending expiry. */
  keep(clientId: string): void {
    const t = this.timers.get(clientId);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(clientId);
    }
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
