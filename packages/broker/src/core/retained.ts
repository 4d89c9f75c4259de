/**
 * Retained messages: the last message published with `retain` to each destination,
 * handed to every new matching subscriber (MQTT 3.1.1 §3.3.1.3, MQTT 5 §3.3.1.3).
 * Protocol-free: keys are routing destinations (`/topic/a.b`), and lookups take a
 * destination that may be a topic pattern (`*` one word, `#` zero or more words).
 *
 * Contract (what a store-backed implementation must keep):
 * - `set` replaces the message of its destination; a message with an empty body
 *   removes it instead ([MQTT-3.3.1-10], [MQTT-3.3.1-11]).
 * - `match` returns the messages whose destination the pattern matches, each once,
 *   without the expired ones ([MQTT-3.3.2-5]); a pattern whose first word is a
 *   wildcard does not match destinations whose first word starts with `$`
 *   ([MQTT-4.7.2-1]).
 * - At most `maxMessages` destinations are kept; past it a new destination is refused
 *   (`set` returns false) while existing ones can still be replaced or removed.
 *
 * - Every change is told to `persistence` as it happens (write-through): `kept`
 *   with the message it replaced, `removed` when one is cleared, replaced by
 *   nothing, or found expired. `load` fills the table at start-up without telling
 *   it (core/retained-store.ts keeps them in the store).
 */
import type { Message } from './message.js';

export interface RetainedPersistence {
  /** `msg` is now its destination's retained message, in place of `replaced`. */
  kept(msg: Message, replaced: Message | undefined): void;
  /** `msg` is no longer retained. */
  removed(msg: Message): void;
}

interface Node {
  words: Map<string, Node> | undefined;
  msg: Message | undefined;
}

const TOPIC = '/topic/';

export class RetainedMessages {
  /** Destinations outside `/topic/` (matched exactly). */
  private readonly exact = new Map<string, Message>();
  private readonly root: Node = { words: undefined, msg: undefined };
  private count = 0;
  readonly maxMessages: number;
  /** Told of every change (none while loading). */
  persistence: RetainedPersistence | undefined;

  constructor(maxMessages = 0, persistence?: RetainedPersistence) {
    this.maxMessages = maxMessages;
    this.persistence = persistence;
  }

  /**
   * Puts messages found in the store at start-up, without writing them back. Returns
   * those that were not kept (past `maxMessages`, or replaced by a later one of
   * their destination) so the caller can remove them from the store.
   */
  load(messages: Message[]): Message[] {
    const p = this.persistence;
    const refused: Message[] = [];
    this.persistence = {
      kept: (_m, replaced) => {
        if (replaced !== undefined) refused.push(replaced);
      },
      removed: (m) => refused.push(m),
    };
    try {
      for (const m of [...messages].sort((a, b) => a.seq - b.seq)) if (!this.set(m)) refused.push(m);
    } finally {
      this.persistence = p;
    }
    return refused;
  }

  get size(): number {
    return this.count;
  }

  /** Keeps `msg` as its destination's retained message (or removes it when the body is empty). */
  set(msg: Message): boolean {
    const dest = msg.destination;
    if (msg.body.length === 0) {
      this.delete(dest);
      return true;
    }
    if (!dest.startsWith(TOPIC)) {
      const prev = this.exact.get(dest);
      if (prev === undefined && this.full()) return false;
      if (prev === undefined) this.count++;
      this.exact.set(dest, msg);
      this.persistence?.kept(msg, prev);
      return true;
    }
    let n = this.root;
    for (const w of dest.slice(TOPIC.length).split('.')) {
      const words = (n.words ??= new Map());
      let c = words.get(w);
      if (c === undefined) words.set(w, (c = { words: undefined, msg: undefined }));
      n = c;
    }
    if (n.msg === undefined) {
      if (this.full()) {
        this.prune(dest);
        return false;
      }
      this.count++;
    }
    const prev = n.msg;
    n.msg = msg;
    this.persistence?.kept(msg, prev);
    return true;
  }

