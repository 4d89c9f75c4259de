/**
 * Test doubles for the protocol-free core: a `DeliveryTarget` that records what it
 * is handed and can be made `congested`, and small helpers to build subscriptions
 * and messages.
 */
import { newMessage, type Message } from '../../src/core/message.js';
import { Router } from '../../src/core/router.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { StoreBatch } from '../../src/store/types.js';
import { Subscription, type AckMode, type DeliveryTarget } from '../../src/core/subscription.js';
import type { Selector } from '../../src/core/selector.js';

export interface Delivery {
  sub: Subscription;
  msg: Message;
  redelivered: boolean;
  tag: number;
  fanout: number;
}

export class FakeTarget implements DeliveryTarget {
  congested = false;
  readonly deliveries: Delivery[] = [];

  deliver(sub: Subscription, msg: Message, redelivered: boolean, tag: number, fanout: number): void {
    this.deliveries.push({ sub, msg, redelivered, tag, fanout });
  }

  /** Bodies (as text) delivered so far, optionally only to `sub`. */
  bodies(sub?: Subscription): string[] {
    return this.deliveries.filter((d) => sub === undefined || d.sub === sub).map((d) => text(d.msg));
  }

  /** The latest delivery (to `sub`, if given). */
  last(sub?: Subscription): Delivery {
    const ds = this.deliveries.filter((d) => sub === undefined || d.sub === sub);
    if (ds.length === 0) throw new Error('nothing delivered');
    return ds[ds.length - 1];
  }
}

let subIds = 0;

export function makeSub(
  target: DeliveryTarget,
  destination: string,
  o: { ackMode?: AckMode; prefetch?: number; maxPending?: number; selector?: Selector; id?: string } = {},
): Subscription {
  return new Subscription(target, {
    id: o.id ?? `sub-${++subIds}`,
    destination,
    ackMode: o.ackMode ?? 'auto',
    selector: o.selector,
    prefetch: o.prefetch ?? 0,
    maxPending: o.maxPending ?? 0,
  });
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function msg(
  destination: string,
  body: string,
  o: { headers?: string[]; persistent?: boolean; expires?: number } = {},
): Message {
  return newMessage(destination, o.headers ?? [], enc.encode(body), o.persistent ?? false, o.expires ?? 0);
}

export function text(m: { body: Uint8Array }): string {
  return dec.decode(m.body);
}

export function header(m: { headers: string[] }, name: string): string | undefined {
  for (let i = 0; i < m.headers.length; i += 2) if (m.headers[i] === name) return m.headers[i + 1];
  return undefined;
}

/** One event-loop turn: lets the router's group commit (scheduled with setImmediate) run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A router on a memory store (`store`, or a new one) that records every batch it commits. */
export async function recordingRouter(store = new MemoryStore()): Promise<{ router: Router; store: MemoryStore; commits: StoreBatch[] }> {
  await store.open();
  const commits: StoreBatch[] = [];
  const commit = store.commit.bind(store);
  store.commit = (b: StoreBatch) => {
    commits.push(b);
    return commit(b);
  };
  return { router: new Router({ store, maxDeliveries: 0, deadLetterQueue: '/queue/dlq' }), store, commits };
}
