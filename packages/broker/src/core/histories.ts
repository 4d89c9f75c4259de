/**
 * The topic histories of the destinations whose policy asks for one (history.ts has
 * one history and the model). Every history message is stored, persistent or not,
 * in the pseudo-queue `history/<destination>`, and each history's epoch in the
 * state record of the same name, so a restart brings back the same numbering.
 */
import {
  EPOCH_HEADER, historyKey, historyQueueName, newEpoch, parseHistoryRecord, POSITION_HEADER, positionOf,
  TopicHistory, type ResumeResult,
} from './history.js';
import { keep, type Message } from './message.js';
import type { GroupCommit } from './group-commit.js';
import type { Policies } from './policies.js';
import type { RecoveredQueue, StateValue } from '../store/types.js';

/** The stored-queue name prefix of histories (for the router's `claimQueues`). */
export const HISTORY_QUEUE_PREFIX = historyQueueName('');

export class TopicHistories {
  private readonly byDestination = new Map<string, TopicHistory>();
  /** Stored history queues handed over at start-up, until `restore` pairs them with their epochs. */
  private loaded: Map<string, RecoveredQueue> | undefined = new Map();
  private readonly commits: GroupCommit;
  private readonly policies: Policies;

  constructor(commits: GroupCommit, policies: Policies) {
    this.commits = commits;
    this.policies = policies;
  }

  /** A stored history queue, at start-up (the router claims the `history/` queues for it). */
  load(rq: RecoveredQueue): void {
    this.loaded?.set(rq.queue.slice(HISTORY_QUEUE_PREFIX.length), rq);
  }

  /**
   * At the end of start-up: each epoch record with the messages loaded for it becomes
   * a history again. A history whose messages are all gone cannot say where its
   * numbering was: its record goes, and it starts again under a new epoch, so that
   * clients of the old one learn they must reload.
   */
  restore(state: ReadonlyMap<string, StateValue>): void {
    const loaded = this.loaded ?? new Map<string, RecoveredQueue>();
    this.loaded = undefined;
    for (const [key, value] of state) {
      const rec = parseHistoryRecord(key, value);
      if (rec === undefined) continue;
      const entries = loaded.get(rec.destination)?.entries ?? [];
      const last = entries.length === 0 ? 0 : positionOf(entries[entries.length - 1].msg);
      if (!(last > 0)) {
        this.commits.saveState(key, null);
        continue;
      }
      const h = new TopicHistory(rec.destination, rec.epoch, last);
      for (const { msg } of entries) h.entries.push({ ...msg, persistent: false, enc: undefined, batch: undefined });
      this.byDestination.set(rec.destination, h);
    }
  }

  /**
   * Numbers a message published to a destination with history, appends its position
   * and epoch headers, stores it and trims the history to its bounds. Returns the
   * commit promise when the message itself is persistent (its RECEIPT waits), else
   * undefined.
   */
  record(msg: Message): Promise<void> | undefined {
    const h = this.historyOf(msg.destination);
    if (h === undefined) return undefined;
    const position = h.add(keep(msg));
    msg.headers.push(POSITION_HEADER, String(position), EPOCH_HEADER, h.epoch);
    const done = this.commits.store(historyQueueName(h.destination), msg);
    this.trim(h);
    return msg.persistent ? done : undefined;
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
    if (epoch === undefined || position === undefined) return { ok: true, epoch: h.epoch, position: h.last, missed: [] };
    return h.resume(epoch, position);
  }

  /** The history of a destination whose policy keeps one, started (with a new epoch) on first use. */
  private historyOf(destination: string): TopicHistory | undefined {
    if (this.policies.for(destination).history === 0) return undefined;
    let h = this.byDestination.get(destination);
    if (h === undefined) {
      h = new TopicHistory(destination, newEpoch());
      this.byDestination.set(destination, h);
      this.commits.saveState(historyKey(destination), { epoch: h.epoch });
    }
    return h;
  }

  /** Drops (and unstores) what is past the destination's count and age bounds. */
  private trim(h: TopicHistory): void {
    const policy = this.policies.for(h.destination);
    const queue = historyQueueName(h.destination);
    for (const m of h.trim(policy.history, policy.historyAgeMs, Date.now())) this.commits.unstore(queue, m);
  }
}
