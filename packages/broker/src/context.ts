/**
 * What every protocol session shares: configuration, logger, the routing core, the
 * authenticator and the live sessions (for shutdown and the management API).
 */
import type { Authenticator } from './auth/authenticator.js';
import type { BrokerConfig } from './config.js';
import type { SessionOwners } from './core/ownership.js';
import type { RetainedMessages } from './core/retained.js';
import type { Router } from './core/router.js';
import type { BrokerEvents } from './events.js';
import type { Logger } from './log.js';

export interface Session {
  readonly id: string;
  /** Ends the session, telling the client why where the protocol allows it. */
  shutdown(reason: string): void;
}

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly router: Router;
  readonly auth: Authenticator;
  readonly sessions: Set<Session>;
  /** Events for embedding programs (connected, disconnected, published, subscribed). */
  readonly events: BrokerEvents;
  /** Retained messages by destination (MQTT retain; written through to the store, see core/retained-store.ts). */
  readonly retained: RetainedMessages;
  /** Who holds each client id's session (core/ownership.ts): this process, or a cluster engine. */
  readonly owners: SessionOwners;
  readonly serverName: string;
  shuttingDown: boolean;
}
