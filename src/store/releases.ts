import type { Redis } from 'ioredis';
import type { BlockMark } from '../domain/policy.js';
import { ReleaseSchema, type Release } from '../domain/release.js';
import type { Keys } from './redis.js';

/** The release catalog: every built release per app, newest first, and block marks. */
export class ReleaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly keep: number,
  ) {}

  async add(release: Release): Promise<void> {
    const r = ReleaseSchema.parse(release);
    const hash = this.keys.k('rel', r.app);
    const index = this.keys.k('rel', r.app, 'by-time');
    const score = Date.parse(r.builtAt) || Date.now();
    await this.redis.multi().hset(hash, r.version, JSON.stringify(r)).zadd(index, String(score), r.version).exec();
    const excess = (await this.redis.zcard(index)) - this.keep;
    if (excess > 0) {
      const old = await this.redis.zrange(index, '0', String(excess - 1));
      if (old.length) await this.redis.multi().zrem(index, ...old).hdel(hash, ...old).exec();
    }
  }

  /**
   * Adds a release unless that version is already registered (a release never changes); false
   * then. HSETNX decides, so of two registrations racing for one version exactly one wins.
   */
  async addNew(release: Release): Promise<boolean> {
    const r = ReleaseSchema.parse(release);
    const hash = this.keys.k('rel', r.app);
    if ((await this.redis.hsetnx(hash, r.version, JSON.stringify(r))) === 0) return false;
    await this.add(r);
    return true;
  }

  async get(app: string, version: string): Promise<Release | undefined> {
    const raw = await this.redis.hget(this.keys.k('rel', app), version);
    return raw ? ReleaseSchema.parse(JSON.parse(raw)) : undefined;
  }

  /** Newest first. */
  async list(app: string, limit = 1000): Promise<Release[]> {
    const versions = await this.redis.zrevrange(this.keys.k('rel', app, 'by-time'), 0, limit - 1);
    if (versions.length === 0) return [];
    const raws = await this.redis.hmget(this.keys.k('rel', app), ...versions);
    return raws.filter((r): r is string => r !== null).map((r) => ReleaseSchema.parse(JSON.parse(r)));
  }

  async block(app: string, version: string, mark: BlockMark): Promise<void> {
    await this.redis.hset(this.keys.k('blocked', app), version, JSON.stringify(mark));
  }

  async unblock(app: string, version: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.k('blocked', app), version)) > 0;
  }

  async blocked(app: string, version: string): Promise<BlockMark | null> {
    const raw = await this.redis.hget(this.keys.k('blocked', app), version);
    return raw ? (JSON.parse(raw) as BlockMark) : null;
  }

  async allBlocked(app: string): Promise<Record<string, BlockMark>> {
    const all = await this.redis.hgetall(this.keys.k('blocked', app));
    return Object.fromEntries(Object.entries(all).map(([v, raw]) => [v, JSON.parse(raw) as BlockMark]));
  }
}
