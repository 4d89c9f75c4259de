/**
 * Seeded randomness for the crash tests: a failure prints its seed, and the same seed
 * (CRASH_SEED) replays the same schedule.
 */

/** The seed: CRASH_SEED when given, else a fresh one. */
export function crashSeed(): number {
  return process.env.CRASH_SEED !== undefined ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
}

/** mulberry32: small, seedable, good enough for a test schedule. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer from lo to hi, both included. */
export const between = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
