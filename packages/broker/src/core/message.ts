/**
 * A message inside the broker: protocol-free, shared by reference between every
 * queue and subscription it reaches (its body is stored once). Per-delivery state
 * (delivery count, ack ids) lives elsewhere, so fan-out allocates nothing per
 * subscriber beyond the bytes written.
 */
import type { StoreBatch } from '../store/types.js';
export interface Message {
  /** Broker-unique id, also the STOMP `message-id`. */
  readonly id: string;
  /** Position in the broker's global sequence (monotonic). */
  readonly seq: number;
  readonly destination: string;
  /** User headers, flat `[name, value, ...]`, without the ones the broker owns. */
  readonly headers: string[];
  /** May be a view into a network chunk until the message is kept (see `keep`). */
  body: Uint8Array;
  readonly persistent: boolean;
  /** Epoch ms after which the message is dropped; 0 = never. */
  readonly expires: number;
  /** Wall-clock time it was accepted (epoch ms). */
  readonly timestamp: number;
  /** Encodings cached by protocol writers (e.g. the STOMP header block per escaping). */
  enc: unknown;
  /**
   * The store batch that records this message, until it is committed: while that
   * batch is not sealed, removing the message's references goes into it, and the
   * write is cancelled instead of done and undone (store/types.ts, "Amending").
   */
  batch: StoreBatch | undefined;
}

/**
 * Headers the broker sets on MESSAGE itself; a client's own values for them are not
 * forwarded (STOMP 1.2 §MESSAGE: the server adds destination, message-id, subscription).
 */
const BROKER_OWNED = new Set([
  'destination', 'message-id', 'subscription', 'content-length', 'receipt', 'transaction',
  'ack', 'redelivered', 'persistent',
  // Set by the broker on topic history messages (docs/recovery.md); a client may not forge them.
  'stompbox-position', 'stompbox-epoch',
]);

export function isBrokerOwnedHeader(name: string): boolean {
  return BROKER_OWNED.has(name);
}

let nextSeq = 1;
/**
 * Ids are `<node tag><start time>-<seq>`: the start time (base 36 ms) keeps the ids of
 * one node's runs apart, and the node tag those of the nodes of one cluster, which
 * start at the same millisecond as often as not. One process is one node: the tag is
 * empty unless a cluster engine names it (`setNodeTag`) as it joins, before it takes
 * any connection.
 */
const bootTime = Date.now().toString(36);
let idPrefix = `${bootTime}-`;

/** Makes this process's message ids unique in a cluster: `tag` must be unique among its live nodes. */
export function setNodeTag(tag: string): void {
  if (!/^[0-9a-z]{0,16}$/.test(tag)) throw new Error(`node tag '${tag}' must be up to 16 characters 0-9 a-z`);
  idPrefix = tag === '' ? `${bootTime}-` : `${tag}.${bootTime}-`;
}

export function newMessage(
  destination: string,
  headers: string[],
  body: Uint8Array,
  persistent: boolean,
  expires: number,
): Message {
  const seq = nextSeq++;
  return { id: idPrefix + seq, seq, destination, headers, body, persistent, expires, timestamp: Date.now(), enc: undefined, batch: undefined };
}

/**
 * A message published at another node of the cluster (core/bus.ts): its id is kept, it
 * gets a place in this node's sequence (which only orders and de-duplicates here).
 */
export function arrivedMessage(
  id: string,
  destination: string,
  headers: string[],
  body: Uint8Array,
  persistent: boolean,
  expires: number,
  timestamp: number,
): Message {
  return { id, seq: nextSeq++, destination, headers, body, persistent, expires, timestamp, enc: undefined, batch: undefined };
}

/**
 * Could `id` be a message id this broker issued (in this run or one it recovered)? Ids are
 * `<prefix>-<seq>` with seq below the next one; used to tell a late ACK from a wrong one.
 */
export function isIssuedMessageId(id: string): boolean {
  const dash = id.lastIndexOf('-');
  if (dash <= 0 || dash === id.length - 1) return false;
  const seq = Number(id.slice(dash + 1));
  return Number.isInteger(seq) && seq > 0 && seq < nextSeq;
}

/** Moves the sequence past `seq` (a message recovered from an earlier run), so new messages order after it. */
export function advanceSeq(seq: number): void {
  if (seq >= nextSeq) nextSeq = seq + 1;
}

/** Lookup used by selectors: message headers first, then a few broker-known fields. */
export function messageHeader(msg: Message, name: string): string | undefined {
  const h = msg.headers;
  for (let i = 0; i < h.length; i += 2) if (h[i] === name) return h[i + 1];
  if (name === 'destination') return msg.destination;
  if (name === 'message-id') return msg.id;
  if (name === 'persistent') return msg.persistent ? 'true' : 'false';
  return undefined;
}

/**
 * Called before a message is held beyond the current turn (queued, parked, stored):
 * a body that is a small view into a large network chunk is copied, so that holding
 * many small messages does not pin many 64 KB chunks.
 */
export function keep(msg: Message): Message {
  const b = msg.body;
  if (b.byteLength > 0 && b.buffer.byteLength > b.byteLength + 1024) msg.body = Buffer.from(b);
  return msg;
}
