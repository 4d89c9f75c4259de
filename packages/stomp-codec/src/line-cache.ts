/**
 * Header lines repeat: a client sends the same `destination:/topic/x` and
 * `content-type:...` frame after frame, and many clients send the same lines. Decoding them to strings every time was the
 * decoder's largest cost (profile: ~13% of the broker in utf8 slicing, plus the GC
 * of those strings), so recently seen lines are kept in a small direct-mapped cache
 * keyed by a hash computed in the byte loop the decoder runs anyway; a hit is
 * confirmed by comparing bytes, and returns the same string objects as last time.
 */
const SLOTS = 256; // power of two; shared by every decoder of the process
export const MAX_CACHED_LINE = 256;

export class LineCache {
  private readonly keys: (Uint8Array | undefined)[] = new Array(SLOTS);
  private readonly names: string[] = new Array(SLOTS);
  private readonly values: string[] = new Array(SLOTS);
  /** Set by `get` on a hit. */
  name = '';
  value = '';

  get(bytes: Uint8Array, start: number, end: number, hash: number): boolean {
    const slot = hash & (SLOTS - 1);
    const key = this.keys[slot];
    const n = end - start;
    if (key === undefined || key.length !== n) return false;
    for (let i = 0; i < n; i++) if (key[i] !== bytes[start + i]) return false;
    this.name = this.names[slot];
    this.value = this.values[slot];
    return true;
  }

  set(bytes: Uint8Array, start: number, end: number, hash: number, name: string, value: string): void {
    const slot = hash & (SLOTS - 1);
    const key = new Uint8Array(end - start);
    for (let i = 0; i < key.length; i++) key[i] = bytes[start + i];
    this.keys[slot] = key;
    this.names[slot] = name;
    this.values[slot] = value;
  }

  clear(): void {
    this.keys.fill(undefined);
  }
}
