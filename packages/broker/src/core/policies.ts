/**
 * Per-destination policies (RabbitMQ's policies, ActiveMQ's destination policies):
 * an ordered list in the config; the first whose `match` fits a destination applies
 * to it. A pattern is a destination where `*` stands for one word (no `.` or `/`)
 * and `#` for anything, e.g. `/queue/orders.*`, `/topic/chat.#`, `#`.
 */
export type OverflowPolicy = 'drop-head' | 'reject-publish';

export interface DestinationPolicy {
  match: string;
  /** Messages without a `persistent` header are persistent (true) or not (false). */
  persistent?: boolean;
  /** Time to live of each message, ms (the lower of this and the message's own expiry wins). */
  ttlMs?: number;
  /** Most messages a queue holds (overrides maxQueueLength). */
  maxLength?: number;
  /** At maxLength: dead-letter the oldest (`drop-head`, default) or refuse the SEND (`reject-publish`). */
  overflow?: OverflowPolicy;
  /** Topic history kept for recovery: the last `history` messages ... */
  history?: number;
  /** ... no older than this many ms (0 = no age bound). */
  historyAgeMs?: number;
}

/** What applies to one destination, with every field resolved. */
export interface ResolvedPolicy {
  persistent: boolean | undefined;
  ttlMs: number;
  maxLength: number;
  overflow: OverflowPolicy;
  history: number;
  historyAgeMs: number;
}

const FIELDS: Record<string, (v: unknown) => boolean> = {
  match: (v) => typeof v === 'string' && v.length > 0,
  persistent: (v) => typeof v === 'boolean',
  ttlMs: (v) => Number.isInteger(v) && (v as number) >= 0,
  maxLength: (v) => Number.isInteger(v) && (v as number) >= 0,
  overflow: (v) => v === 'drop-head' || v === 'reject-publish',
  history: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 10_000_000,
  historyAgeMs: (v) => Number.isInteger(v) && (v as number) >= 0,
};

/** Checks a policy list as it comes from a config file or flag; returns why it is wrong, or undefined. */
export function policyListProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'expected a list of policy objects like {"match": "/topic/chat.#", "history": 100}';
  for (let i = 0; i < value.length; i++) {
    const p: unknown = value[i];
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return `entry ${i} is not an object`;
    if (!('match' in p)) return `entry ${i} needs a "match" pattern`;
    for (const [k, v] of Object.entries(p)) {
      const ok = FIELDS[k];
      if (ok === undefined) return `entry ${i} has unknown key ${JSON.stringify(k)} (known: ${Object.keys(FIELDS).join(', ')})`;
      if (!ok(v)) return `entry ${i} has an invalid ${k}: ${JSON.stringify(v)}`;
    }
  }
  return undefined;
}

function compile(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '[^./]*').replace(/#/g, '.*');
  return new RegExp(`^${body}$`);
}

const CACHE_LIMIT = 10_000;

export class Policies {
  private readonly list: { re: RegExp; p: DestinationPolicy }[];
  private readonly defaults: ResolvedPolicy;
  /** Destination -> resolved policy; cleared when it grows past a bound (destinations are client-chosen). */
  private readonly cache = new Map<string, ResolvedPolicy>();

  constructor(list: readonly DestinationPolicy[], defaults: { maxQueueLength: number }) {
    this.list = list.map((p) => ({ re: compile(p.match), p }));
    this.defaults = { persistent: undefined, ttlMs: 0, maxLength: defaults.maxQueueLength, overflow: 'drop-head', history: 0, historyAgeMs: 0 };
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Whether any policy keeps topic history (the router skips the history path when none does). */
  get anyHistory(): boolean {
    return this.list.some((e) => (e.p.history ?? 0) > 0);
  }

  for(destination: string): ResolvedPolicy {
    if (this.list.length === 0) return this.defaults;
    let r = this.cache.get(destination);
    if (r !== undefined) return r;
    const hit = this.list.find((e) => e.re.test(destination))?.p;
    const d = this.defaults;
    r = hit === undefined ? d : {
      persistent: hit.persistent ?? d.persistent,
      ttlMs: hit.ttlMs ?? d.ttlMs,
      maxLength: hit.maxLength ?? d.maxLength,
      overflow: hit.overflow ?? d.overflow,
      history: hit.history ?? d.history,
      historyAgeMs: hit.historyAgeMs ?? d.historyAgeMs,
    };
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(destination, r);
    return r;
  }
}
