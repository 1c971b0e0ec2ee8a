import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../domain/duration.js';
import { matchesAny, type Actor } from '../domain/identity.js';
import { msg, type Message } from '../i18n/voice.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';

/** Why a command was not run: the limit, and when the oldest counted command leaves the window. */
export interface Limited {
  max: number;
  windowMs: number;
  retryAfterMs: number;
}

/** Asked before every command (src/commands/execute.ts); never throws. */
export interface CommandLimiter {
  check(actor: Actor): Promise<Limited | undefined>;
}

/**
 * A sliding window per identity: a sorted set of the accepted commands' times, trimmed and
 * counted in one script so concurrent commands from several gantry processes cannot both slip
 * past the last free slot. The clock is Redis's (TIME), not each process's, so processes with
 * skewed clocks agree. Refused commands are not recorded: a user who keeps trying is free again
 * one window after their last accepted command, not after their last attempt.
 */
const SLIDING_WINDOW = `
local key = KEYS[1]
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < max then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
`;

export interface RedisLimiterOptions {
  max: number;
  windowMs: number;
  /** identity platforms (`slack`, `dingtalk`, …) that are limited; the rest are not */
  platforms: readonly string[];
  /** principals (users, groups, identities) never limited */
  exempt: readonly string[];
  config: Config;
  log: Logger;
}

export class RedisCommandLimiter implements CommandLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly o: RedisLimiterOptions,
  ) {}

  async check(actor: Actor): Promise<Limited | undefined> {
    const platform = actor.id.slice(0, actor.id.indexOf(':'));
    if (!this.o.platforms.includes(platform)) return undefined;
    if (this.o.exempt.length && matchesAny(this.o.config, this.o.exempt, actor.id)) return undefined;
    try {
      const member = `${Date.now()}-${randomBytes(4).toString('hex')}`;
      const [ok, retryAfterMs] = (await this.redis.eval(SLIDING_WINDOW, 1, this.keys.k('rate', 'cmd', actor.id), this.o.max, this.o.windowMs, member)) as [number, number];
      return ok === 1 ? undefined : { max: this.o.max, windowMs: this.o.windowMs, retryAfterMs: Math.max(0, retryAfterMs) };
    } catch (err) {
      // fail open: a Redis hiccup must not lock on-call out of /rollback; the command itself
      // then meets Redis (and reports it) if Redis is really down
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limit check failed; command allowed');
      return undefined;
    }
  }
}

/** The limiter the config asks for, or undefined when `limits.commands.max` is 0. */
export function limiterFromConfig(redis: Redis, keys: Keys, config: Config, log: Logger): CommandLimiter | undefined {
  const c = config.limits.commands;
  if (c.max === 0) return undefined;
  return new RedisCommandLimiter(redis, keys, { max: c.max, windowMs: parseDuration(c.window), platforms: c.platforms, exempt: c.exempt, config, log });
}

/** "slow down: 20 commands a minute; try again in 12 s" */
/** "slow down: 20 commands a minute; try again in 12 s", in the reader's language. */
export function limitedMessage(l: Limited): Message {
  const wait = Math.max(1, Math.ceil(l.retryAfterMs / 1000));
  return msg('refused.rate-limited', { max: l.max, window: msg('refused.window', { ms: String(l.windowMs), text: windowText(l.windowMs) }), wait });
}

function windowText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
