import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from 'bullmq';
import type { Logger } from '../util/logger.js';
import { bearerOrBasic, refuseBody, unauthorized } from './auth.js';
import { sendJson, type Route } from './server.js';

export const ADMIN_BASE = '/admin/queues';

/** bull-board's own API takes small JSON bodies (job data edits at most). */
const ADMIN_BODY_LIMIT = 64 * 1024;

export interface AdminOptions {
  /** GANTRY_ADMIN_TOKEN; without it nothing is mounted */
  token: string | undefined;
  queues: Queue[];
  /** show the queues without the buttons that retry, clean, pause or remove jobs */
  readOnly?: boolean;
  log: Logger;
}

/**
 * The queue dashboard (bull-board) under /admin/queues, behind GANTRY_ADMIN_TOKEN: Bearer for
 * scripts, or HTTP Basic with the token as password so a browser's login prompt works. There is
 * no adapter for plain node:http, so bull-board's Express adapter (an Express app, which is a
 * request listener) gets the requests this route has already authenticated, with the prefix
 * stripped as an Express mount would. bull-board and Express are loaded only when the dashboard
 * is on (they weigh tens of MB of memory).
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
  createBullBoard({ queues: o.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: o.readOnly ?? false })), serverAdapter });
  const app = serverAdapter.getRouter() as (req: IncomingMessage, res: ServerResponse) => void;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (!bearerOrBasic(req, token)) return unauthorized(res, 'Basic');
    if (!sameOrigin(req)) {
      o.log.warn({ method: req.method, origin: req.headers.origin }, 'cross-site admin request refused');
      return sendJson(res, 403, { error: 'cross-site requests to the admin pages are refused' });
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

/**
 * A browser sends Basic credentials on its own, even on requests another site makes it send;
 * changes (anything but GET/HEAD) must therefore come from the dashboard's own pages.
 */
function sameOrigin(req: IncomingMessage): boolean {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return true;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser, or one that sends neither: a script with the token
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
