import { Queue, Worker } from 'bullmq';
import { jobLock } from '../store/job-lock.js';
import { bullConnection } from '../store/redis.js';
import type { Logger } from '../util/logger.js';

/**
 * A job run every `everyMs` by one worker at a time across all processes (a BullMQ job scheduler):
 * the clock's work, such as freeze windows opening and rollouts timing out. What it looks at lives
 * in Redis, so a restart loses nothing; each process that runs the deploy role runs a worker.
 */
export function startRepeatingJob(d: { url: string; prefix: string; queue: string; everyMs: number; run: () => Promise<unknown>; log: Logger }): { close(): Promise<void> } {
  const queue = new Queue(d.queue, { connection: bullConnection(d.url), prefix: d.prefix });
  void queue.upsertJobScheduler(d.queue, { every: d.everyMs }, { name: 'tick', opts: { removeOnComplete: true, removeOnFail: 100 } }).catch(() => undefined);
  const worker = new Worker(d.queue, d.run, { connection: bullConnection(d.url), prefix: d.prefix, concurrency: 1, ...jobLock() });
  queue.on('error', (err) => d.log.warn({ queue: d.queue, err: err.message }, 'queue connection error'));
  worker.on('error', (err) => d.log.warn({ queue: d.queue, err: err.message }, 'worker connection error'));
  return {
    async close() {
      await Promise.allSettled([worker.close(), queue.close()]);
    },
  };
}
