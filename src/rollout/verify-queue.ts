import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { Actor } from '../domain/identity.js';
import { actorFor } from '../domain/identity.js';
import type { EventBus, VerificationReport } from '../notify/events.js';
import { jobLock } from '../store/job-lock.js';
import { bullConnection } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { RolloutFollower } from './follower.js';
import type { FollowedDeploy, RolloutStore } from './store.js';
import type { Verifier } from './verifier.js';

export const VERIFY_QUEUE = 'verify';

/** One verification to run: what, where, and the followed deploy it checks (absent for a /verify of what runs). */
export interface VerifyJob {
  app: string;
  env: string;
  version: string;
  commit?: string;
  /** `<app>:<env>:<commit>`: a failure of an automatic verification may roll this deploy back */
  deploy?: string;
  requestId?: string;
  requestedBy?: Actor;
}

const Name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/);
/** A job's payload as read off the queue: anyone with Redis may have written it. */
const VerifyJobData = z.object({
  app: Name,
  env: Name,
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/),
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/).optional(),
  deploy: z.string().regex(/^[a-z][a-z0-9-]{0,62}:[a-z][a-z0-9-]{0,62}:[0-9a-f]{40}([0-9a-f]{24})?$/).optional(),
  requestId: z.string().max(200).optional(),
  requestedBy: z.object({ id: z.string().max(200) }).optional(),
});

/** The automatic verification of a followed deploy that went live. */
export function verifyJobOf(d: FollowedDeploy): VerifyJob {
  return {
    app: d.app,
    env: d.env,
    version: d.version ?? '',
    commit: d.commit,
    deploy: d.id,
    ...(d.requestId !== undefined ? { requestId: d.requestId } : {}),
    ...(d.requestedBy !== undefined ? { requestedBy: d.requestedBy } : {}),
  };
}

/** Verifications take minutes and run containers: at most this many at once per process. */
const CONCURRENCY = 2;

const JOB_OPTIONS = {
  // a verification that broke (Docker away) is retried; a failed check is a result, not an error
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { age: 86_400, count: 1000 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

/** The side that asks: the follower when a deploy goes live, and `/verify`. */
export class VerifyQueue {
  readonly queue: Queue<VerifyJob>;

  constructor(url: string, prefix: string, onError: (err: Error, queue: string) => void = () => undefined) {
    this.queue = new Queue(VERIFY_QUEUE, { connection: bullConnection(url), prefix });
    this.queue.on('error', (err) => onError(err, VERIFY_QUEUE));
  }

  /** Queues a verification; `id` makes a second request of the same one a no-op (a deploy is verified once automatically). */
  async add(job: VerifyJob, id: string): Promise<void> {
    await this.queue.add('verify', job, { jobId: id, ...JOB_OPTIONS });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface VerifyWorkerDeps {
  url: string;
  prefix: string;
  config: Config;
  verifier: Pick<Verifier, 'verify'>;
  store: Pick<RolloutStore, 'get'>;
  follower: Pick<RolloutFollower, 'rollBack'>;
  bus: Pick<EventBus, 'publish'>;
  log: Logger;
}

/**
 * Runs verifications: the checks of the environment as the config says now, against the version
 * the job names; the report is published (`verified` / `verify-failed`) and, when the run was
 * for a followed deploy in an environment with `onFailure: rollback`, a failure rolls it back.
 */
export function startVerifyWorker(d: VerifyWorkerDeps): { close(): Promise<void> } {
  const worker = new Worker<VerifyJob>(
    VERIFY_QUEUE,
    async (job: Job<VerifyJob>) => {
      const parsed = VerifyJobData.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`verify job ${job.id}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
      const data = parsed.data;
      if (!Object.hasOwn(d.config.environments, data.env) || !Object.hasOwn(d.config.apps, data.app)) {
        throw new UnrecoverableError(`verify job ${job.id}: ${data.app} in ${data.env} is not in the config`);
      }
      const input = {
        app: data.app,
        env: data.env,
        version: data.version,
        ...(data.commit ? { commit: data.commit } : {}),
        ...(data.requestId ? { requestId: data.requestId } : {}),
        // who asked is re-read from the config: a job's names are not trusted
        ...(data.requestedBy ? { requestedBy: actorFor(d.config, data.requestedBy.id) } : {}),
      };
      const report = await d.verifier.verify(input);
      if (!report) return undefined;
      await d.bus.publish({ type: report.ok ? 'verified' : 'verify-failed', verification: report });
      if (!report.ok && data.deploy) await rollBackAfter(d, data.deploy, report);
      return report.ok;
    },
    { connection: bullConnection(d.url), prefix: d.prefix, concurrency: CONCURRENCY, ...jobLock() },
  );
  worker.on('error', (err) => d.log.warn({ queue: VERIFY_QUEUE, err: err.message }, 'worker connection error'));
  return { close: () => worker.close() };
}

async function rollBackAfter(d: VerifyWorkerDeps, deployId: string, report: VerificationReport): Promise<void> {
  const deploy = await d.store.get(deployId);
  if (!deploy || deploy.version !== report.version) return;
  const why = `${report.app} ${report.version} failed verification in ${report.env}: ${report.message}`;
  await d.follower.rollBack(deploy, { state: deploy.state === 'live' ? 'live' : 'failed', message: report.message }, why);
}
