import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullConnection, connect, type Keys } from '../store/redis.js';

export const BUILD_QUEUE = 'build';

/** What asked for a build. */
export type BuildTrigger =
  | { kind: 'pr'; number: number; headRef: string; baseRef: string; fork: boolean }
  | { kind: 'branch'; name: string }
  | { kind: 'tag'; name: string };

/** A build arg as the job carries it: a literal, or the name of a GANTRY_BUILD_ARG_* variable read when the build runs. */
export type JobBuildArg = { value: string } | { env: string };

/**
 * One image of one commit for one trigger. Never carries a secret: build args from the
 * environment are names, registry credentials are read by the worker.
 */
export interface BuildJobData {
  app: string;
  image: string;
  /** every image built for this commit and trigger (a release needs all of them) */
  images: string[];
  /** `changedAt`: the commit's own time, when the push that asked for the build said it */
  source: { owner: string; repo: string; installationId: number; sha: string; changedAt?: string };
  trigger: BuildTrigger;
  /** what the release is called: the tag, `<branch>-<sha7>`, or `pr-<n>-<sha7>` */
  version: string;
  checkRunId: number;
  checkRunUrl?: string;
  /** the id of the build's log and page (/builds/<id>); absent in jobs queued before build pages existed */
  buildId?: string;
  repository: string;
  tags: string[];
  dockerfile: string;
  context: string;
  target?: string;
  args: Record<string, JobBuildArg>;
  /** OCI labels; no `created`, so a rebuild of the commit gives the same image */
  labels: Record<string, string>;
  cacheFrom: string[];
  test?: { command: string[]; timeoutMs: number; env: Record<string, string> };
  /** the repo's own auto-deploy rules, already validated */
  autoDeploy: Record<string, { branches: string[]; tags: string[] }>;
  /** the webhook delivery that asked for it (logs) */
  delivery: string;
}

export interface BuildJobResult {
  ok: boolean;
  ref?: string;
  digest?: string;
  stage?: string;
}

export interface BuildQueueOptions {
  attempts: number;
  /** first retry delay; doubles each attempt */
  backoffMs?: number;
  /** connection errors (BullMQ and ioredis print unhandled ones raw to stderr) */
  onError?: (err: Error) => void;
}

/** `acme/web@<sha>/web/pr-42`: one job per repo, commit, image and trigger. */
export function buildJobId(d: Pick<BuildJobData, 'source' | 'image' | 'trigger'>): string {
  const t = d.trigger;
  const trigger = t.kind === 'pr' ? `pr-${t.number}` : `${t.kind}-${t.name}`;
  return `${d.source.owner}/${d.source.repo}@${d.source.sha}/${d.image}/${trigger}`.replaceAll(':', '_');
}

/**
 * The build queue, as seen from the side that adds and cancels builds. Cancellation is a flag in
 * Redis (seen by a worker about to start the job) plus a pub/sub message (heard by the worker
 * running it), so it works whichever state the job is in and whichever process runs it.
 */
export class BuildQueue {
  readonly queue: Queue<BuildJobData, BuildJobResult>;
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly keys: Keys,
    private readonly opts: BuildQueueOptions,
  ) {
    this.queue = new Queue(BUILD_QUEUE, { connection: bullConnection(url), prefix: keys.prefix });
    this.redis = connect(url, { name: 'gantry-build-queue' });
    const onError = opts.onError ?? (() => undefined);
    this.queue.on('error', onError);
    this.redis.on('error', onError);
  }

  get cancelChannel(): string {
    return this.keys.k('build', 'cancel');
  }

  cancelKey(jobId: string): string {
    return this.keys.k('build', 'cancelled', jobId);
  }

  /**
   * Adds the build; a job with the same id that still exists makes this a no-op. A rerun replaces
   * a finished job of that id (and forgets an earlier cancellation); it never replaces a live one.
   */
  async add(data: BuildJobData, o: { rerun?: boolean } = {}): Promise<void> {
    const jobId = buildJobId(data);
    if (o.rerun) {
      const old = await this.queue.getJob(jobId);
      if (old) {
        const state = await old.getState();
        if (state !== 'completed' && state !== 'failed') return;
        await old.remove();
      }
      await this.redis.del(this.cancelKey(jobId));
    }
    await this.queue.add('build', data, {
      jobId,
      attempts: this.opts.attempts,
      backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 10_000 },
      removeOnComplete: { age: 86_400, count: 2000 },
      removeOnFail: { age: 7 * 86_400, count: 5000 },
    });
  }

  async getJob(jobId: string): Promise<Job<BuildJobData, BuildJobResult> | undefined> {
    return (await this.queue.getJob(jobId)) ?? undefined;
  }

  /**
   * Cancels a build: `removed` when it had not started (the caller reports it), `signalled` when a
   * worker runs it (that worker stops `docker build` and reports it), `gone` when it already ended.
   */
  async cancel(jobId: string, reason: string): Promise<{ outcome: 'removed' | 'signalled' | 'gone'; data?: BuildJobData }> {
    await this.redis.set(this.cancelKey(jobId), reason, 'EX', 86_400);
    const job = await this.queue.getJob(jobId);
    if (!job) return { outcome: 'gone' };
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return { outcome: 'gone', data: job.data };
    if (state !== 'active') {
      try {
        await job.remove();
        return { outcome: 'removed', data: job.data };
      } catch {
        // it became active (locked) in between: the worker sees the flag or the message
      }
    }
    await this.redis.publish(this.cancelChannel, jobId);
    return { outcome: 'signalled', data: job.data };
  }

  /** The cancel reason, if the build was cancelled. */
  async cancelled(jobId: string): Promise<string | null> {
    return this.redis.get(this.cancelKey(jobId));
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

/** Per worker process: one subscriber connection that routes cancel messages to running builds. */
export class CancelListener {
  private readonly running = new Map<string, () => void>();
  private readonly sub: Redis;
  private ready: Promise<unknown>;

  constructor(url: string, channel: string, onError: (err: Error) => void = () => undefined) {
    this.sub = connect(url, { name: 'gantry-build-cancel' });
    this.sub.on('error', onError);
    this.sub.on('message', (ch: string, jobId: string) => {
      if (ch === channel) this.running.get(jobId)?.();
    });
    this.ready = this.sub.subscribe(channel);
  }

  async waitUntilReady(): Promise<void> {
    await this.ready;
  }

  /** Calls `onCancel` when a cancel message for `jobId` arrives; returns the unregister function. */
  watch(jobId: string, onCancel: () => void): () => void {
    this.running.set(jobId, onCancel);
    return () => {
      if (this.running.get(jobId) === onCancel) this.running.delete(jobId);
    };
  }

  async close(): Promise<void> {
    this.running.clear();
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
