/**
 * Retained messages kept in the store, as topic histories are (core/history.ts): a
 * retained message is an ordinary stored message referenced from a pseudo-queue,
 * so its body is stored once even when kept sessions' queues reference it too, and
 * a replacement is one atomic batch (the new reference in, the old one out; within
 * one turn the old write is cancelled rather than done and undone).
 *
 * Two pseudo-queues say what the message itself does not: `retained/persistent`
 * holds messages published persistent (MQTT QoS 1/2), `retained/transient` the
 * others (QoS 0), which must come back at QoS 0 ([MQTT-3.3.1-5]: the server keeps
 * "the Application Message and its QoS"). Mosquitto keeps QoS 0 retained messages
 * across restarts too; so does this.
 *
 * At start-up (`router.recover()`), both are handed back here and loaded into
 * `RetainedMessages`; expired ones and ones past the configured bound are removed
 * from the store instead.
 */
import type { Message } from './message.js';
import type { RetainedMessages, RetainedPersistence } from './retained.js';
import type { Router } from './router.js';
import type { RecoveredQueue } from '../store/types.js';

const PREFIX = 'retained/';
const PERSISTENT = `${PREFIX}persistent`;
const TRANSIENT = `${PREFIX}transient`;

function queueOf(m: Message): string {
  return m.persistent ? PERSISTENT : TRANSIENT;
}

export class RetainedStore implements RetainedPersistence {
  private readonly router: Router;
  private readonly stored: (destination: string) => boolean;

  /** `stored(destination)` says which destinations are kept (the broker's own `$SYS` topics are republished instead). */
  constructor(router: Router, stored: (destination: string) => boolean) {
    this.router = router;
    this.stored = stored;
  }

  kept(msg: Message, replaced: Message | undefined): void {
    if (replaced !== undefined) this.removed(replaced);
    if (this.stored(msg.destination)) this.router.store(queueOf(msg), msg);
  }

  removed(msg: Message): void {
    if (this.stored(msg.destination)) this.router.unstore(queueOf(msg), msg);
  }
}

/**
 * Backs `retained` with the store: from now on every change is written through, and
 * what the store holds is loaded into it by `router.recover()`. Call before it.
 */
export function keepRetainedInStore(router: Router, retained: RetainedMessages, stored: (destination: string) => boolean): void {
  const store = new RetainedStore(router, stored);
  router.claimQueues(PREFIX, (rq: RecoveredQueue) => {
    const persistent = rq.queue === PERSISTENT;
    if (!persistent && rq.queue !== TRANSIENT) return;
    const now = Date.now();
    const live: Message[] = [];
    for (const { msg } of rq.entries) {
      const m: Message = { ...msg, persistent, enc: undefined, batch: undefined };
      // [MQTT-3.3.2-5] an expired retained message is not handed out; nor kept.
      if (m.expires !== 0 && m.expires <= now) router.unstore(rq.queue, m);
      else live.push(m);
    }
    for (const m of retained.load(live)) router.unstore(queueOf(m), m);
  });
  retained.persistence = store;
}
