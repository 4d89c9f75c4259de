/**
 * Hands an MQTT-originated message to the routing core: retained messages are kept
 * (or cleared by an empty one), the embedding program hears of it, and the router
 * routes it. Used by PUBLISH, by wills and by the $SYS publisher.
 */
import type { Message } from '../core/message.js';
import type { ClientInfo } from '../events.js';
import type { MqttState } from './state.js';
import { destinationToTopic } from './topic-map.js';

export function route(state: MqttState, msg: Message, qos: number, retain: boolean, client: ClientInfo | undefined): Promise<void> | undefined {
  const ctx = state.ctx;
  // Retained messages are for topics; on a queue, RETAIN means nothing and is ignored.
  if (retain && !msg.destination.startsWith('/queue/') && !ctx.retained.set(msg)) {
    ctx.logger.warn({ destination: msg.destination, max: ctx.retained.maxMessages }, 'retained message not kept: mqttMaxRetainedMessages reached');
  }
  if (ctx.events.wants.published) {
    ctx.events.fire('published', { client, destination: msg.destination, topic: destinationToTopic(msg.destination), message: msg, qos, retain });
  }
  return ctx.router.publish(msg);
}
