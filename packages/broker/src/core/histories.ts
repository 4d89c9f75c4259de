/**
 * The topic histories of the destinations whose policy asks for one (history.ts has
 * one history and the model). Every history message is stored, persistent or not,
 * in the pseudo-queue `history/<destination>`, and each history's epoch and
 * reservation in the state record of the same name, so a restart (or a crash) goes on
 * with the same epoch and never reuses a position (history.ts).
 */
import {
  EPOCH_HEADER, historyKey, historyQueueName, historyRecord, newEpoch, parseHistoryRecord, POSITION_HEADER, positionOf,
  TopicHistory, type ResumeResult,
} from './history.js';
import { keep, type Message } from './message.js';
import type { GroupCommit } from './group-commit.js';
import type { Policies } from './policies.js';
import type { RecoveredQueue, StateValue } from '../store/types.js';

/** The stored-queue name prefix of histories (for the router's `claimQueues`). */
export const HISTORY_QUEUE_PREFIX = historyQueueName('');

/**
 * Positions reserved at a time. The next block is asked for when half of this one is
 * used, so a message waits for a reservation only when one destination takes more than
 * half a block within one commit; a crash skips at most this many positions.
 */
export const RESERVE_BLOCK = 65536;

/** Sends a history message out to its subscribers (the router's fan-out); its commit promise, if any. */
export type Deliver = (msg: Message) => Promise<void> | undefined;

export class TopicHistories {
  private readonly byDestination = new Map<string, TopicHistory>();
  /** Stored history queues handed over at start-up, until `restore` pairs them with their epochs. */
  private loaded: Map<string, RecoveredQueue> | undefined = new Map();
  private readonly commits: GroupCommit;
  private readonly policies: Policies;

  private readonly deliver: Deliver;

  constructor(commits: GroupCommit, policies: Policies, deliver: Deliver) {
    this.commits = commits;
    this.policies = policies;
    this.deliver = deliver;
  }

  /** A stored history queue, at start-up (the router claims the `history/` queues for it). */
  load(rq: RecoveredQueue): void {
    this.loaded?.set(rq.queue.slice(HISTORY_QUEUE_PREFIX.length), rq);
  }

  /**
   * At the end of start-up: each epoch record with the messages loaded for it becomes
   * a history again, under the same epoch. When the reservation is past the last
   * position on disk (the broker stopped without settling it: a crash), positions in
   * between may have been handed out and lost: the history goes on empty after the
   * reservation, so a resume from before it is `history-too-short`, and nothing is ever
   * numbered twice. A history with neither messages nor a reservation is forgotten.
   */
  restore(state: ReadonlyMap<string, StateValue>): void {
    const loaded = this.loaded ?? new Map<string, RecoveredQueue>();
    this.loaded = undefined;
    for (const [key, value] of state) {
      const rec = parseHistoryRecord(key, value);
      if (rec === undefined) continue;
      const entries = loaded.get(rec.destination)?.entries ?? [];
      const onDisk = entries.length === 0 ? 0 : positionOf(entries[entries.length - 1].msg);
      const last = Math.max(onDisk, rec.reserved);
      if (!(last > 0)) {
        this.commits.saveState(key, null);
        continue;
      }
      const h = new TopicHistory(rec.destination, rec.epoch, last);
      const queue = historyQueueName(rec.destination);
      const kept = last === onDisk;
      for (const { msg } of entries) {
        const m: Message = { ...msg, persistent: false, enc: undefined, batch: undefined };
        if (kept) h.entries.push(m);
        else this.commits.unstore(queue, m);
      }
      this.byDestination.set(rec.destination, h);
      this.reserve(h);
    }
  }

