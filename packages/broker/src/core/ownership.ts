/**
 * Who holds a client id's session: the seam where a cluster decides which node a kept
 * session lives on (MQTT [MQTT-3.1.4-2] takeover, across nodes). Protocol-free.
 *
 * Contract for an engine:
 * - `claim(id)` makes this node the holder and answers a generation higher than any
 *   claim of that id before it, anywhere (the fencing token: Redis `HINCRBY`, CLUSTER.md).
 *   A node that held the id is told through the `lost` handler given to `start`, and
 *   closes its connection; whatever it still tries to write for the session is
 *   refused where the writes land, because its generation is no longer `current`.
 * - `claim` may answer at once (a number) or later (a promise): the protocol waits for it
 *   before it accepts the client, holding back what the client sends meanwhile. A claim
 *   that fails refuses the client (Server Unavailable).
 * - `release(id, generation)` gives up a claim when its session ends; a stale
 *   generation releases nothing.
 *
 * On one node every claim answers at once (`LocalOwners`) and the takeover of a
 * connection on this node is the protocol's own (mqtt/connect.ts).
 */
export interface SessionOwners {
  /** Before the first claim: `lost` is told of each session this node held and another node claimed. */
  start?(lost: (clientId: string, generation: number) => void): Promise<void> | void;
  claim(clientId: string): number | Promise<number>;
  current(clientId: string, generation: number): boolean;
  release(clientId: string, generation: number): void;
}

/**
 * One process, one holder. One counter for every client id: a generation is higher than
 * any claim before it, released or not, and only ids held now take memory.
 */
export class LocalOwners implements SessionOwners {
  private readonly generations = new Map<string, number>();
  private last = 0;

  claim(clientId: string): number {
    const g = ++this.last;
    this.generations.set(clientId, g);
    return g;
  }

  current(clientId: string, generation: number): boolean {
    return this.generations.get(clientId) === generation;
  }

  release(clientId: string, generation: number): void {
    if (this.generations.get(clientId) === generation) this.generations.delete(clientId);
  }
}
