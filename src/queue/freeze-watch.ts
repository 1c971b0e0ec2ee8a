import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { activeFreeze } from '../domain/freeze.js';
import type { EventBus } from '../notify/events.js';
import { bullConnection, type Keys } from '../store/redis.js';
import { jobLock } from '../store/job-lock.js';
import type { Logger } from '../util/logger.js';

export const FREEZE_QUEUE = 'freeze-watch';

/**
 * Freeze windows open and close by the clock, not by a command: once a minute one worker (a
 * repeatable job, so one run per minute across all processes) compares each environment's
 * freeze with the state it last saw and reports the change (`frozen`, `unfrozen`).
 */
export async function checkFreezes(config: Config, redis: Redis, keys: Keys, bus: EventBus, now: Date): Promise<string[]> {
  const changed: string[] = [];
  for (const [env, cfg] of Object.entries(config.environments)) {
    if (cfg.freeze.length === 0) continue;
    const freeze = activeFreeze(cfg.freeze, now);
    const key = keys.k('freeze-state', env);
    const next = freeze ? `${freeze.reason}|${freeze.until.toISOString()}` : '';
    const prev = await redis.getset(key, next);
    if (prev === null && !freeze) continue; // first look, nothing frozen: nothing to say
    if ((prev ?? '') === next) continue;
    changed.push(env);
    if (freeze) await bus.publish({ type: 'frozen', env, reason: freeze.reason, until: freeze.until.toISOString() });
    else await bus.publish({ type: 'unfrozen', env, reason: (prev ?? '').split('|')[0] ?? '' });
  }
  return changed;
}

export function startFreezeWatch(d: { url: string; prefix: string; config: Config; redis: Redis; keys: Keys; bus: EventBus; now: () => Date; log: Logger }): { close(): Promise<void> } {
  const queue = new Queue(FREEZE_QUEUE, { connection: bullConnection(d.url), prefix: d.prefix });
  void queue.upsertJobScheduler('freeze-watch', { every: 60_000 }, { name: 'check', opts: { removeOnComplete: true, removeOnFail: 100 } }).catch(() => undefined);
  const worker = new Worker(FREEZE_QUEUE, async () => checkFreezes(d.config, d.redis, d.keys, d.bus, d.now()), {
    connection: bullConnection(d.url),
    prefix: d.prefix,
    concurrency: 1,
    ...jobLock(),
  });
  queue.on('error', (err) => d.log.warn({ queue: FREEZE_QUEUE, err: err.message }, 'queue connection error'));
  worker.on('error', (err) => d.log.warn({ queue: FREEZE_QUEUE, err: err.message }, 'worker connection error'));
  return {
    async close() {
      await Promise.allSettled([worker.close(), queue.close()]);
    },
  };
}
