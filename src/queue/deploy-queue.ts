import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import { GantryError, type ErrorCode } from '../domain/errors.js';
import type { Deployer } from '../gitops/deployer.js';
import { checkedMessage, type Message } from '../i18n/voice.js';
import type { EventBus } from '../notify/events.js';
import type { Approvals } from '../approvals/service.js';
import type { DeployGuard } from './deploy-guard.js';
import { bullConnection } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import { jobLock } from '../store/job-lock.js';
import { inFlight } from '../util/in-flight.js';

export const DEPLOY_QUEUE = 'deploy';

/** Errors worth retrying: the deploy repo or the network, not a refusal. */
/** How long a deploy job waits for its after-deploy hook (GitHub Deployments) before it answers. */
const AFTER_DEPLOY_WAIT_MS = 5_000;
/** How long a closing worker waits for after-deploy hooks still under way. */
const AFTER_DEPLOY_GRACE_MS = 5_000;

export const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['DEPLOY_REPO_UNREACHABLE', 'DEPLOY_CONFLICT', 'INTERNAL']);

export const DEPLOY_JOB_OPTIONS = {
  // a deploy repo that is briefly away is retried; a refusal is not (UnrecoverableError)
  attempts: 3,
  backoff: { type: 'exponential', delay: 300 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 86400 },
} as const;

/**
 * Adds a job under its request id, which deduplicates repeated clicks and redelivered commands.
 * A FAILED job already under that id is removed first: it is an earlier attempt, or a forged job
 * (anyone with Redis or the admin UI may add one as `approval-<id>` before the approval completes),
 * and kept it would be answered in place of this request for as long as failed jobs are kept. A
 * waiting, running or completed job is left as it is: the worker's guard deploys an approved request
 * as it was approved whatever its job says, and the Gantry-Request trailer stops a second commit.
 */
export async function addUnderId<T>(queue: Queue<T>, name: string, data: T, jobId: string): Promise<Job<T>> {
  const old = await Job.fromId<T>(queue, jobId);
  if (old && (await old.isFailed())) await old.remove().catch(() => undefined);
  return (await queue.add(name as never, data as never, { jobId, ...DEPLOY_JOB_OPTIONS })) as Job<T>;
}

export interface Progress {
  queuedBehind?: number;
  /** why the job failed, as a catalog message, so the asker reads it in their own language */
  refusal?: Message;
}

/**
 * The deploy queue, as seen from the side that asks (web, chat, shell). Job ids are the request
 * ids, so a repeated click or a redelivered command adds nothing twice.
 */
export class DeployQueue {
  readonly queue: Queue<DeployRequest, DeployResult>;
  private events: QueueEvents | undefined;

  /** `onError`: connection errors of the queues (BullMQ prints unhandled ones raw to stderr) */
  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly onError: (err: Error, queue: string) => void = () => undefined,
  ) {
    this.queue = new Queue(DEPLOY_QUEUE, { connection: bullConnection(url), prefix });
    this.queue.on('error', (err) => onError(err, DEPLOY_QUEUE));
  }

  private async queueEvents(): Promise<QueueEvents> {
    if (!this.events) {
      this.events = new QueueEvents(DEPLOY_QUEUE, { connection: bullConnection(this.url), prefix: this.prefix });
      this.events.on('error', (err) => this.onError(err, `${DEPLOY_QUEUE} events`));
      await this.events.waitUntilReady();
    }
    return this.events;
  }

  /** Enqueues the request and waits for its outcome; a refusal comes back as a GantryError. */
  async submit(req: DeployRequest, onWait?: (ahead: number) => void | Promise<void>, timeoutMs = 10 * 60_000): Promise<DeployResult> {
    const events = await this.queueEvents();
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      const p = data as Progress;
      if (jobId === req.id && p?.queuedBehind !== undefined) void onWait?.(p.queuedBehind);
    };
    events.on('progress', onProgress);
    try {
      const job = await addUnderId(this.queue, 'deploy', req, req.id);
      try {
        return (await job.waitUntilFinished(events, timeoutMs)) as DeployResult;
      } catch (e) {
        const progress = (await Job.fromId(this.queue, req.id).catch(() => undefined))?.progress as Progress | undefined;
        throw toGantryError(e, progress?.refusal);
      }
    } finally {
      events.off('progress', onProgress);
    }
  }

  /** Enqueues a request without waiting (automatic deploys); a second add of the same id is a no-op. */
  async enqueue(req: DeployRequest): Promise<void> {
    await this.queue.add('deploy', req, { jobId: req.id, ...DEPLOY_JOB_OPTIONS });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events?.close(), this.queue.close()]);
  }
}

