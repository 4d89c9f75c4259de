/**
 * How an MQTT session's subscriptions map onto the routing core (docs/mqtt.md):
 * - QoS 0 topic filter: a plain (auto-ack) topic subscription; nothing is kept
 *   while the client is offline.
 * - QoS 1/2 topic filters: bindings of the session's one queue (core/bound-queue.ts),
 *   consumed with client acks and the in-flight limit as credit. While the client
 *   is offline or slow, messages wait there, bounded, and come back in publish
 *   order before anything newer, because it is one queue.
 * - `$queue/<name>`: a consumer of that queue; `$share/<group>/<filter>`: a member
 *   of the group's queue (shared.ts).
 */
import type { Subscription } from '../core/subscription.js';

export type SubKind = 'direct' | 'bound' | 'queue' | 'share' | 'session';

export interface SubInfo {
  kind: SubKind;
  /** The filter as the client sent it (the key of `subs`). */
  filter: string;
  /** The routing destination or pattern it maps to. */
  pattern: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  /** MQTT 5 subscription identifier (0 = none). */
  id: number;
  /** The core subscription (direct, queue and share kinds). */
  sub: Subscription | undefined;
  /** Shared subscription group name. */
  group: string | undefined;
}
