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
 *
 * Positions are never reused under one epoch, crash or not (issue 15): a message goes
 * out at once, before it is written, but only at a position at or below `reserved`,
 * a bound kept durable in the history's state record ahead of the numbering (a block
 * at a time, so one small write per many messages). A restart goes on after the
 * reservation; what lay between the last position on disk and it may have been handed
 * out and lost, so a resume from before it is told `history-too-short`.
 */
import { Deque } from './deque.js';
import type { Message } from './message.js';
import type { StateValue } from '../store/types.js';

export const POSITION_HEADER = 'stompbox-position';
export const EPOCH_HEADER = 'stompbox-epoch';
const KEY_PREFIX = 'history/';

export type ResumeResult =
  | { ok: true; epoch: string; position: number; missed: Message[] }
  | { ok: false; reason: UnavailableReason; epoch: string; position: number };

/**
 * Why a resume cannot be had (docs/recovery.md): another epoch; the same epoch but
 * messages after the position are gone; the same epoch but a position never handed out.
 */
export type UnavailableReason = 'epoch-changed' | 'history-too-short' | 'position-ahead' | 'no-history';

/** A message numbered past the reservation, waiting for it to be durable before it goes out. */
export interface HeldMessage {
  msg: Message;
  /** Settles the publisher's wait with the delivery's own commit, if any. */
  release(delivered: Promise<void> | undefined): void;
}

export class TopicHistory {
  readonly destination: string;
  epoch: string;
  /** Position of the last message added (0 before the first). */
  last: number;
  /** Highest position that may be handed out: durable in the state record. */
  reserved: number;
  /** Whether a write raising `reserved` is under way. */
  reserving = false;
  /** Messages numbered past `reserved` (and any behind them), in order, not yet out. */
  readonly held: HeldMessage[] = [];
  readonly entries = new Deque<Message>();

  /** Positions up to `last` count as reserved: they were handed out or skipped already. */
  constructor(destination: string, epoch: string, last = 0) {
    this.destination = destination;
    this.epoch = epoch;
    this.last = last;
    this.reserved = last;
  }

  /**
   * Starts the numbering again under a new epoch, empty and with nothing reserved;
   * returns the messages dropped.
   */
  reset(epoch: string): Message[] {
    const dropped = this.trim(0, 0, 0);
    this.epoch = epoch;
    this.last = this.reserved = 0;
    return dropped;
  }

  /** Position of the last message handed to subscribers. */
  get published(): number {
    return this.last - this.held.length;
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

  /**
   * What followed `position` in `epoch` up to the last position handed out, or why it
   * cannot be had. Held messages are not among them: the subscription made now gets
   * them live when they go out.
   */
  resume(epoch: string, position: number): ResumeResult {
    const published = this.published;
    const here = { epoch: this.epoch, position: published };
    if (epoch !== this.epoch) return { ok: false, reason: 'epoch-changed', ...here };
    if (position > published) return { ok: false, reason: 'position-ahead', ...here };
    // Everything after `position` must still be held: the oldest held is at most position + 1.
    if (position + 1 < this.first) return { ok: false, reason: 'history-too-short', ...here };
    const missed: Message[] = [];
    const end = this.entries.length - this.held.length;
    for (let i = position + 1 - this.first; i < end; i++) missed.push(this.entries.at(i));
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

/** The state record of a history: `{ epoch, reserved }`. */
export function historyRecord(h: TopicHistory, reserved: number): StateValue {
  return { epoch: h.epoch, reserved };
}

/**
 * Reads a history's state record; `reserved` is 0 in records written before
 * reservations existed (the numbering then goes on from the last position on disk).
 */
export function parseHistoryRecord(key: string, value: StateValue): { destination: string; epoch: string; reserved: number } | undefined {
  if (!key.startsWith(KEY_PREFIX) || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (typeof value.epoch !== 'string') return undefined;
  const reserved = typeof value.reserved === 'number' && Number.isSafeInteger(value.reserved) && value.reserved > 0 ? value.reserved : 0;
  return { destination: key.slice(KEY_PREFIX.length), epoch: value.epoch, reserved };
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
