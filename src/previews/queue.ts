import { Queue, Worker, type Job } from 'bullmq';
import { bullConnection } from '../store/redis.js';
import { jobLock } from '../store/job-lock.js';
import type { Logger } from '../util/logger.js';

export const PREVIEW_QUEUE = 'preview';
export const PREVIEW_TTL_QUEUE = 'preview-ttl';

/**
 * One thing that may change a pull request's preview. `write`: an image of the pull request was
 * built (it carries the image by digest); `sync`: the pull request changed (labeled, unlabeled,
 * closed), so its preview is written from the last built image or removed, as its state says now.
 * The worker trusts none of it: it checks the job against the config and asks GitHub for the
 * pull request itself.
 */
export interface PreviewJob {
  kind: 'write' | 'sync';
  app: string;
  owner: string;
  repo: string;
  installationId: number;
  number: number;
  /** write: the commit the image was built from, the image by digest, its version and its check run */
  sha?: string;
  image?: string;
  version?: string;
  checkRunId?: number;
  /** what asked, for logs and the commit's reason */
  cause: 'built' | 'labeled' | 'unlabeled' | 'closed' | 'reopened';
}

const JOB_OPTIONS = {
  // the deploy repo or GitHub briefly away is retried; a refusal is final (UnrecoverableError)
  attempts: 4,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

/** The side that adds preview jobs; the job id is the request id its commit will carry. */
export class PreviewQueue {
  readonly queue: Queue<PreviewJob, string>;
  constructor(url: string, prefix: string, onError: (err: Error) => void) {
    this.queue = new Queue(PREVIEW_QUEUE, { connection: bullConnection(url), prefix });
    this.queue.on('error', onError);
  }

  /** A second add of one id is a no-op: a redelivered event or a repeated build report adds nothing. */
  async add(id: string, job: PreviewJob): Promise<void> {
    await this.queue.add(job.kind, job, { jobId: id.replace(/[^A-Za-z0-9._-]/g, '_'), ...JOB_OPTIONS });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Runs preview jobs one at a time per process (each one waits for the deploy branch's lock anyway). */
export function startPreviewWorker(d: {
  url: string;
  prefix: string;
  run: (job: Job<PreviewJob, string>) => Promise<string>;
  log: Logger;
}): { worker: Worker<PreviewJob, string>; close(): Promise<void> } {
  const worker = new Worker<PreviewJob, string>(PREVIEW_QUEUE, d.run, {
    connection: bullConnection(d.url),
    prefix: d.prefix,
    concurrency: 1,
    // replay-safe (the request trailer is looked for first): survive repeated crashes
    maxStalledCount: 5,
    ...jobLock(),
  });
  worker.on('error', (err) => d.log.warn({ queue: PREVIEW_QUEUE, err: err.message }, 'preview worker connection error'));
  return { worker, close: () => worker.close() };
}
