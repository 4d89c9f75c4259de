/** The routing core's counters, shared by the router and its queue engine (for $SYS and the management API). */
export interface RouterStats {
  published: number;
  delivered: number;
  acked: number;
  nacked: number;
  deadLettered: number;
  expired: number;
  unrouted: number;
  rejected: number;
}

export function newStats(): RouterStats {
  return { published: 0, delivered: 0, acked: 0, nacked: 0, deadLettered: 0, expired: 0, unrouted: 0, rejected: 0 };
}
