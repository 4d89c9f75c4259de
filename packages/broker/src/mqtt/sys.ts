/**
 * `$SYS/broker/...` topics, published every `mqttSysIntervalMs` as retained QoS 0
 * messages, as Mosquitto does, so a client that subscribes gets the latest values
 * at once. They are ordinary topics of the routing core (`/topic/$SYS.broker.uptime`)
 * that wildcard filters starting at the root do not match ([MQTT-4.7.2-1]).
 */
import type { BrokerContext } from '../context.js';
import { newMessage } from '../core/message.js';
import { route } from './route.js';
import { mqttState } from './state.js';
import { topicToDestination } from './topic-map.js';

export function startSysTopics(ctx: BrokerContext, version: string): () => void {
  const interval = ctx.config.mqttSysIntervalMs;
  if (interval <= 0) return () => undefined;
  const started = Date.now();
  const state = mqttState(ctx);
  const publish = (topic: string, value: string | number) => {
    const msg = newMessage(topicToDestination(topic), [], Buffer.from(String(value)), false, 0);
    route(state, msg, 0, true, undefined);
  };
  const tick = () => {
    const r = ctx.router.stats;
    let mqttClients = 0;
    for (const c of state.connections) if (c.connected) mqttClients++;
    publish('$SYS/broker/version', `Stompbox ${version}`);
    publish('$SYS/broker/uptime', `${Math.floor((Date.now() - started) / 1000)} seconds`);
    publish('$SYS/broker/clients/connected', ctx.sessions.size);
    publish('$SYS/broker/clients/mqtt/connected', mqttClients);
    publish('$SYS/broker/clients/total', state.sessions.size);
    publish('$SYS/broker/messages/received', state.stats.received);
    publish('$SYS/broker/messages/sent', state.stats.sent);
    publish('$SYS/broker/messages/published', r.published);
    publish('$SYS/broker/messages/delivered', r.delivered);
    publish('$SYS/broker/retained messages/count', ctx.retained.size);
    publish('$SYS/broker/subscriptions/count', ctx.router.snapshot().topicSubscriptions);
    publish('$SYS/broker/load/bytes/received', state.stats.bytesReceived);
  };
  tick();
  const timer = setInterval(tick, interval);
  timer.unref();
  return () => clearInterval(timer);
}
