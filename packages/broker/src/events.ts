/**
 * Events for a program that embeds the broker, as mosca and Aedes users had them:
 * a client connected or disconnected, a message was published, a subscription was
 * made or ended. Both protocols emit them, with the protocol named in each event.
 *
 *   const broker = await startBroker(config, logger);
 *   broker.events.on('published', (e) => console.log(e.topic ?? e.destination, e.message.body));
 *
 * Listeners run synchronously inside the broker's event loop turn: keep them short.
 * A listener that throws is logged, never allowed to break a session. Nothing is
 * built for an event nobody listens to (`wants`), so the hot paths pay one check.
 */
import { EventEmitter } from 'node:events';
import type { Message } from './core/message.js';

export type Protocol = 'stomp' | 'mqtt';

/** Who a session is: enough to tell clients apart in a log or a dashboard. */
export interface ClientInfo {
  protocol: Protocol;
  /** The broker's session id (unique per connection). */
  session: string;
  /** MQTT client identifier; for STOMP the `client-id` CONNECT header, if any. */
  clientId: string | undefined;
  /** The authenticated login, if any. */
  user: string | undefined;
  /** `address:port` of the peer. */
  remote: string;
  /** `tcp`, `tls` or `ws`. */
  transport: string;
}

export interface ConnectedEvent {
  client: ClientInfo;
  /** MQTT: the session was resumed (clean session false / clean start 0 with a kept session). */
  sessionPresent?: boolean;
}

export interface DisconnectedEvent {
  client: ClientInfo;
  /** Why: `disconnect` for a client's graceful end, else what closed it. */
  reason: string;
}

export interface PublishedEvent {
  /** Undefined for messages the broker publishes itself ($SYS, wills carry their client). */
  client: ClientInfo | undefined;
  /** The routing destination (`/topic/a.b`, `/queue/x`). */
  destination: string;
  /** The MQTT topic name the destination maps to (`a/b`, `$queue/x`). */
  topic: string;
  message: Message;
  /** MQTT QoS of the publish (STOMP: 1 when persistent, else 0). */
  qos: number;
  retain: boolean;
}

export interface SubscribedEvent {
  client: ClientInfo;
  destination: string;
  /** The MQTT topic filter (for STOMP: the destination in MQTT form). */
  topic: string;
  /** MQTT granted QoS; STOMP: 0 for ack auto, else 1. */
  qos: number;
}

export interface BrokerEventMap {
  clientConnected: [ConnectedEvent];
  clientDisconnected: [DisconnectedEvent];
  published: [PublishedEvent];
  subscribed: [SubscribedEvent];
  unsubscribed: [SubscribedEvent];
}

type EventName = keyof BrokerEventMap;

export interface BrokerEvents {
  on<K extends EventName>(event: K, listener: (...args: BrokerEventMap[K]) => void): this;
  once<K extends EventName>(event: K, listener: (...args: BrokerEventMap[K]) => void): this;
  off<K extends EventName>(event: K, listener: (...args: BrokerEventMap[K]) => void): this;
}

export class BrokerEvents extends EventEmitter {
  /** Per event: does anyone listen? Checked before an event object is built. */
  readonly wants: Record<EventName, boolean> = {
    clientConnected: false, clientDisconnected: false, published: false, subscribed: false, unsubscribed: false,
  };
  private readonly onError: (err: unknown, event: string) => void;

  constructor(onError: (err: unknown, event: string) => void = () => undefined) {
    super();
    this.onError = onError;
    // 'newListener' comes before the listener is added, 'removeListener' after it is gone.
    super.on('newListener', (e: string) => {
      if (e in this.wants) this.wants[e as EventName] = true;
    });
    super.on('removeListener', (e: string) => {
      if (e in this.wants) this.wants[e as EventName] = this.listenerCount(e) > 0;
    });
  }

  /** Emits to every listener; one that throws is reported and the others still run. */
  fire<K extends EventName>(event: K, payload: BrokerEventMap[K][0]): void {
    for (const l of this.listeners(event) as ((p: unknown) => void)[]) {
      try {
        l(payload);
      } catch (err) {
        this.onError(err, event);
      }
    }
  }
}
