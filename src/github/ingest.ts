import { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { Keys, redisClient } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { RepoEvent } from './events.js';
import { Inbox } from './inbox.js';

export const EVENT_QUEUE = 'github-events';

/** How long the webhook handler waits for Redis before answering 5xx (Probot answers 202 at 9 s, which GitHub takes as delivered). */
const ENQUEUE_TIMEOUT_MS = 3000;

export const EVENT_JOB_OPTIONS = {
  // GitHub API hiccups while creating check runs: retry the event, never the webhook
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

/** The app whose `source` is `owner/repo` (case-insensitive), if gantry builds that repo. */
export function appForRepo(config: Config, owner: string, repo: string): string | undefined {
  const full = `${owner}/${repo}`.toLowerCase();
  return Object.entries(config.apps).find(([, a]) => a.source?.toLowerCase() === full)?.[0];
}

/** The delivery id is the event job's id: BullMQ refuses a second job with the same id. */
export function eventJobId(delivery: string): string {
  return `delivery-${delivery.replaceAll(':', '_')}`;
}

/**
 * The webhook side: turns an event into a durable inbox entry and nothing else, so the handler
 * answers fast. If Redis does not take it, the handler throws: Probot answers 5xx, GitHub records
 * the delivery as failed, and a redelivery (the App's "Redeliver" button or the REST API; GitHub
 * does not retry by itself) sends it again. A delivery id seen before is acknowledged and dropped.
 * The answer comes only after Redis confirmed the write: with `appendfsync always` it is on disk.
 */
export class Ingest {
  private readonly redis: Redis;
  private readonly inbox: Inbox;
  private ready: Promise<void> | undefined;

  constructor(
    url: string,
    prefix: string,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    // Fail fast when Redis is away (no in-memory offline queue, a deadline per command) so the
    // delivery gets a 5xx; auto-pipelining writes the pushes of one event-loop turn in one go.
    this.redis = redisClient(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: ENQUEUE_TIMEOUT_MS,
      enableAutoPipelining: true,
      connectionName: 'gantry-ingest',
      retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
    });
    this.redis.on('error', (err) => log.warn({ err: err.message }, 'ingest redis connection error'));
    this.inbox = new Inbox(this.redis, new Keys(prefix));
  }

  async accept(delivery: string, event: RepoEvent | undefined, name: string): Promise<'queued' | 'duplicate' | 'ignored'> {
    if (!event) return 'ignored';
    const app = appForRepo(this.config, event.owner, event.repo);
    if (!app) {
      this.log.info({ delivery, event: name, repo: `${event.owner}/${event.repo}` }, 'event from a repo no app is built from: ignored');
      return 'ignored';
    }
    if (this.redis.status !== 'ready') await this.waitUntilReady();
    const fresh = await this.inbox.push({ ...event, delivery, app, receivedAt: new Date().toISOString() });
    if (!fresh) this.log.info({ delivery, event: name }, 'delivery seen before: ignored');
    return fresh ? 'queued' : 'duplicate';
  }

  /** Waits for the connection (at start, or while it reconnects), at most ENQUEUE_TIMEOUT_MS. */
  async waitUntilReady(timeoutMs = ENQUEUE_TIMEOUT_MS): Promise<void> {
    if (this.redis.status === 'ready') return;
    // one 'ready' listener however many deliveries wait (hundreds do during a Redis restart)
    this.ready ??= new Promise<void>((resolve) =>
      this.redis.once('ready', () => {
        this.ready = undefined;
        resolve();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis is not reachable (waited ${timeoutMs} ms)`)), timeoutMs);
    });
    try {
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
