/**
 * Durable topic subscriptions, modelled as RabbitMQ models them: a named queue bound
 * to a topic pattern. The binding outlives its consumer: while nobody consumes, what
 * the topic publishes (and the selector accepts) waits in the queue, in publish order,
 * and a returning subscriber drains it before anything newer, because it is one queue.
 * The binding is a state record in the store, committed like any other change, so
 * it is routed to again after a restart before any client has come back.
 *
 * Persistence of the waiting messages follows the message (`persistent: true` is
 * stored, as RabbitMQ and ActiveMQ do for durable subscribers); a destination can
 * make every message persistent by default (see core/policies.ts).
 */
import type { Queue } from './queue.js';
import type { Selector } from './selector.js';
import type { Matchable } from './topic-index.js';
import type { StateValue } from '../store/types.js';

export interface DurableSpec {
  /** The subscription's name, unique in the broker (also its queue's name). */
  name: string;
  /** The topic (or pattern) it is bound to. */
  destination: string;
  /** Selector text, if any: messages it rejects are not kept for the subscriber. */
  selector?: string;
}

export class Binding implements Matchable {
  lastSeq = 0;
  constructor(
    readonly spec: DurableSpec,
    readonly selector: Selector | undefined,
    readonly queue: Queue,
  ) {}
}

const KEY_PREFIX = 'binding/';

/**
 * The name of a durable subscription, scoped by the connection's client id when it
 * has one. Without a client id (RabbitMQ style) the name is the subscription id
 * alone, as in RabbitMQ: two clients that pick the same id share one subscription.
 */
export function durableName(clientId: string | undefined, name: string): string {
  return `durable/${encodeURIComponent(clientId ?? '')}/${encodeURIComponent(name)}`;
}

export function bindingKey(name: string): string {
  return KEY_PREFIX + name;
}

export function bindingRecord(spec: DurableSpec): StateValue {
  return spec.selector === undefined ? { destination: spec.destination } : { destination: spec.destination, selector: spec.selector };
}

/** The binding stored under `key`, or undefined when the key is not a binding (or not one this code reads). */
export function parseBindingRecord(key: string, value: StateValue): DurableSpec | undefined {
  if (!key.startsWith(KEY_PREFIX) || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { destination, selector } = value;
  if (typeof destination !== 'string' || (selector !== undefined && typeof selector !== 'string')) return undefined;
  return { name: key.slice(KEY_PREFIX.length), destination, ...(selector === undefined ? {} : { selector }) };
}
