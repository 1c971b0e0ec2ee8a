import { Queue } from 'bullmq';
import type { Config } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import type { EventJob, RepoEvent } from './events.js';

export const EVENT_QUEUE = 'github-events';

/** How long the webhook handler waits for Redis before answering 5xx (Probot answers 202 at 9 s, which GitHub takes as delivered). */
const ENQUEUE_TIMEOUT_MS = 3000;

export const EVENT_JOB_OPTIONS = {
  // GitHub API hiccups while creating check runs: retry the event, never the webhook
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  // kept for an hour: a redelivery within it is a no-op add; later ones hit the delivery mark
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

/** The app whose `source` is `owner/repo` (case-insensitive), if gantry builds that repo. */
export function appForRepo(config: Config, owner: string, repo: string): string | undefined {
  const full = `${owner}/${repo}`.toLowerCase();
  return Object.entries(config.apps).find(([, a]) => a.source?.toLowerCase() === full)?.[0];
}

/** The delivery id is the job id: BullMQ refuses a second job with the same id. */
export function eventJobId(delivery: string): string {
  return `delivery-${delivery.replaceAll(':', '_')}`;
}

/**
 * The webhook side: turns an event into a durable job and nothing else, so the handler answers
 * fast. If Redis does not take the job, the handler throws: Probot answers 5xx and GitHub (or an
 * operator's "Redeliver") sends it again.
 */
export class Ingest {
  readonly queue: Queue<EventJob>;

  constructor(
    url: string,
    prefix: string,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    // fail fast when Redis is away instead of queueing commands in memory
    this.queue = new Queue(EVENT_QUEUE, { connection: { url, maxRetriesPerRequest: 1, enableOfflineQueue: false } as never, prefix });
    this.queue.on('error', (err) => log.warn({ err: err.message }, 'event queue connection error'));
  }

  async accept(delivery: string, event: RepoEvent | undefined, name: string): Promise<'queued' | 'ignored'> {
    if (!event) return 'ignored';
    const app = appForRepo(this.config, event.owner, event.repo);
    if (!app) {
      this.log.info({ delivery, event: name, repo: `${event.owner}/${event.repo}` }, 'event from a repo no app is built from: ignored');
      return 'ignored';
    }
    const job: EventJob = { ...event, delivery, app, receivedAt: new Date().toISOString() };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`could not queue delivery ${delivery} within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.queue.add(event.type, job, { jobId: eventJobId(delivery), ...EVENT_JOB_OPTIONS }), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.log.debug({ delivery, event: name, type: event.type, app }, 'event queued');
    return 'queued';
  }

  async waitUntilReady(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
