/**
 * Start-up: brings back the kept MQTT sessions that the store holds (persistence.ts),
 * after `router.recover()` loaded the state records and every stored queue, and
 * before any listener accepts a connection, so no publish can slip past a session
 * that is not yet bound again.
 *
 * Each session comes back offline, as it was when its client left: registered under
 * its client id, its subscriptions in place (so it collects again at once), its
 * queue holding what waited, in publish order, and what was in flight held under
 * its packet ids, to be sent first (DUP set, or PUBREL) when the client returns
 * ([MQTT-4.4.0-1]). Its expiry counts from the restart: how long the broker was down
 * is not known, and a session must not be lost because the broker was.
 *
 * Shared subscription groups are not stored: a restored member joins its group
 * again, but what the group's queue held when the broker stopped is gone.
 */
import type { BrokerContext } from '../context.js';
import type { StateValue } from '../store/types.js';
import { loadedInflight, parseSessionRecord, SESSION_PREFIX, sessionQueueName, storeName } from './persistence.js';
import { MqttSession } from './session.js';
import { mqttState } from './state.js';
import { subscriptionInfo } from './subscribe.js';

/** Restores every stored session; returns how many. */
export function restoreSessions(ctx: BrokerContext, loaded: ReadonlyMap<string, StateValue>): number {
  const state = mqttState(ctx);
  const { router, logger } = ctx;
  const inflight = loadedInflight(loaded);
  const queues = new Set<string>();
  const names = new Set<string>();
  let n = 0;
  for (const [key, value] of loaded) {
    if (!key.startsWith(SESSION_PREFIX)) continue;
    const rec = parseSessionRecord(key, value);
    if (rec === undefined || rec.expiryInterval <= 0) {
      // Not a kept session this code can read: it would never be resumed, nor end.
      logger.warn({ key }, 'stored MQTT session record not readable; removed');
      router.saveState(key, null);
      continue;
    }
    const session = new MqttSession(state, rec.clientId);
    session.expiryInterval = rec.expiryInterval;
    state.sessions.add(session);
    for (const s of rec.subscriptions) {
      const o = s.options;
      let info;
      try {
        info = subscriptionInfo(s.filter, Number(o.qos ?? 0), o.noLocal === true, o.retainAsPublished === true, Number(o.retainHandling ?? 0), Number(o.identifier ?? 0));
      } catch (err) {
        info = (err as Error).message;
      }
      if (typeof info === 'string') {
        logger.warn({ clientId: rec.clientId, filter: s.filter, why: info }, 'stored MQTT subscription not restored');
        continue;
      }
      session.addSubscription(info);
    }
    const name = storeName(rec.clientId);
    session.restore(inflight.byName.get(name) ?? { out: [], in: [] }, rec.queue !== undefined);
    queues.add(sessionQueueName(rec.clientId));
    names.add(name);
    session.scheduleExpiry();
    n++;
  }
  // A session queue or in-flight record whose session record is gone (they leave in one
  // batch, so only a store written otherwise has one): nobody can ever read it.
  for (const name of router.queueNames()) if (name.startsWith(SESSION_PREFIX) && !queues.has(name)) router.dropQueue(name);
  for (const [key, owner] of inflight.keys) if (owner === undefined || !names.has(owner)) router.saveState(key, null);
  return n;
}
