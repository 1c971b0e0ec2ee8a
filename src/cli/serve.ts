import { webApi } from '@slack/bolt';
import { createSlack, type SlackFace } from '../chat/slack/app.js';
import { SlackMessageStore } from '../chat/slack/messages.js';
import { SlackNotifier } from '../chat/slack/notifier.js';
import { slackSettings } from '../config/env.js';
import { createHttpServer, listen, sendJson, type Route } from '../http/server.js';
import type { Notifier } from '../notify/delivery.js';
import { Keys } from '../store/redis.js';
import { createLogger } from '../util/logger.js';
import { boot } from './bootstrap.js';

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
  const notifiers: Notifier[] = [];
  const closers: (() => Promise<void>)[] = [];

  const slack = slackSettings(env);
  if (slack) {
    const messages = new SlackMessageStore(gantry.redis, new Keys(gantry.prefix));
    let face: SlackFace | undefined;
    if (web) {
      face = await createSlack(core, messages, slack, log);
      routes.push(...face.routes);
      await face.start();
      closers.push(() => face!.stop());
    }
    if (work) {
      const client = face?.client ?? new webApi.WebClient(slack.botToken, slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {});
      notifiers.push(new SlackNotifier(core, client, messages));
    }
    log.info({ mode: slack.signingSecret ? 'http' : 'socket' }, 'slack face on');
  }

  if (work) gantry.startWorkers(undefined, { notifiers });
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