  get(dest: string): Message | undefined {
    if (!dest.startsWith(TOPIC)) return this.exact.get(dest);
    let n: Node | undefined = this.root;
    for (const w of dest.slice(TOPIC.length).split('.')) {
      n = n.words?.get(w);
      if (n === undefined) return undefined;
    }
    return n.msg;
  }

  delete(dest: string): void {
    if (!dest.startsWith(TOPIC)) {
      const prev = this.exact.get(dest);
      if (prev === undefined) return;
      this.exact.delete(dest);
      this.count--;
      this.persistence?.removed(prev);
      return;
    }
    const path: Node[] = [this.root];
    const words = dest.slice(TOPIC.length).split('.');
    let n: Node | undefined = this.root;
    for (const w of words) {
      n = n.words?.get(w);
      if (n === undefined) return;
      path.push(n);
    }
    const prev = n.msg;
    if (prev === undefined) return;
    n.msg = undefined;
    this.count--;
    this.prunePath(path, words);
    this.persistence?.removed(prev);
  }

  /** Retained messages matching `pattern` (a destination, `/topic/` ones may hold `*` and `#`). */
  match(pattern: string, now = Date.now()): Message[] {
    const out: Message[] = [];
    if (!pattern.startsWith(TOPIC)) {
      const m = this.exact.get(pattern);
      if (m !== undefined && !this.expiredAt(m, now)) out.push(m);
      return out;
    }
    this.walk(this.root, pattern.slice(TOPIC.length).split('.'), 0, out, now);
    return out;
  }

  /** Every retained message (for the store and the management API). */
  all(): Message[] {
    const out = [...this.exact.values()];
    const visit = (n: Node) => {
      if (n.msg !== undefined) out.push(n.msg);
      if (n.words !== undefined) for (const c of n.words.values()) visit(c);
    };
    visit(this.root);
    return out;
  }

  private full(): boolean {
    return this.maxMessages > 0 && this.count >= this.maxMessages;
  }

  private expiredAt(m: Message, now: number): boolean {
    if (m.expires === 0 || m.expires > now) return false;
    this.delete(m.destination);
    return true;
  }

  private walk(n: Node, words: string[], i: number, out: Message[], now: number): void {
    if (i === words.length) {
      if (n.msg !== undefined) {
        const m = n.msg;
        if (!this.expiredAt(m, now)) out.push(m);
      }
      return;
    }
    const w = words[i];
    const children = n.words;
    if (w === '#') {
      // Zero or more words: this node itself ("sport/#" matches "sport"), then everything below.
      if (n !== this.root && n.msg !== undefined && !this.expiredAt(n.msg, now)) out.push(n.msg);
      if (children !== undefined) {
        for (const [word, c] of children) {
          if (n === this.root && word.startsWith('$')) continue; // [MQTT-4.7.2-1]
          this.all1(c, out, now);
        }
      }
      return;
    }
    if (children === undefined) return;
    if (w === '*') {
      for (const [word, c] of children) {
        if (n === this.root && word.startsWith('$')) continue; // [MQTT-4.7.2-1]
        this.walk(c, words, i + 1, out, now);
      }
      return;
    }
    const c = children.get(w);
    if (c !== undefined) this.walk(c, words, i + 1, out, now);
  }

  private all1(n: Node, out: Message[], now: number): void {
    if (n.msg !== undefined && !this.expiredAt(n.msg, now)) out.push(n.msg);
    if (n.words !== undefined) for (const c of [...n.words.values()]) this.all1(c, out, now);
  }

  /** Removes the empty nodes a refused `set` created. */
  private prune(dest: string): void {
    const words = dest.slice(TOPIC.length).split('.');
    const path: Node[] = [this.root];
    let n: Node | undefined = this.root;
    for (const w of words) {
      n = n.words?.get(w);
      if (n === undefined) return;
      path.push(n);
    }
    this.prunePath(path, words);
  }

  private prunePath(path: Node[], words: string[]): void {
    for (let i = words.length; i > 0; i--) {
      const c = path[i];
      if (c.msg !== undefined || (c.words !== undefined && c.words.size > 0)) break;
      path[i - 1].words?.delete(words[i - 1]);
    }
  }
}