/**
 * Failed jobs carry `CODE: message`, and the message as catalog data in their progress (`refusal`);
 * turn that back into the error the user should read. Job data is anyone's with Redis access: a
 * refusal that is no message of the catalog, or does not render, falls back to the English text.
 */
export function toGantryError(e: unknown, refusal?: unknown): GantryError {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^([A-Z][A-Z_]+): ([\s\S]*)$/.exec(msg);
  if (!m) return new GantryError('INTERNAL', msg);
  const code = m[1] as ErrorCode;
  const checked = checkedMessage(refusal);
  if (checked) return new GantryError(code, checked);
  return new GantryError(code, m[2]!);
}

export interface WorkerDeps {
  url: string;
  prefix: string;
  deployer: Deployer;
  /** records how an approved request's deploy ended (src/approvals/) */
  approvals: Pick<Approvals, 'finish'>;
  /** re-checks each job against the config and the stores before anything is written */
  guard: DeployGuard;
  bus: EventBus;
  log: Logger;
  concurrency?: number;
  /**
   * Called after each successful deploy (e.g. to record a GitHub Deployment). A failure here is
   * logged and never undoes or fails the deploy, which is already in git.
   */
  afterDeploy?: (result: DeployResult, request: DeployRequest) => Promise<void>;
  /** how long a job waits for `afterDeploy` before it answers (default 5 s) */
  afterDeployWaitMs?: number;
  /** counters and timings (src/http/metrics.ts implements them); absent: nothing is measured */
  metrics?: DeployWorkerMetrics;
  /** starts following each deploy after its commit (src/rollout/follower.ts); a failure is logged, the deploy stands */
  follow?: (result: DeployResult, request: DeployRequest) => Promise<unknown>;
  /** the worker's name in Redis's client list (SHELL_WORKER: a `gantry shell`'s, which others never wait on) */
  name?: string;
}

/** The name of the deploy workers a `gantry shell` runs: they live only as long as its commands. */
export const SHELL_WORKER = 'shell';

/** What the deploy worker reports. Calls are cheap and never throw. */
export interface DeployWorkerMetrics {
  /** a worker started `job` (its time in the queue) */
  jobStarted(queue: string, job: Pick<Job, 'timestamp' | 'processedOn' | 'delay' | 'attemptsMade' | 'attemptsStarted'>): void;
  /** a deploy job ended for good: `code` is absent on success; `retries` counts pushes retried */
  deployFinished(o: { env: string; action: DeployRequest['action']; code?: string; retries?: number }): void;
}

/** The approval a job was queued for: approved requests are queued as `approval-<id>` (src/approvals/store.ts). */
function approvalOfJob(jobId: string): string | undefined {
  return /^approval-(\d{1,12})$/.exec(jobId)?.[1];
}

