import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { BundleRequest, BundleResult } from '../domain/bundle.js';
import type { DeployRequest } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import type { BundleDeployer } from '../gitops/bundle-deployer.js';
import type { Approvals } from '../approvals/service.js';
import type { EventBus } from '../notify/events.js';
import { bullConnection } from '../store/redis.js';
import { jobLock } from '../store/job-lock.js';
import type { Logger } from '../util/logger.js';
import type { BundleGuard } from './bundle-guard.js';
import { addUnderId, RETRYABLE, toGantryError, type Progress } from './deploy-queue.js';

export const BUNDLE_QUEUE = 'bundle-deploy';

/** The bundle queue as the asking side sees it; job ids are request ids, so a repeated click adds nothing. */
export class BundleQueue {
  readonly queue: Queue<BundleRequest, BundleResult>;
  private events: QueueEvents | undefined;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly onError: (err: Error, queue: string) => void = () => undefined,
  ) {
    this.queue = new Queue(BUNDLE_QUEUE, { connection: bullConnection(url), prefix });
    this.queue.on('error', (err) => onError(err, BUNDLE_QUEUE));
  }

  /** Enqueues the request and waits for its outcome; a refusal comes back as a GantryError. */
  async submit(req: BundleRequest, timeoutMs = 10 * 60_000): Promise<BundleResult> {
    if (!this.events) {
      this.events = new QueueEvents(BUNDLE_QUEUE, { connection: bullConnection(this.url), prefix: this.prefix });
      this.events.on('error', (err) => this.onError(err, `${BUNDLE_QUEUE} events`));
      await this.events.waitUntilReady();
    }
    const job = await addUnderId(this.queue, 'bundle', req, req.id);
    try {
      return (await job.waitUntilFinished(this.events, timeoutMs)) as BundleResult;
    } catch (e) {
      const progress = (await Job.fromId(this.queue, req.id).catch(() => undefined))?.progress as Progress | undefined;
      throw toGantryError(e, progress?.refusal);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events?.close(), this.queue.close()]);
  }
}

export interface BundleWorkerDeps {
  url: string;
  prefix: string;
  deployer: BundleDeployer;
  guard: BundleGuard;
  approvals: Pick<Approvals, 'finish'>;
  bus: EventBus;
  log: Logger;
  /** follows each app's rollout after the commit, as for a single deploy */
  follow?: (result: BundleResult['apps'][number], request: DeployRequest) => Promise<unknown>;
}

/**
 * Runs bundle jobs: guard, one commit, then each app reported as a deploy of its own (the same
 * `deployed` / `rolled-back` events, rollout following and notifications), all naming the one commit.
 */
export function startBundleWorker(d: BundleWorkerDeps): { close(): Promise<void> } {
  const worker = new Worker<BundleRequest, BundleResult>(
    BUNDLE_QUEUE,
    async (job) => {
      const jobId = job.id ?? '';
      const log = d.log.child({ job: jobId });
      const retried = job.attemptsStarted > 1 || job.attemptsMade > 0;
      let req: BundleRequest | undefined;
      try {
        req = await d.guard.check(jobId, job.data, retried);
        const result = await d.deployer.deploy(req, { maybeDone: retried });
        log.info({ bundle: req.bundle, env: req.env, commit: result.commit, apps: result.apps.length, retries: result.retries }, 'bundle deployed');
        if (req.approval) await d.approvals.finish(req.approval, { commit: result.commit });
        for (const r of result.apps) {
          const request: DeployRequest = { id: req.id, action: req.action, app: r.app, env: req.env, version: r.version, requestedBy: req.requestedBy, approvedBy: req.approvedBy };
          await d.follow?.(r, request).catch((err: unknown) => log.error({ err: String(err), app: r.app }, 'cannot follow the rollout'));
          await d.bus.publish({ type: req.action === 'rollback' ? 'rolled-back' : 'deployed', result: r, request });
        }
        return result;
      } catch (e) {
        const err = e instanceof GantryError ? e : new GantryError('INTERNAL', e instanceof Error ? e.message : String(e));
        const final = !RETRYABLE.has(err.code) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        log.warn({ code: err.code, final, refused: req === undefined }, 'bundle deploy failed');
        const approval = req?.approval ?? /^approval-(\d{1,12})$/.exec(jobId)?.[1];
        if (final && approval) await d.approvals.finish(approval, { error: err.message }).catch(() => undefined);
        if (final) {
          // told like a single deploy's failure (chat, notifications), naming the bundle and its apps
          await d.guard
            .shown(jobId, job.data, req)
            .then(({ request, bundle }) => d.bus.publish({ type: 'deploy-failed', request, code: err.code, message: err.message, detail: err.detail, bundle }))
            .catch((e2: unknown) => log.warn({ err: String(e2) }, 'cannot report the failed bundle'));
        }
        await job.updateProgress({ refusal: err.detail } satisfies Progress).catch(() => undefined);
        const text = `${err.code}: ${err.message}`;
        throw RETRYABLE.has(err.code) ? new Error(text) : new UnrecoverableError(text);
      }
    },
    { connection: bullConnection(d.url), prefix: d.prefix, concurrency: 2, maxStalledCount: 5, ...jobLock() },
  );
  worker.on('error', (err) => d.log.warn({ queue: worker.name, err: err.message }, 'worker connection error'));
  return { close: () => worker.close().catch(() => undefined) };
}
