import type { Queue } from 'bullmq';
import type Docker from 'dockerode';
import type { Redis } from 'ioredis';
import { createNodeMiddleware, Probot, ProbotOctokit } from 'probot';
import { buildImage } from '../images/builder.js';
import { runSmokeTest } from '../images/smoke-test.js';
import { startBuildWorker, type BuildImageFn, type SmokeTestFn } from '../images/worker.js';
import type { Core } from '../commands/context.js';
import { GantryError } from '../domain/errors.js';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import { BodyBudget, readLimited, refuseBody } from '../http/auth.js';
import { sendJson, type Route } from '../http/server.js';
import { BUILD_QUEUE, BuildQueue } from '../images/build-queue.js';
import { BuildLogStore, buildLogSettings } from '../images/build-log.js';
import { countBuilds, type GantryMetrics } from '../http/metrics.js';
import { connect, Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import { gantryApp } from './app.js';
import { GithubBuildReporter } from './build-reporter.js';
import type { Octokit } from './check-run.js';
import { githubDeployments } from './deployments.js';
import type { GithubSettings } from './env.js';
import { startEventWorker, type GithubAuth } from './event-worker.js';
import type { EventJob } from './events.js';
import { EVENT_QUEUE, Ingest } from './ingest.js';
import { startRedeliverSweep } from './redeliver.js';
import { startPreviewRole } from './preview-role.js';
import type { GithubPreviews } from './previews.js';

export const WEBHOOK_PATH = '/api/github/webhooks';

/** GitHub does not send webhook payloads over 25 MB (docs: "Webhook events and payloads"). */
export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;
/** What all deliveries being read may hold at once (real ones are a few kB; a 503 is a failed delivery, which the redeliver sweep sends again). */
export const WEBHOOK_BODIES_AT_ONCE = 4 * WEBHOOK_BODY_LIMIT;

/** What the GitHub face needs from a running gantry (see src/runtime/gantry.ts). */
export interface GithubFaceDeps {
  core: Core;
  redisUrl: string;
  prefix: string;
  settings: GithubSettings;
  log: Logger;
  /** GANTRY_PUBLIC_URL: check runs' Details link and chat reports point at build pages there */
  publicUrl?: string;
}

/**
 * Octokit's throttling plugin spaces write requests (check runs!) one second apart under one key
 * for the whole process; GitHub's guidance is per token, so gantry keys the limiter by
 * installation: one busy repo owner does not slow check runs down for everyone else.
 */
const GantryOctokit = ProbotOctokit.defaults((options: Record<string, any>) => ({
  ...options,
  ...(options.throttle ? { throttle: { ...options.throttle, id: `installation-${options.auth?.installationId ?? 'app'}` } } : {}),
}));

/** A Probot for webhooks and API auth. Credentials come from GithubSettings (env), never logged. */
export function createGithubProbot(settings: GithubSettings, log: Logger): Probot {
  return new Probot({
    appId: settings.appId,
    privateKey: settings.privateKey,
    secret: settings.webhookSecret,
    log: log.child({ name: 'probot' }),
    ...(settings.apiUrl ? { baseUrl: settings.apiUrl } : {}),
    Octokit: GantryOctokit as typeof ProbotOctokit,
  });
}

function githubAuth(probot: Probot): GithubAuth & { app(): Promise<Octokit> } {
  return {
    installation: async (id) => (await probot.auth(id)) as Octokit,
    app: async () => (await probot.auth()) as Octokit,
  };
}

/**
 * `gantry web`: the webhook endpoint. Probot verifies the signature; the handlers only queue the
 * event (durably, in Redis) and answer. `close()` closes the ingest queue's connection.
 */
export async function githubRoutes(d: GithubFaceDeps): Promise<{ routes: Route[]; ingest: Ingest; close(): Promise<void> }> {
  const probot = createGithubProbot(d.settings, d.log);
  const ingest = new Ingest(d.redisUrl, d.prefix, d.core.config, d.log.child({ face: 'github' }));
  // not awaited: with Redis away the web face still starts, and deliveries get 5xx until it is back
  ingest.waitUntilReady().catch((err: unknown) => d.log.warn({ err: String(err) }, 'event queue not ready'));
  const middleware = await createNodeMiddleware(gantryApp(ingest, d.settings.appId), { probot, webhooksPath: WEBHOOK_PATH });
  const bodies = new BodyBudget(WEBHOOK_BODIES_AT_ONCE);
  const route: Route = {
    method: 'POST',
    path: WEBHOOK_PATH,
    handler: async (req, res) => {
      // The signature covers the whole body, so it is read before anyone knows who sent it: at
      // most GitHub's own maximum, refused with 413 (and the connection cut) as soon as it is over.
      if (refuseBody(req, res, WEBHOOK_BODY_LIMIT, { chunked: true })) return;
      const raw = await readLimited(req, res, WEBHOOK_BODY_LIMIT, bodies);
      if (raw === undefined) return;
      // @octokit/webhooks takes a body already read (a string) instead of reading the stream again
      Object.assign(req, { body: raw.toString('utf8') });
      await middleware(req, res, () => sendJson(res, 404, { error: 'not found' }));
    },
  };
  return { routes: [route], ingest, close: () => ingest.close() };
}

export interface GithubWorkerOptions extends GithubFaceDeps {
  /** the Docker Engine builds run on (needed unless only the event worker runs here) */
  docker?: Docker;
  /** the build engine (default: src/images/builder.ts and smoke-test.ts) */
  buildImage?: BuildImageFn;
  runSmokeTest?: SmokeTestFn;
  /** tests: shorter gaps */
  progressIntervalMs?: number;
  retryBackoffMs?: number;
  /** run only some of the workers in this process (default both) */
  only?: 'events' | 'builds';
  /** counts builds and queue waits for /metrics */
  metrics?: GantryMetrics;
}

/**
 * `gantry worker` / `gantry start`: the event worker (check runs and build jobs, fast) and the
 * build worker (docker builds, bounded by GANTRY_BUILD_CONCURRENCY). Any number of processes may
 * run them against one Redis.
 */
export function startGithubWorkers(o: GithubWorkerOptions): { builds: BuildQueue; events?: Queue<EventJob>; previews?: GithubPreviews; close(): Promise<void> } {
  const keys = new Keys(o.prefix);
  const redis = connect(o.redisUrl, { name: 'gantry-github' });
  redis.on('error', (err) => o.log.warn({ err: err.message }, 'redis connection error'));
  const buildLogs = new BuildLogStore(redis, keys, buildLogSettings(o.core.config.builds), o.log.child({ worker: 'build-log' }));
  const probot = createGithubProbot(o.settings, o.log);
  const github = githubAuth(probot);
  const builds = new BuildQueue(o.redisUrl, keys, {
    attempts: o.settings.buildAttempts,
    ...(o.retryBackoffMs ? { backoffMs: o.retryBackoffMs } : {}),
    onError: (err) => o.log.warn({ queue: BUILD_QUEUE, err: err.message }, 'build queue connection error'),
  });
  const closers: (() => Promise<void>)[] = [];
  const registryOverride = o.settings.registryOverride;
  const previewRole = startPreviewRole({ core: o.core, redis, redisUrl: o.redisUrl, keys, github, runWorker: o.only !== 'builds', log: o.log, ...(registryOverride ? { registryOverride } : {}) });
  if (previewRole) closers.push(() => previewRole.close());
  let eventQueue: Queue<EventJob> | undefined;
  if (o.only !== 'builds') {
    const events = startEventWorker({
      core: o.core,
      redis,
      redisUrl: o.redisUrl,
      keys,
      builds,
      github,
      appId: o.settings.appId,
      log: o.log.child({ worker: 'github-events' }),
      concurrency: o.settings.eventConcurrency,
      ...(o.settings.registryOverride ? { registryOverride: o.settings.registryOverride } : {}),
      ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
      logs: buildLogs,
      ...(previewRole ? { previews: previewRole.previews } : {}),
    });
    events.worker.on('failed', (job, err) => o.log.warn({ job: job?.id, delivery: job?.data.delivery, err: err.message }, 'github event failed'));
    o.metrics?.observeWorker(EVENT_QUEUE, events.worker);
    eventQueue = events.queue;
    closers.push(() => events.close());
    if (o.settings.redeliverEveryMs) {
      const sweep = startRedeliverSweep({ app: github.app, redis, keys, redisUrl: o.redisUrl, everyMs: o.settings.redeliverEveryMs, log: o.log.child({ worker: 'github-redeliver' }) });
      closers.push(() => sweep.close());
    }
  }
  if (o.only !== 'events') {
    if (!o.docker) throw new GantryError('CONFIG_INVALID', 'the build worker needs a Docker Engine (set DOCKER_HOST)');
    const reporter = new GithubBuildReporter({
      core: o.core,
      redis,
      keys,
      github,
      log: o.log.child({ worker: 'build' }),
      ...(o.progressIntervalMs !== undefined ? { progressIntervalMs: o.progressIntervalMs } : {}),
      ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
      ...(previewRole ? { previews: previewRole.previews } : {}),
    });
    const worker = startBuildWorker({
      redisUrl: o.redisUrl,
      prefix: o.prefix,
      docker: o.docker,
      builds,
      reporter: o.metrics ? countBuilds(reporter, o.metrics) : reporter,
      buildImage: o.buildImage ?? buildImage,
      runSmokeTest: o.runSmokeTest ?? runSmokeTest,
      concurrency: o.settings.buildConcurrency,
      timeoutMs: o.settings.buildTimeoutMs,
      ...(o.settings.registryAuth ? { auth: o.settings.registryAuth } : {}),
      ...(o.settings.forkRegistryAuth ? { forkAuth: o.settings.forkRegistryAuth } : {}),
      ...(o.settings.memoryBytes ? { memoryBytes: o.settings.memoryBytes } : {}),
      ...(o.settings.nanoCpus ? { nanoCpus: o.settings.nanoCpus } : {}),
      argEnv: o.settings.buildArgEnv,
      logs: buildLogs,
      log: o.log.child({ worker: 'build' }),
    });
    o.metrics?.observeWorker(BUILD_QUEUE, worker.worker);
    worker.worker.on('failed', (job, err) => o.log.info({ job: job?.id, err: err.message }, 'build job ended without an image'));
    closers.push(() => worker.close(o.settings.shutdownGraceMs));
  }
  return {
    builds,
    ...(eventQueue ? { events: eventQueue } : {}),
    ...(previewRole ? { previews: previewRole.previews } : {}),
    async close() {
      await Promise.allSettled(closers.map((c) => c()));
      await builds.close();
      redis.disconnect();
    },
  };
}

/**
 * The deploy workers' `afterDeploy` hook (a GitHub Deployment per promotion and rollback) and the
 * notifier whose follow-ups move its status with the rollout.
 */
export function githubDeploymentRole(d: Pick<GithubFaceDeps, 'core' | 'settings' | 'log' | 'redisUrl' | 'prefix'> & { redis: Redis }): ReturnType<typeof githubDeployments> {
  const github = githubAuth(createGithubProbot(d.settings, d.log));
  return githubDeployments({
    config: d.core.config,
    releases: d.core.releases,
    appOctokit: github.app,
    installationOctokit: github.installation,
    redis: d.redis,
    keys: new Keys(d.prefix),
    rollouts: d.core.rollouts,
    log: d.log.child({ face: 'github-deployments' }),
  });
}
