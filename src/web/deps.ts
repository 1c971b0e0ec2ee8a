import type { Redis } from 'ioredis';
import type { Services } from '../runtime/services.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';

/** What the web pages are built from: the same services every face uses, and Redis for sessions. */
export interface WebDeps {
  services: Services;
  redis: Redis;
  keys: Keys;
  log: Logger;
  /** GANTRY_PUBLIC_URL: the address people reach gantry at (links in chat, OAuth redirect) */
  publicUrl?: string;
  now(): Date;
}
