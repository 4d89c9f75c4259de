/**
 * `p`, or nothing after `ms`, whichever comes first. The timer is cleared either way,
 * so a Node process is not kept alive for the rest of it after a disconnect.
 */
export function within<T>(p: Promise<T>, ms: number): Promise<T | void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}
