/**
 * The queue engine: where a broker's queues live and what a message's leaving means.
 * The router routes to it and settles acks through it; nothing else holds queues.
 *
 * A `Queue` (queue.ts) is the node's consumer-side view of one queue: its local
 * competing consumers, their credit, round robin and selectors, what waits for them in
 * order. The engine decides where that comes from and what survives: the in-process
 * engine (local-queues.ts) keeps every queue whole in this process with the store as
 * its log; a cluster engine keeps the queue itself in Redis (a stream and a consumer
 * group per queue, CLUSTER.md) and fills each node's view with what that node's
 * consumers can take, so credit, delivery counts, requeue, dead-lettering and the
 * length bound keep one meaning however many nodes consume.
 *
 * Contract:
 * - `queue(name)` returns the one view of that name, created empty (bounded by its
 *   destination's policy) when missing; `find` never creates.
 * - `enqueue` resolves once the message is as durable as the engine promises
 *   (undefined when nothing was written: not persistent, or a queue that stores
 *   nothing); the view may hand it to a consumer before that.
 * - `ack` removes acknowledged messages for good; `deadLetter` moves one to the
 *   dead-letter queue (never out of the dead-letter queue itself).
 * - `drop` deletes a queue with what waits in it, from the store too.
 */
import type { Message } from './message.js';
import type { DeadLetterReason, Queue } from './queue.js';
import type { Entry } from './subscription.js';

export interface QueueEngine {
  queue(name: string): Queue;
  find(name: string): Queue | undefined;
  /** The names of the queues (a snapshot: the caller may drop some while iterating). */
  names(): string[];
  /** Deletes a queue and what waits in it; `only`: unless another view took the name since. */
  drop(name: string, only?: Queue): void;
  /** Empties a queue: what waits in it is gone, from the store too; its consumers stay. */
  purge(q: Queue): void;
  /** Forgets an empty queue nobody consumes (auto-delete); what it held is the caller's. */
  forget(name: string): void;
  enqueue(q: Queue, msg: Message): Promise<void> | undefined;
  ack(q: Queue, entries: Entry[]): Promise<void> | undefined;
  /** A message leaves `from` (a queue, or a topic subscription's own messages) for the dead-letter queue. */
  deadLetter(from: string, q: Queue | undefined, e: Entry, reason: DeadLetterReason): void;
  values(): IterableIterator<Queue>;
}
