/**
 * Topic history for recovery (Centrifugo's model): each destination whose policy
 * asks for it keeps its last N messages (and none older than an age), numbered by a
 * position that grows by one per message, under an epoch. A returning subscriber
 * names the epoch and the last position it saw; it gets what followed, or learns
 * that it cannot (the history no longer reaches back that far, or the epoch
 * changed because the numbering restarted) and reloads.
 *
 * The position and epoch travel as headers of the message itself
 * (`stompbox-position`, `stompbox-epoch`, see docs/recovery.md), so a fan-out still
 * encodes one frame, and a stored history message carries its own position.
 */
import { Deque } from './deque.js';
import type { Message } from './message.js';
import type { StateValue } from '../store/types.js';

export const POSITION_HEADER = 'stompbox-position';
export const EPOCH_HEADER = 'stompbox-epoch';
const KEY_PREFIX = 'history/';

export type ResumeResult =
  | { ok: true; epoch: string; position: number; missed: Message[] }
  | { ok: false; reason: 'epoch-changed' | 'history-too-short' | 'no-history'; epoch: string; position: number };

export class TopicHistory {
  readonly destination: string;
  readonly epoch: string;
  /** Position of the last message added (0 before the first). */
  last: number;
  readonly entries = new Deque<Message>();

  constructor(destination: string, epoch: string, last = 0) {
    this.destination = destination;
    this.epoch = epoch;
    this.last = last;
  }

  /** Position of the oldest message held (last + 1 when empty). */
  get first(): number {
    return this.last - this.entries.length + 1;
  }

  /** Numbers a message and adds it; the caller appends the headers before anyone sees the message. */
  add(msg: Message): number {
    this.entries.push(msg);
    return ++this.last;
  }

  /** Drops from the head past the count and age bounds; returns what was dropped (to unstore). */
  trim(max: number, maxAgeMs: number, now: number): Message[] {
    const dropped: Message[] = [];
    while (this.entries.length > max) dropped.push(this.entries.shift() as Message);
    if (maxAgeMs > 0) {
      while (this.entries.length > 0 && now - this.entries.at(0).timestamp > maxAgeMs) dropped.push(this.entries.shift() as Message);
    }
    return dropped;
  }

  /** What followed `position` in `epoch`, or why it cannot be had. */
  resume(epoch: string, position: number): ResumeResult {
    const here = { epoch: this.epoch, position: this.last };
    if (epoch !== this.epoch || position > this.last) return { ok: false, reason: 'epoch-changed', ...here };
    // Everything after `position` must still be held: the oldest held is at most position + 1.
    if (position + 1 < this.first) return { ok: false, reason: 'history-too-short', ...here };
    const missed: Message[] = [];
    for (let i = position + 1 - this.first; i < this.entries.length; i++) missed.push(this.entries.at(i));
    return { ok: true, missed, ...here };
  }
}

/** The store queue that holds a destination's history messages. */
export function historyQueueName(destination: string): string {
  return KEY_PREFIX + destination;
}

/** The state record of a history: its epoch (positions are read off the messages). */
export function historyKey(destination: string): string {
  return KEY_PREFIX + destination;
}

export function parseHistoryRecord(key: string, value: StateValue): { destination: string; epoch: string } | undefined {
  if (!key.startsWith(KEY_PREFIX) || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return typeof value.epoch === 'string' ? { destination: key.slice(KEY_PREFIX.length), epoch: value.epoch } : undefined;
}

/** Reads the position header a history message carries. */
export function positionOf(msg: { headers: readonly string[] }): number {
  const h = msg.headers;
  for (let i = h.length - 2; i >= 0; i -= 2) if (h[i] === POSITION_HEADER) return Number(h[i + 1]);
  return 0;
}

/** A new epoch: random, short, no `:` (the resume header is `<epoch>:<position>`). */
export function newEpoch(): string {
  return Math.floor(Math.random() * 2 ** 48).toString(36) + Date.now().toString(36).slice(-4);
}
