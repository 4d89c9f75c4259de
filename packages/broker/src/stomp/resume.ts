/**
 * Topic recovery on SUBSCRIBE, a Stompbox extension (docs/recovery.md):
 * `stompbox-resume: <epoch>:<position>` asks for what the destination's history
 * holds after that position; the RECEIPT says whether it could be had
 * (`stompbox-resume: ok | unavailable`, `stompbox-reason`) and where the history
 * stands (`stompbox-epoch`, `stompbox-position`), also on a plain SUBSCRIBE.
 */
import { getHeader } from '@stompbox/stomp-codec';
import { EPOCH_HEADER, POSITION_HEADER } from '../core/history.js';
import type { Message } from '../core/message.js';
import type { Router } from '../core/router.js';
import { ErrorCodes, StompboxError } from '../errors.js';

export interface ResumePlan {
  /** Headers for the SUBSCRIBE's RECEIPT. */
  receipt: string[] | undefined;
  /** History messages to deliver before any live one. */
  missed: Message[];
}

const NOTHING: ResumePlan = { receipt: undefined, missed: [] };

export function planResume(router: Router, destination: string, h: string[]): ResumePlan {
  const asked = getHeader(h, 'stompbox-resume');
  let epoch: string | undefined;
  let position: number | undefined;
  if (asked !== undefined) {
    const m = /^([^:]+):(\d{1,15})$/.exec(asked);
    if (m === null) throw new StompboxError(ErrorCodes.BAD_HEADER_VALUE, `invalid stompbox-resume '${asked}': expected <epoch>:<position>`);
    epoch = m[1];
    position = Number(m[2]);
    if (isPattern(destination)) return { receipt: ['stompbox-resume', 'unavailable', 'stompbox-reason', 'wildcard'], missed: [] };
  }
  const r = router.resume(destination, epoch, position);
  if (r === undefined) return asked === undefined ? NOTHING : { receipt: ['stompbox-resume', 'unavailable', 'stompbox-reason', 'no-history'], missed: [] };
  const where = [EPOCH_HEADER, r.epoch, POSITION_HEADER, String(r.position)];
  if (asked === undefined) return { receipt: where, missed: [] };
  if (!r.ok) return { receipt: ['stompbox-resume', 'unavailable', 'stompbox-reason', r.reason, ...where], missed: [] };
  return { receipt: ['stompbox-resume', 'ok', ...where], missed: r.missed };
}

function isPattern(destination: string): boolean {
  return destination.startsWith('/topic/') && destination.slice(7).split('.').some((w) => w === '*' || w === '#');
}
