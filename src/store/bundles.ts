import type { Redis } from 'ioredis';
import { z } from 'zod';
import { BUNDLE_NAME, type Bundle } from '../domain/bundle.js';
import type { Keys } from './redis.js';

const BundleSchema = z.object({
  name: z.string().regex(BUNDLE_NAME),
  apps: z.array(z.object({ app: z.string(), version: z.string() })).min(1),
  createdAt: z.string(),
  createdBy: z.string(),
});

/** Whether two bundles name the same versions (who registered them and when does not matter). */
export function sameContents(a: Pick<Bundle, 'apps'>, b: Pick<Bundle, 'apps'>): boolean {
  const key = (x: Pick<Bundle, 'apps'>) => x.apps.map((p) => `${p.app}=${p.version}`).sort().join(' ');
  return key(a) === key(b);
}

/**
 * Bundles in Redis: one hash of name → JSON, and an index by registration time. A bundle never
 * changes: HSETNX decides, so of two registrations racing for one name exactly one wins.
 */
export class BundleStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Registers `b` unless its name is taken; then the bundle registered under that name. */
  async add(b: Bundle): Promise<{ created: true } | { created: false; existing: Bundle }> {
    const hash = this.keys.k('bundles');
    if ((await this.redis.hsetnx(hash, b.name, JSON.stringify(b))) === 0) {
      const existing = await this.get(b.name);
      return { created: false, existing: existing ?? b };
    }
    await this.redis.zadd(this.keys.k('bundles', 'by-time'), String(Date.parse(b.createdAt) || Date.now()), b.name);
    return { created: true };
  }

  /** The bundle named `name`; a name that is no bundle name reads no key. */
  async get(name: string): Promise<Bundle | undefined> {
    if (!BUNDLE_NAME.test(name)) return undefined;
    const raw = await this.redis.hget(this.keys.k('bundles'), name);
    return raw ? BundleSchema.parse(JSON.parse(raw)) : undefined;
  }

  /** Newest first. */
  async list(limit = 100): Promise<Bundle[]> {
    const names = await this.redis.zrevrange(this.keys.k('bundles', 'by-time'), 0, limit - 1);
    if (names.length === 0) return [];
    const raws = await this.redis.hmget(this.keys.k('bundles'), ...names);
    return raws.filter((r): r is string => r !== null).map((r) => BundleSchema.parse(JSON.parse(r)));
  }
}
