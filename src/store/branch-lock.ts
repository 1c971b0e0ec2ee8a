import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A fair, crash-safe lock in Redis that serializes writes to one deploy-repo branch across any
 * number of processes. Waiters queue in arrival order (a sorted set of tickets), so each can be
 * told its position ("queued behind 2"). Every ticket carries a lease that its holder renews; a
 * process killed with -9 stops renewing and its ticket is dropped when the lease runs out.
 */
export interface BranchLockOptions {
  /** lease of a ticket; renewed every third of it while held or waiting */
  leaseMs?: number;
  /** how often a waiter looks whether its turn has come */
  pollMs?: number;
  /** give up waiting after this long */
  timeoutMs?: number;
}

// KEYS: queue zset, lease hash, seq counter. ARGV: ticket, now, lease ms.
// Enqueues the ticket once, renews its lease, drops tickets whose lease ran out, returns its rank.
const ENTER = `
local q, leases, seq = KEYS[1], KEYS[2], KEYS[3]
local ticket, now, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if not redis.call('ZSCORE', q, ticket) then
  redis.call('ZADD', q, redis.call('INCR', seq), ticket)
end
redis.call('HSET', leases, ticket, now + lease)
local head = redis.call('ZRANGE', q, 0, 20)
for _, t in ipairs(head) do
  if t ~= ticket then
    local exp = tonumber(redis.call('HGET', leases, t) or '0')
    if exp < now then
      redis.call('ZREM', q, t)
      redis.call('HDEL', leases, t)
    end
  end
end
return redis.call('ZRANK', q, ticket)
`;

export class LockTimeoutError extends Error {
  constructor(key: string, position: number) {
    super(`timed out waiting for the deploy-repo lock ${key} (still ${position} ahead)`);
  }
}

export class BranchLock {
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    opts: BranchLockOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 15;
    this.timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  }

  /**
   * Runs `fn` while holding the lock. `onWait(n)` is called whenever the number of requests ahead
   * changes (not at all when the lock is free).
   */
  async with<T>(fn: () => Promise<T>, onWait?: (ahead: number) => void | Promise<void>): Promise<T> {
    const ticket = randomUUID();
    const keys = [`${this.key}:queue`, `${this.key}:leases`, `${this.key}:seq`];
    const enter = async () => Number(await this.redis.eval(ENTER, 3, ...keys, ticket, Date.now(), this.leaseMs));
    const started = Date.now();
    let renew: NodeJS.Timeout | undefined;
    try {
      let ahead = await enter();
      let told = -1;
      while (ahead > 0) {
        if (ahead !== told && onWait) {
          told = ahead;
          await onWait(ahead);
        }
        if (Date.now() - started > this.timeoutMs) throw new LockTimeoutError(this.key, ahead);
        await sleep(this.pollMs);
        // each poll re-enters: renews our lease and drops dead tickets ahead of us
        ahead = await enter();
      }
      renew = setInterval(() => {
        void this.redis.hset(`${this.key}:leases`, ticket, Date.now() + this.leaseMs).catch(() => undefined);
      }, Math.max(50, Math.floor(this.leaseMs / 3)));
      renew.unref();
      return await fn();
    } finally {
      if (renew) clearInterval(renew);
      await this.redis
        .multi()
        .zrem(`${this.key}:queue`, ticket)
        .hdel(`${this.key}:leases`, ticket)
        .exec()
        .catch(() => undefined);
    }
  }
}

/** The branch head the last gantry push left, so a holder with an older clone refreshes before it edits. */
export class HeadHint {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}
  get(): Promise<string | null> {
    return this.redis.get(`${this.key}:head`);
  }
  async set(sha: string): Promise<void> {
    await this.redis.set(`${this.key}:head`, sha, 'EX', 7 * 86400);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
