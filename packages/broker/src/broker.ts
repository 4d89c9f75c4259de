/**
 * Starting and stopping a broker: the store, the routing core and the listeners.
 * `startBroker` is also the embedding API's entry point.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import { Authenticator } from './auth/authenticator.js';
import type { BrokerConfig } from './config.js';
import type { BrokerContext, Session } from './context.js';
import { LocalOwners, type SessionOwners } from './core/ownership.js';
import { Policies } from './core/policies.js';
import { Router } from './core/router.js';
import { createHttpServer } from './listeners/http.js';
import { createTcpServer } from './listeners/tcp.js';
import { createMqttTcpServer } from './listeners/mqtt-tcp.js';
import { RetainedMessages } from './core/retained.js';
import { keepRetainedInStore } from './core/retained-store.js';
import { BrokerEvents } from './events.js';
import { startSysTopics } from './mqtt/sys.js';
import { mqttState } from './mqtt/state.js';
import { restoreSessions } from './mqtt/restore.js';
import { sessionLostElsewhere } from './mqtt/connect.js';
import type { Logger } from './log.js';
import { resolve } from 'node:path';
import { LmdbStore } from './store/lmdb.js';
import { lockDataDir } from './store/data-dir-lock.js';
import type { MessageStore } from './store/types.js';

export interface ListenAddress {
  protocol: 'stomp' | 'http' | 'mqtt';
  host: string;
  port: number;
  url: string;
}

export interface RunningBroker {
  addresses: ListenAddress[];
  /** The shared context (router, sessions) for embedding programs and tests. */
  context: BrokerContext;
  /** Events for the embedding program: clientConnected, clientDisconnected, published, subscribed, unsubscribed. */
  events: BrokerEvents;
  close(reason?: string): Promise<void>;
}

export interface StartOptions {
  store?: MessageStore;
  /** Session ownership (core/ownership.ts); this process alone by default. */
  owners?: SessionOwners;
}

export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

export async function startBroker(config: BrokerConfig, logger: Logger, options: StartOptions = {}): Promise<RunningBroker> {
  // The embedded store on disk by default: persistent messages survive restarts and crashes.
  const lock = options.store === undefined ? lockDataDir(resolve(config.dataDir)) : undefined;
  const store = options.store ?? new LmdbStore({ path: resolve(config.dataDir) });
  try {
    await store.open();
  } catch (err) {
    lock?.release();
    throw err;
  }
  const router = new Router({
    store,
    maxDeliveries: config.maxDeliveries,
    deadLetterQueue: config.deadLetterQueue,
    maxQueueLength: config.maxQueueLength,
    policies: new Policies(config.destinations, { maxQueueLength: config.maxQueueLength }),
    onStoreError: (err) => logger.error({ err }, 'store commit failed'),
  });
  // Retained messages live in the store too; recover() hands them back (the broker's own $SYS ones are republished instead).
  const retained = new RetainedMessages(config.mqttMaxRetainedMessages);
  keepRetainedInStore(router, retained, (dest) => !dest.startsWith('/topic/$SYS.'));
  const recovered = await router.recover();
  if (recovered.messages > 0) logger.info({ messages: recovered.messages, store: store.kind }, 'recovered queued messages');
  if (router.durableCount > 0) logger.info({ durableSubscriptions: router.durableCount }, 'recovered durable subscriptions');
  const ctx: BrokerContext = {
    config,
    logger,
    router,
    auth: new Authenticator(config.users),
    sessions: new Set<Session>(),
    events: new BrokerEvents((err, event) => logger.error({ err, event }, 'an event listener threw')),
    retained,
    owners: options.owners ?? new LocalOwners(),
    serverName: `Stompbox/${VERSION}`,
    shuttingDown: false,
  };
  // Kept MQTT sessions, before any listener accepts a connection (mqtt/restore.ts).
  // The state records are read once here and not kept for the life of the process.
  const sessions = restoreSessions(ctx, recovered.state);
  await ctx.owners.start?.((clientId, generation) => sessionLostElsewhere(ctx, clientId, generation));
  if (sessions > 0 || retained.size > 0) logger.info({ mqttSessions: sessions, retainedMessages: retained.size }, 'recovered MQTT sessions and retained messages');
  const servers: (net.Server | http.Server)[] = [];
  const addresses: ListenAddress[] = [];
  const host = config.host;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  try {
    if (config.stompPort >= 0) {
      const s = createTcpServer(ctx);
      const port = await listen(s, host, config.stompPort);
      servers.push(s);
      addresses.push({ protocol: 'stomp', host, port, url: `tcp://${urlHost}:${port}` });
    }
    if (config.httpPort >= 0) {
      const s = createHttpServer(ctx);
      const port = await listen(s, host, config.httpPort);
      servers.push(s);
      addresses.push({ protocol: 'http', host, port, url: `http://${urlHost}:${port}/` });
    }
    if (config.mqttPort >= 0) {
      const s = createMqttTcpServer(ctx);
      const port = await listen(s, host, config.mqttPort);
      servers.push(s);
      addresses.push({ protocol: 'mqtt', host, port, url: `mqtt://${urlHost}:${port}` });
    }
  } catch (err) {
    for (const s of servers) s.close();
    await store.close();
    lock?.release();
    throw err;
  }
  logger.info({ addresses: addresses.map((a) => a.url), store: store.kind, anonymous: ctx.auth.anonymous }, 'broker started');
  const stopSys = startSysTopics(ctx, VERSION);

  let closing: Promise<void> | undefined;
  return {
    addresses,
    context: ctx,
    events: ctx.events,
    close(reason = 'broker shutting down') {
      closing ??= (async () => {
        ctx.shuttingDown = true;
        stopSys();
        mqttState(ctx).sessions.close();
        const stopped = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
        for (const s of servers) (s as http.Server).closeIdleConnections?.();
        // Tell every client (ERROR frame, then close), let the outboxes flush.
        for (const session of [...ctx.sessions]) session.shutdown(reason);
        await new Promise((r) => setImmediate(r));
        await router.flush();
        await Promise.race([Promise.all(stopped), delay(Math.min(2000, config.shutdownTimeoutMs))]);
        await store.close();
        lock?.release();
        logger.info('broker stopped');
      })();
      return closing;
    },
  };
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
