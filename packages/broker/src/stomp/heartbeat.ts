/**
 * STOMP 1.1 §"Heart-beating". CONNECT carries `heart-beat:cx,cy` (the client can
 * send every cx ms, wants to receive every cy ms); CONNECTED answers with the
 * server's sx,sy. Each direction's interval is the larger of what one side can do
 * and the other wants, or none if either says 0.
 *
 * Timers look at flags instead of being re-armed per frame: the send timer runs
 * every interval/2 and beats if nothing was written since its last look (so the
 * gap never exceeds the interval); the receive timer looks four times per
 * tolerance x interval and declares the client dead once nothing at all has arrived
 * for that long (so between 1 and 1.25 times the limit, never earlier), not counting
 * the time a late look spent waiting for a busy event loop.
 */
export interface Negotiated {
  /** Server -> client interval in ms (0 = none). */
  send: number;
  /** Client -> server interval in ms (0 = none). */
  receive: number;
}

export function parseHeartBeat(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return [0, 0];
  const m = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value);
  if (m === null) return undefined;
  return [Number(m[1]), Number(m[2])];
}

export function negotiate(client: [number, number], serverSend: number, serverReceive: number): Negotiated {
  const [cx, cy] = client;
  return {
    send: cy === 0 || serverSend === 0 ? 0 : Math.max(serverSend, cy),
    receive: cx === 0 || serverReceive === 0 ? 0 : Math.max(serverReceive, cx),
  };
}

export interface HeartbeatPeer {
  /** Something was written since the last look (reset by the timer). */
  wroteSinceLook(): boolean;
  /** Something was read since the last look (reset by the timer). */
  readSinceLook(): boolean;
  sendBeat(): void;
  dead(silentMs: number): void;
}

/**
 * The receive side's judgement, looked at every `every` ms: dead once nothing has been
 * read for `limit` ms. A look that runs late (the event loop was busy: GC, a burst of
 * fan-out) does not count its lateness as the client's silence: timers run before
 * pending reads, so beats that came meanwhile are still waiting in the socket.
 */
export class SilenceWatch {
  readonly every: number;
  private lastRead: number;
  private lastLook: number;

  constructor(
    private readonly limit: number,
    now: number,
  ) {
    this.every = Math.max(1, Math.ceil(limit / 4));
    this.lastRead = this.lastLook = now;
  }

  /** The silence in ms if the peer is to be declared dead now, else undefined. */
  look(now: number, readSinceLook: boolean): number | undefined {
    const late = Math.max(0, now - this.lastLook - this.every);
    this.lastLook = now;
    if (readSinceLook) this.lastRead = now;
    else if (now - this.lastRead - late >= this.limit) return now - this.lastRead;
    return undefined;
  }
}

export class Heartbeat {
  private sendTimer: NodeJS.Timeout | undefined;
  private receiveTimer: NodeJS.Timeout | undefined;

  constructor(peer: HeartbeatPeer, n: Negotiated, tolerance: number) {
    if (n.send > 0) {
      this.sendTimer = setInterval(() => {
        if (!peer.wroteSinceLook()) peer.sendBeat();
      }, Math.max(1, Math.floor(n.send / 2)));
      this.sendTimer.unref();
    }
    if (n.receive > 0) {
      const watch = new SilenceWatch(Math.ceil(n.receive * tolerance), Date.now());
      this.receiveTimer = setInterval(() => {
        const silent = watch.look(Date.now(), peer.readSinceLook());
        if (silent !== undefined) peer.dead(silent);
      }, watch.every);
      this.receiveTimer.unref();
    }
  }

  stop(): void {
    if (this.sendTimer !== undefined) clearInterval(this.sendTimer);
    if (this.receiveTimer !== undefined) clearInterval(this.receiveTimer);
    this.sendTimer = this.receiveTimer = undefined;
  }
}
