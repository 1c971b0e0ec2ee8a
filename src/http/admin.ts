import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from 'bullmq';
import type { Logger } from '../util/logger.js';
import { bearerOrBasic, refuseBody, unauthorized } from './auth.js';
import { sendJson, type Route } from './server.js';

export const ADMIN_BASE = '/admin/queues';

/** The dashboard only reads: a request has no body worth reading. */
const ADMIN_BODY_LIMIT = 1024;

export interface AdminOptions {
  /** GANTRY_ADMIN_TOKEN; without it nothing is mounted */
  token: string | undefined;
  queues: Queue[];
  /** a line under a queue's name: what one of its jobs is */
  describe?: (queue: string) => string | undefined;
  log: Logger;
}

/**
 * The queue dashboard (bull-board) under /admin/queues, behind GANTRY_ADMIN_TOKEN: Bearer for
 * scripts, or HTTP Basic with the token as password so a browser's login prompt works. There is
 * no adapter for plain node:http, so bull-board's Express adapter (an Express app, which is a
 * request listener) gets the requests this route has already authenticated, with the prefix
 * stripped as an Express mount would. bull-board and Express are loaded only when the dashboard
 * is on (they weigh tens of MB of memory).
 *
 * It is read-only: bull-board can add jobs, edit their data and retry them, and a deploy job put
 * there by hand would reach the deploy worker. Its queues are in `readOnlyMode` (the buttons go,
 * its API answers 405) and, in case a bull-board version adds a route that forgets to check,
 * nothing but GET and HEAD reaches it at all.
 */
export async function adminRoutes(o: AdminOptions): Promise<Route[]> {
  if (!o.token) return [];
  const token = o.token;
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_BASE);
  const adapter = (q: Queue) => new BullMQAdapter(q, { readOnlyMode: true, allowRetries: false, description: o.describe?.(q.name) ?? '' });
  createBullBoard({ queues: o.queues.map(adapter), serverAdapter });
  const app = serverAdapter.getRouter() as (req: IncomingMessage, res: ServerResponse) => void;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (!bearerOrBasic(req, token)) return unauthorized(res, 'Basic');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      o.log.warn({ method: req.method, path: req.url?.split('?')[0] }, 'admin change refused: the dashboard is read-only');
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'the queue dashboard is read-only: jobs are added, retried and changed only by gantry' });
    }
    if (refuseBody(req, res, ADMIN_BODY_LIMIT)) return;
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'same-origin');
    const url = req.url ?? '/';
    req.url = url.slice(ADMIN_BASE.length) || '/';
    if (req.url.startsWith('?')) req.url = `/${req.url}`;
    app(req, res);
  };
  return [
    { path: ADMIN_BASE, handler },
    { path: `${ADMIN_BASE}/*`, handler },
  ];
}
