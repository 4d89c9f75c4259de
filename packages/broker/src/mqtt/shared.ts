/**
 * Shared subscriptions (MQTT 5 §4.8.2, `$share/<group>/<filter>`): the members of a
 * group take turns, each message going to one of them. A group is a bound queue
 * (core/bound-queue.ts) on the filter with the members as competing consumers, so
 * the queue's round robin, credit and requeue give the rest: a member that is
 * offline or has no room is skipped, and what a member leaves unacknowledged goes
 * to another (MQTT 5 §4.8.2, a SHOULD). The group lives while it has members.
 */
import { BoundQueue } from '../core/bound-queue.js';
import type { Router } from '../core/router.js';
import type { Subscription } from '../core/subscription.js';

interface Group {
  bound: BoundQueue;
  members: number;
}

export class SharedGroups {
  private readonly groups = new Map<string, Group>();
  private readonly router: Router;
  private readonly maxLength: number;

  constructor(router: Router, maxLength: number) {
    this.router = router;
    this.maxLength = maxLength;
  }

  get size(): number {
    return this.groups.size;
  }

  join(group: string, pattern: string, sub: Subscription): void {
    const key = `mqtt-share/${encodeURIComponent(group)}/${pattern}`;
    let g = this.groups.get(key);
    if (g === undefined) {
      g = { bound: new BoundQueue(this.router, key, this.maxLength), members: 0 };
      g.bound.bind(pattern);
      this.groups.set(key, g);
    }
    g.members++;
    g.bound.addConsumer(sub);
  }

  leave(group: string, pattern: string, sub: Subscription): void {
    const key = `mqtt-share/${encodeURIComponent(group)}/${pattern}`;
    const g = this.groups.get(key);
    if (g === undefined) return;
    g.bound.removeConsumer(sub);
    if (--g.members === 0) {
      g.bound.destroy();
      this.groups.delete(key);
    }
  }
}
