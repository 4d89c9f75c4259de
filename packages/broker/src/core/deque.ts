/**
 * A double-ended queue on a growable ring buffer: O(1) push, shift and unshift
 * (a requeued message goes back to the head). Used for queue contents, where an
 * array's shift() would be O(n).
 */
const EMPTY: never[] = [];

export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private size = 0;

  /** `capacity` 0 allocates nothing until the first push (most subscriptions never park anything). */
  constructor(capacity = 16) {
    this.items = capacity === 0 ? EMPTY : new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = item;
    this.size++;
  }

  unshift(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  at(i: number): T {
    return this.items[(this.head + i) % this.items.length] as T;
  }

  /** Removes the item at position i (O(n); used only when a selector skips the head). */
  removeAt(i: number): T {
    const item = this.at(i);
    for (let k = i; k < this.size - 1; k++) {
      this.items[(this.head + k) % this.items.length] = this.items[(this.head + k + 1) % this.items.length];
    }
    this.items[(this.head + this.size - 1) % this.items.length] = undefined;
    this.size--;
    return item;
  }

  clear(): void {
    this.items = EMPTY;
    this.head = 0;
    this.size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.max(16, this.items.length * 2));
    for (let i = 0; i < this.size; i++) next[i] = this.at(i);
    this.items = next;
    this.head = 0;
  }
}
