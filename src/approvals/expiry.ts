import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { GantryError } from '../domain/errors.js';
import { jobLock } from '../store/job-lock.js';
import { bullConnection } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { Approval } from './store.js';
import { APPROVAL_ID } from './store.js';

export const APPROVAL_QUEUE = 'approval-expiry';

/** An expiry job's payload. Like every job it may have been written by anyone with Redis. */
export interface ExpiryJob {
  id: string;
}

/** The side that schedules: one delayed job per request, at its deadline. */
export class ExpiryQueue {
  readonly queue: Queue<ExpiryJob>;

  /** `onError`: connection errors of the queue (BullMQ prints unhandled ones raw to stderr) */
  constructor(url: string, prefix: string, onError: (err: Error, queue: string) => void = () => undefined) {
    this.queue = new Queue(APPROVAL_QUEUE, { connection: bullConnection(url), prefix });
    this.queue.on('error', (err) => onError(err, APPROVAL_QUEUE));
  }

  /** Schedules the expiry of approval `id` at its deadline; the job id makes a second call a no-op. */
  async schedule(id: string, deadline: Date): Promise<void> {
    await this.queue.add('expire', { id }, {
      jobId: `expire-${id}`,
      delay: Math.max(0, deadline.getTime() - Date.now()),
      attempts: 10,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 86400 },
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** What the expiry worker reports. Calls are cheap and never throw. */
export interface ExpiryMetrics {
  jobStarted(queue: string, job: Pick<Job, 'timestamp' | 'processedOn' | 'delay' | 'attemptsMade' | 'attemptsStarted'>): void;
  approvalExpired(): void;
}

export interface ExpiryWorkerDeps {
  url: string;
  prefix: string;
  /** expires a request when the store says it is still pending and past its deadline (service.ts) */
  approvals: { expire(id: string, now: Date): Promise<Approval | undefined> };
  log: Logger;
  metrics?: ExpiryMetrics;
}

/**
 * Runs expiry jobs. The job only names an approval: whether it expires is decided by the store's
 * record (state and deadline, in one transaction), so a job run early, twice, or for a request
 * already approved or denied changes nothing.
 */
export function startExpiryWorker(d: ExpiryWorkerDeps): { close(): Promise<void> } {
  const worker = new Worker<ExpiryJob>(
    APPROVAL_QUEUE,
    async (job) => {
      d.metrics?.jobStarted(APPROVAL_QUEUE, job);
      const id = (job.data as Partial<ExpiryJob> | null)?.id;
      if (typeof id !== 'string' || !APPROVAL_ID.test(id)) {
        // retrying cannot make a forged payload name an approval
        throw new UnrecoverableError(`INPUT_INVALID: expiry job ${job.id ?? ''} refused: its data names no approval id`);
      }
      try {
        const expired = await d.approvals.expire(id, new Date());
        if (expired) d.metrics?.approvalExpired();
      } catch (e) {
        if (e instanceof GantryError && e.code === 'APPROVAL_UNKNOWN') throw new UnrecoverableError(`${e.code}: ${e.message}`);
        throw e;
      }
    },
    { connection: bullConnection(d.url), prefix: d.prefix, concurrency: 2, ...jobLock() },
  );
  worker.on('error', (err) => d.log.warn({ queue: worker.name, err: err.message }, 'worker connection error'));
  return { close: () => worker.close() };
}
