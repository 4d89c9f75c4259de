/**
 * Will messages (MQTT 3.1.1 §3.1.2.5, MQTT 5 §3.1.2.5): published when the network
 * connection ends without a DISCONNECT (or with MQTT 5 reason 0x04), after the MQTT 5
 * Will Delay Interval unless the session is resumed first ([MQTT-3.1.3-9]), and at
 * the latest when the session ends. The message is built when it is published, so
 * it takes its place in the publish order then, and its expiry starts then.
 */
import type { IConnectPacket } from 'mqtt-packet';
import { newMessage } from '../core/message.js';
import type { ClientInfo } from '../events.js';
import { headersOf } from './properties.js';
import { route } from './route.js';
import type { MqttState } from './state.js';
import { topicToDestination } from './topic-map.js';

export interface Will {
  destination: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  properties: NonNullable<IConnectPacket['will']>['properties'];
  /** Will Delay Interval in seconds (MQTT 5), 0 = at once. */
  delay: number;
}

export function willOf(w: NonNullable<IConnectPacket['will']>): Will {
  const props = w.properties;
  return {
    destination: topicToDestination(w.topic),
    // A copy: the CONNECT's bytes are a view into a network chunk.
    payload: Buffer.from(typeof w.payload === 'string' ? Buffer.from(w.payload) : w.payload),
    qos: w.qos ?? 0,
    retain: w.retain === true,
    properties: props,
    delay: props?.willDelayInterval ?? 0,
  };
}

export function publishWill(state: MqttState, will: Will, client: ClientInfo | undefined): void {
  const { willDelayInterval: _delay, ...props } = will.properties ?? {};
  const meta = headersOf(will.qos, will.retain, will.properties === undefined ? undefined : props, Date.now());
  const msg = newMessage(will.destination, meta.headers, will.payload, will.qos > 0, meta.expires);
  try {
    route(state, msg, will.qos, will.retain, client)?.catch(() => undefined);
  } catch (err) {
    state.ctx.logger.warn({ err, destination: will.destination }, 'will message not routed');
  }
}
