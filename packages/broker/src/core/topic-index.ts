/**
 * Subscribers by topic key (live subscriptions, and durable bindings to queues). Exact keys are a Map lookup; patterns with `*` (one
 * word) and `#` (zero or more words), words split by `.` as in RabbitMQ's topic
 * exchange, live in a trie that is walked only when any exist.
 * Subscriber lists are copy-on-write arrays so that a publish iterates them without
 * allocating, and a subscribe during a fan-out does not disturb it.
 */
/** What the index holds: `lastSeq` is its bookkeeping to de-duplicate wildcard matches. */
export interface Matchable {
  lastSeq: number;
}

interface Node<T> {
  words: Map<string, Node<T>>;
  star: Node<T> | undefined;
  hash: Node<T> | undefined;
  subs: T[];
}

function node<T>(): Node<T> {
  return { words: new Map(), star: undefined, hash: undefined, subs: [] };
}

export class TopicIndex<T extends Matchable> {
  private readonly exact = new Map<string, T[]>();
  private readonly root: Node<T> = node();
  private readonly none: T[] = [];
  private patterns = 0;
  /** Only destinations under this prefix may be patterns (`/topic/`); the rest match exactly. */
  private readonly prefix: string;

  constructor(patternPrefix: string) {
    this.prefix = patternPrefix;
  }

  /** Is `dest` a pattern (`*` or `#` as a word of a key under the prefix)? */
  isPattern(dest: string): boolean {
    if (!dest.startsWith(this.prefix)) return false;
    return dest.slice(this.prefix.length).split('.').some((w) => w === '*' || w === '#');
  }

  get size(): number {
    let n = this.patterns;
    for (const subs of this.exact.values()) n += subs.length;
    return n;
  }

  /** Adds a subscriber; true when it is the key's first (a node's interest in it begins). */
  add(dest: string, sub: T): boolean {
    if (!this.isPattern(dest)) {
      const subs = this.exact.get(dest) ?? this.none;
      this.exact.set(dest, [...subs, sub]);
      return subs.length === 0;
    }
    let n = this.root;
    for (const w of dest.slice(this.prefix.length).split('.')) {
      if (w === '*') n = n.star ??= node<T>();
      else if (w === '#') n = n.hash ??= node<T>();
      else {
        let c = n.words.get(w);
        if (c === undefined) n.words.set(w, (c = node<T>()));
        n = c;
      }
    }
    const first = n.subs.length === 0;
    n.subs = [...n.subs, sub];
    this.patterns++;
    return first;
  }

  /** Removes a subscriber; true when it was the key's last. */
  remove(dest: string, sub: T): boolean {
    if (!this.isPattern(dest)) {
      const subs = this.exact.get(dest);
      if (subs === undefined) return false;
      const next = subs.filter((s) => s !== sub);
      if (next.length === subs.length) return false;
      if (next.length === 0) this.exact.delete(dest);
      else this.exact.set(dest, next);
      return next.length === 0;
    }
    const path: Node<T>[] = [this.root];
    const words = dest.slice(this.prefix.length).split('.');
    let n: Node<T> | undefined = this.root;
    for (const w of words) {
      n = w === '*' ? n.star : w === '#' ? n.hash : n.words.get(w);
      if (n === undefined) return false;
      path.push(n);
    }
    const before = n.subs.length;
    n.subs = n.subs.filter((s) => s !== sub);
    if (n.subs.length === before) return false;
    this.patterns--;
    const last = n.subs.length === 0;
    // Prune empty nodes so that a churn of patterns does not leak.
    for (let i = words.length; i > 0; i--) {
      const c = path[i];
      if (c.subs.length > 0 || c.words.size > 0 || c.star || c.hash) break;
      const p = path[i - 1];
      const w = words[i - 1];
      if (w === '*') p.star = undefined;
      else if (w === '#') p.hash = undefined;
      else p.words.delete(w);
    }
    return last;
  }

  /**
   * Subscriptions matching `key`. Returns the exact list itself when no pattern
   * exists (no allocation); `seq` de-duplicates a subscription reached twice.
   */
  match(dest: string, seq: number): T[] {
    const exact = this.exact.get(dest) ?? this.none;
    if (this.patterns === 0 || !dest.startsWith(this.prefix)) return exact;
    const out: T[] = [];
    for (const s of exact) {
      s.lastSeq = seq;
      out.push(s);
    }
    const words = dest.slice(this.prefix.length).split('.');
    if (words[0].charCodeAt(0) === 36 /* $ */) {
      // A key whose first word starts with `$` (MQTT's `$SYS/...`) is not matched by a
      // pattern that starts with a wildcard ([MQTT-4.7.2-1]), only by one naming it.
      const c = this.root.words.get(words[0]);
      if (c !== undefined) walk(c, words, 1, out, seq);
      return out;
    }
    walk(this.root, words, 0, out, seq);
    return out;
  }
}

function walk<T extends Matchable>(n: Node<T>, words: string[], i: number, out: T[], seq: number): void {
  if (n.hash !== undefined) {
    // `#` matches zero or more words.
    for (let j = i; j <= words.length; j++) walk(n.hash, words, j, out, seq);
  }
  if (i === words.length) {
    for (const s of n.subs) {
      if (s.lastSeq !== seq) {
        s.lastSeq = seq;
        out.push(s);
      }
    }
    return;
  }
  const c = n.words.get(words[i]);
  if (c !== undefined) walk(c, words, i + 1, out, seq);
  if (n.star !== undefined) walk(n.star, words, i + 1, out, seq);
}
