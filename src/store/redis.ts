import { Redis, type RedisOptions } from 'ioredis';

/**
 * One place that builds ioredis connections. BullMQ workers need `maxRetriesPerRequest: null`
 * (blocking commands); everything else fails fast so a dead Redis becomes a clear error.
 */
export function connect(url: string, opts: { blocking?: boolean; name?: string } = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: opts.blocking ? null : 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    connectionName: opts.name,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  };
  return new Redis(url, options);
}

/** Key namespace, so several installations (and tests) can share one Redis. */
export class Keys {
  constructor(readonly prefix: string) {}
  k(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}

/**
 * Connection options for BullMQ, which then owns (and closes) its connections. Workers need
 * `maxRetriesPerRequest: null` for their blocking commands.
 */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}
