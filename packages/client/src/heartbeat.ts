/**
 * STOMP 1.1 §"Heart-beating", judged by wall-clock time.
 *
 * Negotiation: the client offers `cx,cy` (it can send every cx ms, wants a beat every
 * cy ms); the server answers `sx,sy`. The client then sends every max(cx, sy) ms unless
 * either is 0, and expects something every max(sx, cy) ms unless either is 0.
 *
 * Timers in background tabs and hidden mini-programs are throttled or frozen, and a
 * frozen page reads nothing from its socket. When a check runs much later than it was
 * due, the page was asleep: the bytes the broker sent meanwhile may still be waiting to
 * be read, so silence is not judged at that tick; the clock for silence restarts, and
 * a beat is sent at once. Only silence measured while the page was awake kills the
 * connection (after twice the interval, as stompjs and most brokers allow).
 */
export interface Clock {
  now(): number;
  setInterval(f: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setInterval: (f, ms) => setInterval(f, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** [send every, expect every] in ms from our offer and the server's CONNECTED heart-beat header. */
export function negotiate(offer: [number, number], header: string | undefined): [number, number] {
  const [sx, sy] = (header ?? '0,0').split(',').map((v) => parseInt(v, 10) || 0);
  const [cx, cy] = offer;
  return [cx === 0 || !sy ? 0 : Math.max(cx, sy), cy === 0 || !sx ? 0 : Math.max(sx, cy)];
}

export class Heartbeat {
  private lastIn_: number;
  private lastOut_: number;
  private lastTick_: number;
  private timer_: unknown;
  private readonly period_: number;

  constructor(
    readonly sendEvery: number,
    readonly expectEvery: number,
    private readonly beat_: () => void,
    private readonly dead_: (silentMs: number) => void,
    private readonly clock_: Clock = realClock,
  ) {
    const t = clock_.now();
    this.lastIn_ = this.lastOut_ = this.lastTick_ = t;
    const every = Math.min(sendEvery || Infinity, expectEvery || Infinity);
    this.period_ = every === Infinity ? 0 : Math.max(10, Math.floor(every / 2));
    if (this.period_ > 0) this.timer_ = clock_.setInterval(() => this.tick(), this.period_);
  }

  /** Anything arrived (a frame or a beat). */
  received(): void {
    this.lastIn_ = this.clock_.now();
  }

  /** A frame was sent: no beat needed for a while. */
  sent(): void {
    this.lastOut_ = this.clock_.now();
  }

  tick(): void {
    const t = this.clock_.now();
    const late = t - this.lastTick_ - this.period_;
    this.lastTick_ = t;
    // Asleep for more than a period (and a second): judge nothing now, beat at once.
    const woke = late > Math.max(this.period_, 1000);
    if (woke) this.lastIn_ = t;
    if (this.sendEvery > 0 && (woke || t - this.lastOut_ >= this.sendEvery)) {
      this.lastOut_ = t;
      this.beat_();
    }
    if (this.expectEvery > 0 && t - this.lastIn_ > 2 * this.expectEvery) this.dead_(t - this.lastIn_);
  }

  stop(): void {
    if (this.timer_ !== undefined) this.clock_.clearInterval(this.timer_);
    this.timer_ = undefined;
  }
}
