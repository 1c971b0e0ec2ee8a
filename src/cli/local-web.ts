import type { Server } from 'node:http';
import type { Env } from '../config/env.js';
import { createHttpServer, listen, type Route } from '../http/server.js';
import type { Gantry } from '../runtime/gantry.js';
import { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import { webAuthSettings } from '../web/auth/settings.js';
import type { WebDeps } from '../web/deps.js';
import { webRoutes } from '../web/routes.js';

/** What the web pages get from a running gantry (`gantry web`, and local mode's shell). */
export function webDepsOf(gantry: Gantry, publicUrl: string | undefined, log: Logger): WebDeps {
  const deps: WebDeps = { services: gantry.services, redis: gantry.redis, keys: new Keys(gantry.prefix), log: log.child({ face: 'web' }), now: gantry.core.now };
  if (publicUrl) deps.publicUrl = publicUrl;
  return deps;
}

/** Local mode's web server: bound before gantry is made (its address is the public URL), routes added after. */
export interface LocalWeb {
  url: string;
  server: Server;
  routes: Route[];
  close(): Promise<void>;
}

/**
 * Binds the local-mode web server on 127.0.0.1 only (nobody else on the network reads a local
 * gantry). A port in use is not fatal: local mode goes on without pages, and says why.
 */
export async function bindLocalWeb(port: number, log: Logger): Promise<LocalWeb | { busy: string }> {
  const routes: Route[] = [];
  const server = createHttpServer(routes, log);
  try {
    const bound = await listen(server, port, '127.0.0.1');
    return {
      url: `http://127.0.0.1:${bound}`,
      server,
      routes,
      close: () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${port} is in use` : String(err);
    log.warn({ port, err: why }, 'local web pages not served');
    return { busy: `the web pages are not served (${why}); set PORT to a free port to get them and working /gantry login links` };
  }
}

/** Local mode serves the dashboard and sign-in (the shell's /gantry login links lead here). */
export function serveLocalWeb(web: LocalWeb, gantry: Gantry, env: Env, log: Logger): void {
  web.routes.push(...webRoutes(webDepsOf(gantry, web.url, log), webAuthSettings(env)));
}
