/**
 * The client side of Stompbox recovery (docs/recovery.md). Each MESSAGE of a
 * destination with history carries `stompbox-epoch` and `stompbox-position`; the
 * tracker keeps the last of them per subscription, asks the broker to resume after it
 * on every re-SUBSCRIBE (`stompbox-resume: <epoch>:<position>`), drops a message it has
 * already delivered, and turns a RECEIPT saying `stompbox-resume: unavailable` into a
 * gap for the application (it must reload what it shows).
 */
import { getHeader } from '@stompbox/stomp-codec';

export const EPOCH = 'stompbox-epoch';
export const POSITION = 'stompbox-position';
export const RESUME = 'stompbox-resume';
export const REASON = 'stompbox-reason';

export interface StreamPosition {
  epoch: string;
  position: number;
}

export type GapReason = 'epoch-changed' | 'history-too-short' | 'position-ahead' | 'no-history' | 'wildcard' | (string & {});

/** Some messages between `from` and `to` are lost: the broker cannot replay them. */
export interface GapEvent {
  subscription: string;
  destination: string;
  reason: GapReason;
  /** Where the client was (what it asked to resume after). */
  from: StreamPosition;
  /** Where the subscription starts now (the destination's last position). */
  to: StreamPosition | undefined;
}

/** Topic patterns (`*`, `#`) cannot be resumed: positions are per destination. */
export const resumable = (destination: string): boolean => !/[*#]/.test(destination);

export class ResumeTracker {
  last_: StreamPosition | undefined;
  /** The resume asked for on the SUBSCRIBE in flight (for the gap it may answer). */
  private asked_: StreamPosition | undefined;

  constructor(start?: StreamPosition) {
    this.last_ = start;
  }

  /** The value of `stompbox-resume` for the next SUBSCRIBE, if there is one. */
  resumeHeader_(): string | undefined {
    this.asked_ = this.last_;
    return this.last_ && `${this.last_.epoch}:${this.last_.position}`;
  }

  /** False for a message already delivered (same epoch, position not past the last). */
  accept_(headers: readonly string[]): boolean {
    const epoch = getHeader(headers, EPOCH);
    const pos = getHeader(headers, POSITION);
    if (epoch === undefined || pos === undefined) return true;
    const position = Number(pos);
    if (this.last_ !== undefined && this.last_.epoch === epoch && position <= this.last_.position) return false;
    this.last_ = { epoch, position };
    return true;
  }

  /** Reads the SUBSCRIBE's RECEIPT; returns the gap it reports, if any. */
  receipt_(headers: readonly string[], subscription: string, destination: string): GapEvent | undefined {
    const epoch = getHeader(headers, EPOCH);
    const pos = getHeader(headers, POSITION);
    const to = epoch !== undefined && pos !== undefined ? { epoch, position: Number(pos) } : undefined;
    const asked = this.asked_;
    this.asked_ = undefined;
    const status = getHeader(headers, RESUME);
    if (status === 'unavailable' && asked !== undefined) {
      // Unless a live message already moved us on (frames may precede the RECEIPT).
      if (this.last_ === asked) this.last_ = to;
      return { subscription, destination, reason: getHeader(headers, REASON) ?? 'unknown', from: asked, to };
    }
    // A first subscription learns where it starts, so that a drop before its first message is resumable.
    if (this.last_ === undefined && to !== undefined) this.last_ = to;
    return undefined;
  }
}
