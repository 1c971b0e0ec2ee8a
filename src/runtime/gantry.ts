import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { limiterFromConfig } from '../commands/rate-limit.js';
import type { Core } from '../commands/context.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../domain/duration.js';
import { Deployer } from '../gitops/deployer.js';
import { GitRepo } from '../gitops/git.js';
import { History } from '../gitops/history.js';
import { sparseDirsOf } from '../gitops/sparse.js';
import { deployTargetOf, trackedPaths } from '../gitops/bluegreen/target.js';
import { claimWorkdir } from '../gitops/workdir.js';
import type { Signer } from '../gitops/signing.js';
import type { PullRequestOpener } from '../gitops/pull-request.js';
import { GantryMetrics } from '../http/metrics.js';
import { METRICS_WINDOW_MS, statsOf } from '../queries/stats.js';
import { NOTIFY_QUEUE, NotifyQueue, startNotifyWorker, type Notifier } from '../notify/delivery.js';
import { EventBus } from '../notify/events.js';
import { BranchLock, HeadHint } from '../store/branch-lock.js';
import { startFreezeWatch } from '../queue/freeze-watch.js';
import { DeployGuard } from '../queue/deploy-guard.js';
import { BundleStore } from '../store/bundles.js';
import { BundleDeployer } from '../gitops/bundle-deployer.js';
import { BundleGuard } from '../queue/bundle-guard.js';
import { BundleQueue, startBundleWorker } from '../queue/bundle-queue.js';
import { DeployQueue, startDeployWorkers, type WorkerDeps } from '../queue/deploy-queue.js';
import { ExpiryQueue, startExpiryWorker } from '../approvals/expiry.js';
import { Approvals } from '../approvals/service.js';
import { ApprovalStore } from '../approvals/store.js';
import { EnvLockStore } from '../store/env-locks.js';
import { connect, keyPrefix, Keys } from '../store/redis.js';
import { ReleaseStore } from '../store/releases.js';
import { gitAncestry } from '../rollout/revision.js';
import { RolloutStore } from '../rollout/store.js';
import { RolloutFollower } from '../rollout/follower.js';
import { ArgoCdPoller } from '../rollout/argocd.js';
import { startRolloutWatch } from '../rollout/watch.js';
import { Verifier } from '../rollout/verifier.js';
import { VerifyStore } from '../rollout/verify-store.js';
import { startVerifyWorker, verifyJobOf, VerifyQueue } from '../rollout/verify-queue.js';
import { dockerClient } from '../images/docker.js';
import type Docker from 'dockerode';
import { FAILED_STATES } from '../rollout/state.js';
import { LoginLinks } from '../web/auth/links.js';
import type { Logger } from '../util/logger.js';
import { servicesOf, type Services } from './services.js';
import { queuesOf, type QueueName } from './queues.js';

export interface GantryOptions {
  config: Config;
  redisUrl: string;
  /** Redis key prefix (default `gantry`), so installations and tests can share a Redis; a hash tag `{…}` on a Cluster */
  prefix?: string;
  /** base for relative paths in the config (default: the working directory) */
  baseDir?: string;
  /** where the warm clone lives; overrides deployRepo.workdir */
  workdir?: string;
  log: Logger;
  /** GANTRY_DEPLOY_TOKEN */
  deployToken?: string;
  /** signs every deploy commit (GANTRY_SIGNING_KEY, loaded by the caller, which also closes it) */
  signer?: Signer;
  /**
   * How soon after the clone is ready its first maintenance run (commit-graph with Bloom filters,
   * packing) starts; see MaintenanceOptions.firstAfterMs. Servers and workers start it soon: until
   * then a path-limited walk (/history, rollback targets) reads every commit's trees.
   */
  maintenanceFirstAfterMs?: number;
  now?: () => Date;
  /** first retry delay of a failed notification (default 1 s, doubling) */
  notifyBackoffMs?: number;
  /** opens pull requests for environments in pull-request mode */
  pullRequests?: PullRequestOpener;
  /** how often the rollout watch looks (default 15 s), and Argo CD's API to poll (GANTRY_ARGOCD_URL/TOKEN) */
  rolloutWatch?: { everyMs?: number; argocd?: { server: string; token: string } };
  /** GANTRY_PUBLIC_URL: links to verification logs */
  publicUrl?: string;
  /** the Docker Engine verification containers run on (default: DOCKER_HOST's) */
  docker?: () => Docker;
}

export interface Gantry {
  /** the command layer's dependencies: only src/commands and the workers use it */
  core: Core;
  /** what faces use: execute, read models, approval views (src/runtime/services.ts) */
  services: Services;
  redis: Redis;
  redisUrl: string;
  prefix: string;
  notify: NotifyQueue;
  /** this instance's Prometheus metrics (its own registry); the workers started here feed it */
  metrics: GantryMetrics;
  /** follows deploys after their commit: the rollout receivers and watch feed it */
  rollout: RolloutFollower;
  /** verification runs and their logs (GET /verifications/<id>/log) */
  verifyStore: VerifyStore;
  /** a BullMQ handle on queue `name` over the shared connection (dashboard, counts), closed with gantry */
  queueHandle(name: QueueName): Queue;
  /** runs the jobs of the deploy role's queues (src/runtime/queues.ts) in this process */
  startWorkers(concurrency?: number, hooks?: { afterDeploy?: WorkerDeps['afterDeploy']; afterDeployWaitMs?: number; notifiers?: Notifier[]; workerName?: string }): void;
  close(): Promise<void>;
}

