/**
 * The fan-out bus between the nodes of one broker (a cluster): how a topic message
 * published at one node reaches the subscribers connected to the others. The router
 * hands every topic message published here to `forward`, after its own subscribers
 * had it, and delivers what the bus brings from other nodes to its subscribers only
 * (`Router.receive`): never forwarded again, so nothing loops between nodes.
 *
 * Contract for an engine (Redis pub/sub first, docs/cluster.md):
 * - At most once per message per node, and in publish order per publishing node:
 *   the live path. What must not be lost (queues, kept sessions, history) does not
 *   travel here, but through the engine's queues and streams.
 * - `forward` is called on the hot path, once per publish: it must not do I/O per
 *   call; an engine gathers one turn's messages into one write (as the store's group
 *   commit does).
 * - `interest` says which topic patterns this node's subscribers need (first one in,
 *   last one out); an engine may use it to send a node only what it needs, or ignore
 *   it and send everything everywhere.
 * - The message handed to `forward` is the broker's own, shared with local queues:
 *   an engine encodes it in the turn it was given and keeps no reference.
 */
import type { Message } from './message.js';

export interface FanOutBus {
  /** A topic message published at this node, for the subscribers of the other nodes. */
  forward(msg: Message): void;
  /** This node now has (`present`) or no longer has subscribers for `pattern`. */
  interest(pattern: string, present: boolean): void;
}
