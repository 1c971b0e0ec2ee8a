import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { activeFreeze } from '../domain/freeze.js';
import type { EventBus } from '../notify/events.js';
import type { Keys } from '../store/redis.js';
import { startRepeatingJob } from './repeating.js';
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
  return startRepeatingJob({ url: d.url, prefix: d.prefix, queue: FREEZE_QUEUE, everyMs: 60_000, run: () => checkFreezes(d.config, d.redis, d.keys, d.bus, d.now()), log: d.log });
}
