import type { Redis } from 'ioredis';
import type { EnvLock } from '../domain/policy.js';
import type { Keys } from './redis.js';

/** `/lock` and `/unlock`: one lock per environment, with author and reason. */
export class EnvLockStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(env: string): Promise<EnvLock | null> {
    const raw = await this.redis.get(this.keys.k('env-lock', env));
    return raw ? (JSON.parse(raw) as EnvLock) : null;
  }

  /** Returns the existing lock instead when the environment is already locked. */
  async lock(env: string, lock: EnvLock): Promise<EnvLock | null> {
    const ok = await this.redis.set(this.keys.k('env-lock', env), JSON.stringify(lock), 'NX');
    return ok ? null : this.get(env);
  }

  async unlock(env: string): Promise<EnvLock | null> {
    const prev = await this.get(env);
    if (prev) await this.redis.del(this.keys.k('env-lock', env));
    return prev;
  }
}
