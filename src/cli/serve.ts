import { startFaces } from '../chat/registry.js';
import { faceDepsOf } from '../runtime/services.js';
import { adminRoutes } from '../http/admin.js';
import { apiRoutes } from '../http/api.js';
import { healthRoutes, Readiness } from '../http/health.js';
import { metricsRoute } from '../http/metrics.js';
import { createHttpServer, listen, type Route } from '../http/server.js';
import { rolloutRoutes } from '../rollout/routes.js';
import { webRoutes } from '../web/routes.js';
import { closeLiveLogs } from '../web/builds/live.js';
import { webAuthSettings } from '../web/auth/settings.js';
import { webDepsOf } from './local-web.js';
import { verificationRoutes } from '../rollout/verify-routes.js';
import { dockerClient } from '../images/docker.js';
import { queueJob, queuesOf } from '../runtime/queues.js';
import { Keys } from '../store/redis.js';
import { redisPersistence } from '../store/redis-persistence.js';
import type { Env } from '../config/env.js';
import type { Gantry } from '../runtime/gantry.js';
import type { Logger } from '../util/logger.js';
import { boot } from './bootstrap.js';
import { cliLogger } from './logging.js';
import { loadGithubFace, startDeployRole } from './workers.js';

export type Role = 'all' | 'web' | 'worker';

/**
 * `gantry start` (with platform credentials), `gantry web` and `gantry worker`: the HTTP faces
 * (webhooks, chat callbacks, API, admin) and/or the workers (deploys, approvals, notifications,
 * builds), against one Redis. Every role listens for /healthz, /readyz and /metrics (a worker's
 * counts live in the worker). Any number of each may run; SIGTERM stops taking work, lets
 * in-flight jobs finish and exits.
 */
export async function serveCommand(flags: { config?: string; role: Role }): Promise<number> {
  const log = cliLogger('server');
  const booted = await boot({ ...(flags.config ? { config: flags.config } : {}), log, longLived: true });
  const { gantry, env } = booted;
  const { core } = gantry;
  // not awaited: a Redis that is away at start is the readiness probe's business
  redisPersistence(gantry.redis).then(
    (p) => {
      if (p.level === 'none' || p.level === 'snapshots' || p.level === 'unknown') log.warn({ redis: p.detail, fix: p.fix }, 'redis may lose queued work');
      else log.info({ redis: p.detail }, 'redis persistence');
    },
    (err: unknown) => log.debug({ err: String(err) }, 'redis persistence not checked'),
  );
  const web = flags.role !== 'worker';
  const work = flags.role !== 'web';
  const closers: (() => Promise<void>)[] = [];
  // the faces are imported only when configured: a process carries only the clients it uses
  const gh = await loadGithubFace(booted, log);
  const github = gh?.deps.settings;
  // Docker matters only where builds run
  const docker = github && work ? dockerClient() : undefined;

  const readiness = new Readiness({ redis: gantry.redis, repo: core.repo.opts, log, ...(docker ? { docker } : {}) });
  const routes: Route[] = [...healthRoutes(readiness), metricsRoute(gantry.metrics, env.GANTRY_METRICS_TOKEN ? { token: env.GANTRY_METRICS_TOKEN } : {})];
  gantry.metrics.collectProcessMetrics();
  const queues = [...queuesOf('deploy'), ...(github ? queuesOf('github') : [])];
  // the deploy role's queues are counted by every gantry; the GitHub ones where the app is on
  for (const name of queues) gantry.metrics.watchQueue(name);

  if (web) {
    routes.push(...apiRoutes({ queries: gantry.services.queries, register: gantry.services.registerRelease, ...(gantry.services.bundles ? { bundles: gantry.services.bundles } : {}), log, token: env.GANTRY_API_TOKEN }));
    const handles = queues.map((n) => gantry.queueHandle(n));
    routes.push(...(await adminRoutes({ queues: handles, describe: queueJob, log, token: env.GANTRY_ADMIN_TOKEN })));
    // every chat platform configured in the environment, from the registry (src/chat/registry.ts)
    const faces = await startFaces(faceDepsOf(gantry.services, gantry.redis, new Keys(gantry.prefix), log), env);
    routes.push(...faces.routes);
    closers.push(() => faces.stop());
    routes.push(...rolloutWebRoutes(gantry, env, log));
    // the dashboard, sign-in and build pages (src/web/); the more specific routes above come first
    routes.push(...webRoutes(webDepsOf(gantry, env.GANTRY_PUBLIC_URL, log), webAuthSettings(env)));
    if (faces.platforms.length) log.info({ platforms: faces.platforms }, 'chat faces on');
    if (gh) {
      const face = await gh.face.githubRoutes(gh.deps);
      routes.push(...face.routes);
      closers.push(() => face.close());
      log.info({ path: gh.face.WEBHOOK_PATH }, 'github app on');
    }
  }

  if (work) {
    const role = await startDeployRole(booted, gh ? { github: gh } : {}, log);
    closers.push(() => role.close());
    if (gh) {
      const workers = gh.face.startGithubWorkers({ ...gh.deps, ...(docker ? { docker } : {}), metrics: gantry.metrics });
      closers.push(() => workers.close());
    }
  }

  const server = createHttpServer(routes, log);
  const host = env.GANTRY_HOST ?? core.config.server.host;
  const port = await listen(server, env.PORT ? Number(env.PORT) : core.config.server.port, host);
  log.info({ port, host, role: flags.role, routes: routes.map((r) => r.path) }, 'listening');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: no new work, finishing jobs in flight');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  const closed = new Promise<void>((r) => server.close(() => r()));
  // open build-log streams would hold close() as long as their builds run
  await closeLiveLogs();
  await closed;
  for (const close of closers) await close().catch(() => undefined);
  await booted.close();
  return 0;
}

/**
 * What `gantry web` answers about rollouts: the Argo CD and Flux receivers, each served only with
 * its secret, and the kept verification logs.
 */
export function rolloutWebRoutes(gantry: Pick<Gantry, 'rollout' | 'verifyStore'>, env: Partial<Pick<Env, 'GANTRY_FLUX_WEBHOOK_SECRET' | 'GANTRY_ARGOCD_WEBHOOK_TOKEN'>>, log: Logger): Route[] {
  return [
    ...rolloutRoutes({
      ...(env.GANTRY_FLUX_WEBHOOK_SECRET ? { flux: { secret: env.GANTRY_FLUX_WEBHOOK_SECRET } } : {}),
      ...(env.GANTRY_ARGOCD_WEBHOOK_TOKEN ? { argocd: { token: env.GANTRY_ARGOCD_WEBHOOK_TOKEN } } : {}),
      onEvent: async (e) => void (await gantry.rollout.onEvent(e)),
      log,
    }),
    ...verificationRoutes(gantry.verifyStore),
  ];
}
