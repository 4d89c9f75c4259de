/**
 * Node liveness in Redis: which nodes of the cluster are alive, and a node's tag.
 *
 *   <p>nodes      ZSET  tag -> time of its last beat (ms, Redis's clock: TIME)
 *   <p>nodes:seq  counter the tags are drawn from (INCR, base 36): unique among all the
 *                 nodes that ever joined, so message ids (core/message.ts setNodeTag) and
 *                 control channels never collide
 *
 * Each node beats every `beatMs`; a node whose last beat is older than `deadAfterMs` is
 * dead. Every node looks, and the one whose ZREM removes it is the one that handles it
 * (`onDead`, once in the cluster): its MQTT wills, its consumers' unacknowledged messages
 * (XAUTOCLAIM, with the queue engine). A node that beats again after being declared dead
 * (it was paused) is not let back: its tag is gone, and it must leave and join anew.
 * Times are Redis's, so the nodes' clocks do not have to agree.
 */
import type { Redis } from 'ioredis';

const BEAT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if ARGV[2] == '1' and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
local mine = {}
for _, tag in ipairs(dead) do
  if tag ~= ARGV[1] and redis.call('ZREM', KEYS[1], tag) == 1 then mine[#mine + 1] = tag end
end
return mine`;

export interface MembersOptions {
  prefix?: string;
  beatMs?: number;
  deadAfterMs?: number;
  /** A dead node this node took charge of (once in the cluster). */
  onDead?: (tag: string) => void;
  /** This node was declared dead while it lived (paused past `deadAfterMs`): it must stop serving. */
  onExpelled?: () => void;
  onError?: (err: unknown) => void;
}

export class RedisMembers {
  tag = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly key: string;
  private readonly o: Required<Omit<MembersOptions, 'prefix'>>;

  constructor(
    private readonly redis: Redis,
    opts: MembersOptions = {},
  ) {
    const prefix = opts.prefix ?? 'stompbox:';
    this.key = `${prefix}nodes`;
    this.o = {
      beatMs: opts.beatMs ?? 1000,
      deadAfterMs: opts.deadAfterMs ?? 5000,
      onDead: opts.onDead ?? (() => undefined),
      onExpelled: opts.onExpelled ?? (() => undefined),
      onError: opts.onError ?? (() => undefined),
    };
  }

  /** Draws this node's tag, beats once, and keeps beating. */
  async join(): Promise<string> {
    this.tag = Number(await this.redis.incr(`${this.key}:seq`)).toString(36);
    await this.beat(false);
    this.timer = setInterval(() => void this.beat(true), this.o.beatMs);
    this.timer.unref();
    return this.tag;
  }

  /** One beat; `mustExist`: a node already joined that was removed meanwhile is expelled. */
  async beat(mustExist: boolean): Promise<void> {
    try {
      const r = (await this.redis.eval(BEAT, 1, this.key, this.tag, mustExist ? '1' : '0', String(this.o.deadAfterMs))) as number | string[];
      if (r === -1) {
        this.stop();
        this.o.onExpelled();
        return;
      }
      for (const tag of r as string[]) this.o.onDead(tag);
    } catch (err) {
      this.o.onError(err);
    }
  }

  /** The tags of the nodes alive now (by their last beat). */
  async alive(): Promise<string[]> {
    return this.redis.zrange(this.key, 0, -1);
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Leaves the cluster cleanly: no other node will take charge of this one as dead. */
  async leave(): Promise<void> {
    this.stop();
    await this.redis.zrem(this.key, this.tag);
  }

  /** Stops beating without leaving, as a node that dies (tests). */
  halt(): void {
    this.stop();
  }
}
