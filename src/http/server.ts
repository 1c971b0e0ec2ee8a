import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../util/logger.js';

/**
 * The one HTTP server of `gantry web` / `gantry start`: GitHub webhooks, chat callbacks, health.
 * Each face contributes routes; a route's handler owns the request, including reading the body,
 * which it bounds first (src/http/auth.ts: refuseBody, readLimited).
 */
export interface Route {
  method?: 'GET' | 'POST';
  /** exact path, or a prefix when it ends with `/*` */
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export function matchRoute(routes: Route[], method: string, url: string): Route | undefined {
  const path = url.split('?')[0]!;
  return routes.find((r) => (!r.method || r.method === method) && (r.path.endsWith('/*') ? path.startsWith(r.path.slice(0, -1)) : r.path === path));
}

export function createHttpServer(routes: Route[], log: Logger): http.Server {
  const server = http.createServer((req, res) => {
    const route = matchRoute(routes, req.method ?? 'GET', req.url ?? '/');
    if (!route) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    Promise.resolve(route.handler(req, res)).catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err), path: route.path }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  // slow clients must not hold sockets forever
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
