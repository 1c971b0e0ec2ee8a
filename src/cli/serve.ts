import { createSlack, type SlackFace } from '../chat/slack/app.js';
import { SlackMessageStore } from '../chat/slack/messages.js';
import { DingtalkFace } from '../chat/dingtalk/app.js';
import { startDingtalkStream } from '../chat/dingtalk/stream.js';
import { slackSettings } from '../config/env.js';
import { createHttpServer, listen, sendJson, type Route } from '../http/server.js';
import { Keys } from '../store/redis.js';
import { createLogger } from '../util/logger.js';
import { boot } from './bootstrap.js';
import { buildNotifiers } from './notifiers.js';
import { dockerClient } from '../runtime/docker-services.js';
import { readGithubEnv } from '../github/env.js';
import { githubAfterDeploy, githubRoutes, startGithubWorkers, WEBHOOK_PATH } from '../github/server.js';

export type Role = 'all' | 'web' | 'worker';

/**
 * `gantry start` (with platform credentials), `gantry web` and `gantry worker`: the HTTP faces
 * (webhooks, chat callbacks, health) and/or the workers (deploys, approvals, notifications),
 * against one Redis. Any number of each may run; SIGTERM stops taking work, lets in-flight jobs
 * finish and exits.
 */
export async function serveCommand(flags: { config?: string; role: Role }): Promise<number> {
  const log = createLogger();
  const booted = await boot({ ...(flags.config ? { config: flags.config } : {}), log });
  const { gantry, env } = booted;
  const { core } = gantry;
  const web = flags.role !== 'worker';
  const work = flags.role !== 'web';
  const routes: Route[] = [{ method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { ok: true }) }];
  const closers: (() => Promise<void>)[] = [];

  const messages = new SlackMessageStore(gantry.redis, new Keys(gantry.prefix));
  let slackFace: SlackFace | undefined;
  const slack = slackSettings(env);
  if (slack && web) {
    slackFace = await createSlack(core, messages, slack, log);
    routes.push(...slackFace.routes);
    await slackFace.start();
    closers.push(() => slackFace!.stop());
    log.info({ mode: slack.signingSecret ? 'http' : 'socket' }, 'slack face on');
  }
  if (env.DINGTALK_APP_SECRET && web) {
    const face = new DingtalkFace(core, env.DINGTALK_APP_SECRET, log.child({ face: 'dingtalk' }));
    if (env.DINGTALK_APP_KEY) {
      const stream = startDingtalkStream(face, env.DINGTALK_APP_KEY, env.DINGTALK_APP_SECRET, log);
      closers.push(() => stream.close());
    } else routes.push(...face.routes());
    log.info({ mode: env.DINGTALK_APP_KEY ? 'stream' : 'http' }, 'dingtalk face on');
  }
  const github = env.GITHUB_APP_ID ? readGithubEnv(process.env) : undefined;
  const ghDeps = github ? { core, redisUrl: gantry.redisUrl, prefix: gantry.prefix, settings: github, log } : undefined;
  if (ghDeps && web) {
    const gh = await githubRoutes(ghDeps);
    routes.push(...gh.routes);
    closers.push(() => gh.close());
    log.info({ path: WEBHOOK_PATH }, 'github app on');
  }
  if (work) {
    const built = buildNotifiers(core, env, { messages, ...(slackFace ? { client: slackFace.client } : {}) });
    closers.push(async () => built.close());
    gantry.startWorkers(undefined, { notifiers: built.notifiers, ...(ghDeps ? { afterDeploy: githubAfterDeploy(ghDeps) } : {}) });
    if (ghDeps) {
      const workers = startGithubWorkers({ ...ghDeps, docker: dockerClient() });
      closers.push(() => workers.close());
    }
  }
  let server: ReturnType<typeof createHttpServer> | undefined;
  if (web) {
    server = createHttpServer(routes, log);
    const port = await listen(server, env.PORT ? Number(env.PORT) : core.config.server.port, core.config.server.host);
    log.info({ port, host: core.config.server.host, routes: routes.map((r) => r.path) }, 'listening');
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: no new work, finishing jobs in flight');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  for (const close of closers) await close().catch(() => undefined);
  await booted.close();
  return 0;
}