  /**
   * Numbers a message published to a destination with history, appends its position
   * and epoch headers, stores it and trims the history to its bounds. Undefined when it
   * may go out now (the caller delivers it); else a promise for when it went out (held
   * until its position is reserved, history.ts), with the commit of that delivery.
   */
  record(msg: Message): Promise<void> | undefined {
    const h = this.historyOf(msg.destination);
    if (h === undefined) return undefined;
    const position = h.add(keep(msg));
    msg.headers.push(POSITION_HEADER, String(position), EPOCH_HEADER, h.epoch);
    this.commits.store(historyQueueName(h.destination), msg);
    this.trim(h);
    this.topUp(h);
    if (position <= h.reserved && h.held.length === 0) return undefined;
    return new Promise<void>((release) => h.held.push({ msg, release }));
  }

  /**
   * At shutdown, once every message is out: the reservation comes down to the last
   * position, so a clean restart keeps the whole history and every resume works.
   */
  settle(): void {
    for (const h of this.byDestination.values()) {
      if (h.held.length > 0 || h.reserved === h.last) continue;
      h.reserved = h.last;
      this.commits.saveState(historyKey(h.destination), historyRecord(h, h.last));
    }
  }

  /**
   * What a subscriber that last saw `position` of `epoch` on `destination` missed
   * (docs/recovery.md), or why it cannot be had. `epoch` undefined asks only where
   * the history stands (for the RECEIPT of a plain SUBSCRIBE); the answer is then
   * `ok` with nothing missed. Undefined when the destination keeps no history.
   */
  resume(destination: string, epoch?: string, position?: number): ResumeResult | undefined {
    const h = this.historyOf(destination);
    if (h === undefined) return undefined;
    this.trim(h);
    if (epoch === undefined || position === undefined) return { ok: true, epoch: h.epoch, position: h.published, missed: [] };
    return h.resume(epoch, position);
  }

  /** The history of a destination whose policy keeps one, started (with a new epoch) on first use. */
  private historyOf(destination: string): TopicHistory | undefined {
    if (this.policies.for(destination).history === 0) return undefined;
    let h = this.byDestination.get(destination);
    if (h === undefined) {
      h = new TopicHistory(destination, newEpoch());
      this.byDestination.set(destination, h);
      this.reserve(h);
    }
    return h;
  }

  /**
   * Raises the history's reservation a block past its last position, in the state
   * record; once that is durable, held messages up to it go out. A failed write leaves
   * the store's view of the history unknown: the numbering starts again under a new
   * epoch (clients of the old one are told `epoch-changed`), and what was held goes out
   * with the positions it was given.
   */
  private reserve(h: TopicHistory): void {
    if (h.reserving) return;
    h.reserving = true;
    const epoch = h.epoch;
    const target = h.last + RESERVE_BLOCK;
    this.commits.saveState(historyKey(h.destination), historyRecord(h, target)).then(
      () => {
        h.reserving = false;
        if (h.epoch !== epoch) return;
        if (target > h.reserved) h.reserved = target;
        this.release(h, false);
        this.topUp(h);
      },
      () => {
        h.reserving = false;
        if (h.epoch !== epoch) return;
        this.release(h, true);
        const queue = historyQueueName(h.destination);
        for (const m of h.reset(newEpoch())) this.commits.unstore(queue, m);
      },
    );
  }

  /** Asks for the next block once half of the reservation is used (RESERVE_BLOCK). */
  private topUp(h: TopicHistory): void {
    if (h.last > h.reserved - RESERVE_BLOCK / 2) this.reserve(h);
  }

  /** Sends out the held messages whose positions are reserved (all of them, with `all`), in order. */
  private release(h: TopicHistory, all: boolean): void {
    while (h.held.length > 0 && (all || positionOf(h.held[0].msg) <= h.reserved)) {
      const { msg, release } = h.held.shift() as (typeof h.held)[number];
      release(this.deliver(msg));
    }
  }

  /** Drops (and unstores) what is past the destination's count and age bounds. */
  private trim(h: TopicHistory): void {
    const policy = this.policies.for(h.destination);
    const queue = historyQueueName(h.destination);
    for (const m of h.trim(policy.history, policy.historyAgeMs, Date.now())) this.commits.unstore(queue, m);
  }
}
