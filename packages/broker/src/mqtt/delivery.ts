/**
 * What one delivery of a message to an MQTT session looks like on the wire: its QoS,
 * RETAIN flag and MQTT 5 subscription identifiers, from the subscription it came
 * through or, for the session queue, from every QoS 1/2 filter of the session that
 * matches. The description is one reusable object (deliveries are written
 * synchronously), filled here and read by the PUBLISH writer.
 */
import type { Message } from '../core/message.js';
import type { Delivery, MqttEncoding } from './publish-writer.js';
import type { MqttSession } from './session.js';
import type { SubInfo } from './sub-info.js';
import { patternMatches } from './topic-map.js';

/**
 * Fills `d` (QoS, RETAIN, subscription identifiers) for a delivery to `self` through
 * `info`; for the session queue, `filters` are the session's QoS 1/2 topic filters.
 * Returns false when the message is not for this client after all (No Local, or no
 * QoS 1/2 filter matches it any more).
 */
export function describeDelivery(d: Delivery, self: MqttSession, filters: readonly SubInfo[], info: SubInfo, msg: Message, e: MqttEncoding, v5: boolean): boolean {
  d.subIds = null;
  if (info.kind !== 'session') {
    if (info.noLocal && self.state.origins.get(msg) === self) return false;
    d.qos = info.qos < e.qos ? info.qos : e.qos;
    // 3.1.1 [MQTT-3.3.1-9]: a live message goes out with RETAIN 0; MQTT 5 [MQTT-3.3.1-12] [MQTT-3.3.1-13]: unless Retain As Published.
    d.retain = e.retainedCopy || (v5 && info.retainAsPublished && e.retain);
    d.subId = v5 ? info.id : 0;
    return true;
  }
  // The session queue: the filters that match say the QoS ([MQTT-3.3.5-1]: the highest), RETAIN and identifiers.
  if (filters.length === 1) {
    const f = filters[0];
    if (f.noLocal && !e.retainedCopy && self.state.origins.get(msg) === self) return false;
    d.qos = f.qos < e.qos ? f.qos : e.qos;
    d.retain = e.retainedCopy || (v5 && f.retainAsPublished && e.retain);
    d.subId = v5 ? f.id : 0;
    return true;
  }
  let best = -1;
  let rap = false;
  d.subId = 0;
  const origin = self.state.noLocalSubscriptions > 0 ? self.state.origins.get(msg) : undefined;
  for (const f of filters) {
    if (!patternMatches(f.pattern, msg.destination)) continue;
    if (f.noLocal && origin === self && !e.retainedCopy) continue;
    if (f.qos > best) best = f.qos;
    rap ||= f.retainAsPublished;
    if (v5 && f.id !== 0) {
      if (d.subId === 0) d.subId = f.id;
      else (d.subIds ??= []).push(f.id);
    }
  }
  if (best < 0) return false;
  d.qos = best < e.qos ? best : e.qos;
  d.retain = e.retainedCopy || (v5 && rap && e.retain);
  return true;
}
