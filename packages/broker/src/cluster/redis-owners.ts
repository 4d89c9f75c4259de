/**
 * Session ownership (core/ownership.ts) in Redis: one hash per client id, `{s:<id>}:owner`
 * with the generation and the node that holds it (CLUSTER.md's takeover), changed by Lua
 * scripts so that each claim is one atomic round trip:
 *
 *   claim    gen = HINCRBY gen 1; the previous node, if another, is told on its control
 *            channel (PUBLISH <prefix>node:<tag> "<gen> <client id>"); node = this one.
 *   release  only by the current generation: the node field goes, the generation stays
 *            (a later claim is still higher), and the key expires after a day unclaimed.
 *
 * A node hears on its own channel that it lost a session and closes that connection
 * ([MQTT-3.1.4-2] across nodes). The generation is the fencing token: a node paused
 * (SIGSTOP) through a takeover still holds the old one, and every write to a session in
 * Redis will be checked against it (the session store comes with the queue engine).
 */
import type { Redis } from 'ioredis';
import type { SessionOwners } from '../core/ownership.js';

const CLAIM = `
local g = redis.call('HINCRBY', KEYS[1], 'gen', 1)
local prev = redis.call('HGET', KEYS[1], 'node')
redis.call('HSET', KEYS[1], 'node', ARGV[1])
redis.call('PERSIST', KEYS[1])
if prev and prev ~= ARGV[1] then redis.call('PUBLISH', ARGV[2] .. prev, g .. ' ' .. ARGV[3]) end
return g`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'gen') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'node')
  redis.call('PEXPIRE', KEYS[1], 86400000)
  return 1
end
return 0`;

export class RedisOwners implements SessionOwners {
  /** Generations this node holds, by client id (its own view; Redis has the last word). */
  private readonly held = new Map<string, number>();
  private lost: ((clientId: string, generation: number) => void) | undefined;

  /**
   * `cmd` runs the scripts; `sub` is a connection for this node's control channel only;
   * `tag` is this node's tag (unique among live nodes); keys and channels start with `prefix`.
   */
  constructor(
    private readonly cmd: Redis,
    private readonly sub: Redis,
    private readonly tag: string,
    private readonly prefix = 'stompbox:',
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  private key(clientId: string): string {
    return `${this.prefix}{s:${clientId}}:owner`;
  }

  /** Listens on this node's control channel; `lost` is told of each session another node took. */
  async start(lost: (clientId: string, generation: number) => void): Promise<void> {
    this.lost = lost;
    const channel = `${this.prefix}node:${this.tag}`;
    this.sub.on('message', (ch: string, text: string) => {
      if (ch !== channel) return;
      const space = text.indexOf(' ');
      const generation = Number(text.slice(0, space));
      const clientId = text.slice(space + 1);
      if (space <= 0 || !Number.isSafeInteger(generation)) return this.onError(new Error(`unreadable takeover notice '${text.slice(0, 100)}'`));
      const mine = this.held.get(clientId);
      if (mine === undefined || mine >= generation) return; // a newer claim of ours, or not ours
      this.held.delete(clientId);
      this.lost?.(clientId, generation);
    });
    await this.sub.subscribe(channel);
  }

  async claim(clientId: string): Promise<number> {
    const g = Number(await this.cmd.eval(CLAIM, 1, this.key(clientId), this.tag, `${this.prefix}node:`, clientId));
    this.held.set(clientId, g);
    return g;
  }

  current(clientId: string, generation: number): boolean {
    return this.held.get(clientId) === generation;
  }

  release(clientId: string, generation: number): void {
    if (this.held.get(clientId) !== generation) return;
    this.held.delete(clientId);
    this.cmd.eval(RELEASE, 1, this.key(clientId), String(generation)).catch(this.onError);
  }

  async close(): Promise<void> {
    await this.sub.unsubscribe(`${this.prefix}node:${this.tag}`).catch(() => undefined);
  }
}
