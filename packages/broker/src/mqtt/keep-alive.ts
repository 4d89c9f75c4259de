/**
 * Keep-alive ([MQTT-3.1.2-24]: a client silent for one and a half times its Keep
 * Alive is disconnected). One timer for all connections instead of one each: every
 * second it looks at each connection's "read since last look" flag, so receiving a
 * packet costs a flag store, and an idle connection costs no timer object. A
 * connection is therefore dropped between 1.5x and 1.5x + 1 s of silence.
 */
export interface KeepAlivePeer {
  /** Keep Alive in ms x 1.5 (0 = none). */
  readonly keepAliveLimitMs: number;
  /** Something was read since the last look; reset by the sweep. */
  readSince: boolean;
  /** When the sweep last saw something read. */
  lastRead: number;
  keepAliveExpired(silentMs: number): void;
}

const TICK_MS = 1000;
const peers = new Set<KeepAlivePeer>();
let timer: NodeJS.Timeout | undefined;
let lastSweep = 0;

/**
 * One look at every peer at `now`. A sweep that comes late (the event loop was busy) does
 * not count its lateness as the peers' silence: their packets may be sitting unread in
 * the socket buffers, as the STOMP heart-beat's SilenceWatch reasons too.
 */
export function sweepKeepAlive(now: number): void {
  const late = lastSweep === 0 ? 0 : Math.max(0, now - lastSweep - TICK_MS);
  lastSweep = now;
  for (const p of peers) {
    if (p.readSince) {
      p.readSince = false;
      p.lastRead = now;
    } else if (now - p.lastRead - late >= p.keepAliveLimitMs) {
      peers.delete(p);
      p.keepAliveExpired(now - p.lastRead);
    }
  }
  if (peers.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
    lastSweep = 0;
  }
}

export function watchKeepAlive(p: KeepAlivePeer): void {
  p.lastRead = Date.now();
  p.readSince = false;
  peers.add(p);
  if (timer === undefined) {
    lastSweep = Date.now();
    timer = setInterval(() => sweepKeepAlive(Date.now()), TICK_MS);
    timer.unref();
  }
}

export function unwatchKeepAlive(p: KeepAlivePeer): void {
  peers.delete(p);
}