/** Wires config, Redis, the deploy repo and the queues into one Core. */
export function createGantry(o: GantryOptions): Gantry {
  const base = o.baseDir ?? process.cwd();
  // {gantry} in Cluster mode: all keys in one slot, for BullMQ's scripts and gantry's own
  const prefix = keyPrefix(o.redisUrl, o.prefix ?? 'gantry');
  const keys = new Keys(prefix);
  const redis = connect(o.redisUrl, { name: 'gantry' });
  redis.on('error', (err) => o.log.warn({ err: err.message }, 'redis connection error'));
  const { config } = o;
  const url = resolveRepoUrl(config.deployRepo.url, base);
  // one process per warm clone: `gantry web` and `gantry worker` in one directory get one each
  const workdir = claimWorkdir(path.resolve(base, o.workdir ?? config.deployRepo.workdir));
  const repo = new GitRepo({
    url,
    branch: config.deployRepo.branch,
    workdir: workdir.dir,
    author: config.deployRepo.author,
    // a lean clone: blobless, with a sparse checkout of the directories the config names
    sparse: sparseDirsOf(config),
    maintenance: {
      onError: (step, detail) => o.log.warn({ step, detail }, 'deploy repo maintenance failed'),
      ...(o.maintenanceFirstAfterMs !== undefined ? { firstAfterMs: o.maintenanceFirstAfterMs } : {}),
    },
    ...(o.deployToken ? { token: o.deployToken } : {}),
    ...(o.signer ? { signer: o.signer } : {}),
  });
  // deployments are looked up among the commits that touched the app's files in the environment
  const history = new History(repo, (app, env) => {
    const target = deployTargetOf(config, app, env);
    return target && trackedPaths(target);
  });
  const releases = new ReleaseStore(redis, keys, config.releases.keep);
  const envLocks = new EnvLockStore(redis, keys);
  // an event may name a commit pushed after the clone's last fetch: fetch, at most once in 5 s
  const ancestry = gitAncestry({ dir: repo.dir, fetch: () => repo.fetchIfOlder(5000) });
  const rollouts = new RolloutStore(redis, keys, config, ancestry, o.now);
  const approvalStore = new ApprovalStore(redis, keys);
  const bus = new EventBus(redis, keys, (err, e) => o.log.error({ err: err instanceof Error ? err.message : String(err), event: e.type, id: e.id }, 'event not published'));
  const lockKey = keys.k('branch-lock', url, config.deployRepo.branch);
  const branchLock = new BranchLock(redis, lockKey);
  const headHint = new HeadHint(redis, lockKey);
  const deployer = new Deployer({ config, repo, history, releases, envLocks, lock: branchLock, headHint, log: o.log, ...(o.now ? { now: o.now } : {}), ...(o.pullRequests ? { pullRequests: o.pullRequests } : {}) });
  const queueError = (err: Error, name: string) => o.log.warn({ queue: name, err: err.message }, 'queue connection error');
  const queue = new DeployQueue(o.redisUrl, prefix, queueError);
  const bundleStore = new BundleStore(redis, keys);
  const bundles = {
    store: bundleStore,
    deployer: new BundleDeployer({ config, deployer, repo, bundles: bundleStore, lock: branchLock, headHint, log: o.log }),
    queue: new BundleQueue(o.redisUrl, prefix, queueError),
  };
  const expiry = new ExpiryQueue(o.redisUrl, prefix, queueError);
  const now = o.now ?? (() => new Date());
  const approvals = new Approvals({ config, store: approvalStore, expiry, bus, now });
  const notify = new NotifyQueue(o.redisUrl, prefix, o.notifyBackoffMs, (err) => queueError(err, NOTIFY_QUEUE));
  bus.setSink(async (e) => {
    await notify.fanOut(config, e);
  });
  const handles = new Map<QueueName, Queue>();
  const queueHandle = (name: QueueName): Queue => {
    let q = handles.get(name);
    if (!q) {
      // shares `redis`: a handle only reads and edits jobs, it never blocks the connection
      q = new Queue(name, { connection: redis, prefix });
      q.on('error', (err) => o.log.warn({ queue: name, err: err.message }, 'queue handle error'));
      handles.set(name, q);
    }
    return q;
  };
  const metrics = new GantryMetrics({
    queue: queueHandle,
    queues: queuesOf('deploy'),
    pendingApprovals: async () => (await approvals.pending()).length,
    deliveryStats: () => statsOf({ rollouts, releases, now }, Object.keys(config.apps), Object.keys(config.environments), METRICS_WINDOW_MS),
    log: o.log,
  });
  const limiter = limiterFromConfig(redis, keys, config, o.log);
  const verifyStore = new VerifyStore(redis, keys, { now });
  const verifier = new Verifier({ config, store: verifyStore, docker: o.docker ?? (() => dockerClient()), publicUrl: o.publicUrl, log: o.log, now });
  deployer.setVerification(verifier);
  deployer.setRollouts(rollouts);
  const verifyQueue = new VerifyQueue(o.redisUrl, prefix, queueError);
  const rollout = new RolloutFollower({
    config,
    store: rollouts,
    bus,
    enqueue: (req) => queue.enqueue(req),
    verifyLater: (d) => verifyQueue.add(verifyJobOf(d), `verify-${d.id.replace(/:/g, '-')}`),
    log: o.log,
    now,
  });
  /**
   * An automatic rollback runs only for a followed deploy that failed (its rollout, or its
   * verification) and is still the newest of its app and environment.
   */
  const failed = async (id: string): Promise<boolean> => {
    const d = await rollouts.get(id);
    if (!d || (await rollouts.latest(d.app, d.env))?.id !== id) return false;
    if (FAILED_STATES.has(d.state)) return true;
    const run = d.version === undefined ? undefined : await verifyStore.latest(d.app, d.env, d.version);
    return run?.state === 'failed' && run.commit === d.commit;
  };
  const core: Core = {
    config,
    releases,
    envLocks,
    approvals,
    repo,
    history,
    deployer,
    deployBranch: { lock: branchLock, headHint },
    queue,
    bus,
    rollouts,
    verifications: verifyQueue,
    verifier,
    log: o.log,
    now,
    readFreshnessMs: parseDuration(config.deployRepo.refreshInterval),
    metrics,
    ...(limiter ? { limiter } : {}),
    bundles,
    loginLinks: new LoginLinks(redis, keys, { ttlMs: parseDuration(config.web.loginLinkTtl), now, publicUrl: () => o.publicUrl }),
  };
  const workers: { close(): Promise<void> }[] = [];
  return {
    core,
    services: servicesOf(core),
    redis,
    redisUrl: o.redisUrl,
    prefix,
    notify,
    metrics,
    rollout,
    verifyStore,
    queueHandle,
    startWorkers(concurrency, hooks) {
      const deployGuard = new DeployGuard({ config, approvals: approvalStore, releases, envLocks, now: core.now, failed });
      workers.push(
        startBundleWorker({
          url: o.redisUrl,
          prefix,
          deployer: bundles.deployer,
          guard: new BundleGuard({ config, approvals: approvalStore, bundles: bundleStore, envLocks, votes: deployGuard, now: core.now }),
          approvals,
          bus,
          log: o.log,
          follow: (result, req) => rollout.follow(result, req),
        }),
        startDeployWorkers({
          url: o.redisUrl,
          prefix,
          deployer,
          approvals,
          guard: deployGuard,
          follow: (result, req) => rollout.follow(result, req),
          bus,
          log: o.log,
          metrics,
          ...(concurrency ? { concurrency } : {}),
          ...(hooks?.afterDeploy ? { afterDeploy: hooks.afterDeploy } : {}),
          ...(hooks?.afterDeployWaitMs !== undefined ? { afterDeployWaitMs: hooks.afterDeployWaitMs } : {}),
          ...(hooks?.workerName ? { name: hooks.workerName } : {}),
        }),
        startExpiryWorker({ url: o.redisUrl, prefix, approvals, log: o.log, metrics }),
        startNotifyWorker({ url: o.redisUrl, prefix, notifiers: hooks?.notifiers ?? [], approvals: approvalStore, log: o.log, metrics }),
        startFreezeWatch({ url: o.redisUrl, prefix, config, redis, keys, bus, now: core.now, log: o.log }),
        startVerifyWorker({ url: o.redisUrl, prefix, config, verifier, store: rollouts, follower: rollout, bus, log: o.log }),
        startRolloutWatch({
          url: o.redisUrl,
          prefix,
          config,
          store: rollouts,
          follower: rollout,
          log: o.log,
          ...(o.rolloutWatch?.everyMs ? { everyMs: o.rolloutWatch.everyMs } : {}),
          ...(o.rolloutWatch?.argocd ? { poller: new ArgoCdPoller({ ...o.rolloutWatch.argocd, now }) } : {}),
        }),
      );
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await queue.close();
      await bundles.queue.close();
      await expiry.close();
      await verifyQueue.close();
      await notify.close();
      await Promise.allSettled([...handles.values()].map((q) => q.close()));
      redis.disconnect();
      await repo.close(); // before the claim goes: no git process of ours is left in the clone
      workdir.release();
    },
  };
}

/** A local path in the config is relative to the base directory; URLs are kept as they are. */
export function resolveRepoUrl(url: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^:]+:/.test(url)) return url;
  return path.resolve(base, url);
}