/** Runs deploy jobs (approval expiries: src/approvals/expiry.ts). Any number of these may run, in any process. */
export function startDeployWorkers(d: WorkerDeps): { close(): Promise<void> } {
  const background = inFlight();
  const deploy = new Worker<DeployRequest, DeployResult>(
    DEPLOY_QUEUE,
    async (job: Job<DeployRequest, DeployResult>) => {
      const jobId = job.id ?? '';
      const log = d.log.child({ job: jobId });
      d.metrics?.jobStarted(DEPLOY_QUEUE, job);
      // a job started before (its process died, or an earlier attempt failed) may have pushed
      const retried = job.attemptsStarted > 1 || job.attemptsMade > 0;
      let req: DeployRequest | undefined;
      try {
        // job data is whatever was put on the queue (an admin UI, anyone with Redis): trust none of it
        req = await d.guard.check(jobId, job.data, retried);
        const result = await d.deployer.deploy(req, { onWait: (ahead) => job.updateProgress({ queuedBehind: ahead }), maybeDone: retried });
        log.info({ app: req.app, env: req.env, commit: result.commit, version: result.version, retries: result.retries }, 'deployed');
        if (req.approval) await d.approvals.finish(req.approval, { commit: result.commit });
        // before the report: whoever hears "deployed" may ask how the rollout goes
        await d.follow?.(result, req).catch((err: unknown) => log.error({ err: String(err) }, 'cannot follow the rollout'));
        // a pull request is not a deployment yet: the environment changes when it is merged
        if (!result.pullRequest) await d.bus.publish({ type: req.action === 'rollback' ? 'rolled-back' : 'deployed', result, request: req });
        // Waited for, so that a worker that dies after the job still leaves the GitHub Deployment
        // recorded (a followed rollout moves it on), but only so long: the deploy is in git, and
        // GitHub slow or away (a DNS timeout is about a minute) must not hold the reply to a
        // /promote or /rollback. Past the bound the hook goes on in the background.
        if (d.afterDeploy) {
          const hook = background.run(() => d.afterDeploy!(result, req!), (err) => log.warn({ err: String(err) }, 'after-deploy hook failed'));
          await background.within(hook, d.afterDeployWaitMs ?? AFTER_DEPLOY_WAIT_MS);
        }
        // counted here, at the end: an attempt that fails after pushing is retried and counted once
        d.metrics?.deployFinished({ env: req.env, action: req.action, retries: result.retries });
        return result;
      } catch (e) {
        const err = e instanceof GantryError ? e : new GantryError('INTERNAL', e instanceof Error ? e.message : String(e));
        const final = !RETRYABLE.has(err.code) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        // a refused job is reported with what it asked for, its names replaced by the config's
        const shown = req ?? d.guard.shown(jobId, job.data);
        log.warn({ code: err.code, final, refused: req === undefined, app: shown.app, env: shown.env, requestedBy: shown.requestedBy.id }, 'deploy failed');
        if (final) {
          d.metrics?.deployFinished({ env: shown.env, action: shown.action, code: err.code });
          // only the approval this job was made for (`approval-<id>`); the store fails only an approved one
          const approval = req?.approval ?? approvalOfJob(jobId);
          if (approval) await d.approvals.finish(approval, { error: err.message }).catch(() => undefined);
          await d.bus.publish({ type: 'deploy-failed', request: shown, code: err.code, message: err.message, detail: err.detail });
        }
        await job.updateProgress({ refusal: err.detail } satisfies Progress).catch(() => undefined);
        const text = `${err.code}: ${err.message}`;
        throw RETRYABLE.has(err.code) ? new Error(text) : new UnrecoverableError(text);
      }
    },
    {
      connection: bullConnection(d.url),
      prefix: d.prefix,
      concurrency: d.concurrency ?? 4,
      ...(d.name ? { name: d.name } : {}),
      // a deploy job is safe to replay (its Gantry-Request trailer is checked): survive repeated crashes
      maxStalledCount: 5,
      ...jobLock(),
    },
  );
  deploy.on('error', (err) => d.log.warn({ queue: deploy.name, err: err.message }, 'worker connection error'));
  return {
    async close() {
      await deploy.close().catch(() => undefined);
      // a hook under way is given a little time to finish (a Deployment half recorded is not harmful)
      await background.settle(AFTER_DEPLOY_GRACE_MS);
    },
  };
}
