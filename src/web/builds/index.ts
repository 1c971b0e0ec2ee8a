import type { IncomingMessage, ServerResponse } from 'node:http';
import { BuildLogStore, buildLogSettings, FINAL_STATES, isBuildId, isStreamId } from '../../images/build-log.js';
import type { Route } from '../../http/server.js';
import type { WebDeps } from '../deps.js';
import { sendHtml } from '../respond.js';
import type { WebAccess } from '../viewer.js';
import { LiveLogs, type LiveLogOptions } from './live.js';
import { buildListPage, buildNotFoundPage, buildPage } from './page.js';

/**
 * `GET /builds` (recent builds), `GET /builds/<id>` (one build's page: its whole log, kept for
 * `builds.logRetention`) and `GET /builds/<id>/events` (the log as server-sent events, live while
 * the build runs). The id is checked before anything touches Redis; every page asks
 * `access.reader` first, so a log is never shown to someone who may not read.
 */
export function buildRoutes(deps: WebDeps, access: WebAccess, o: Partial<LiveLogOptions> = {}): Route[] {
  const config = deps.services.config.builds;
  const store = new BuildLogStore(deps.redis, deps.keys, buildLogSettings(config), deps.log);
  const live = new LiveLogs(store, deps.redis, { log: deps.log, ...o });
  const retention = config.logRetention;

  const notFound = async (req: IncomingMessage, res: ServerResponse) => {
    const viewer = await access.reader(req, res);
    if (!viewer) return;
    sendHtml(res, 404, buildNotFoundPage(viewer, retention));
  };

  const list: Route = {
    method: 'GET',
    path: '/builds',
    handler: async (req, res) => {
      const viewer = await access.reader(req, res);
      if (!viewer) return;
      sendHtml(res, 200, buildListPage(viewer, await store.recent(50), retention));
    },
  };

  const one: Route = {
    method: 'GET',
    path: '/builds/*',
    handler: async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://gantry.invalid');
      const m = /^\/builds\/([^/]+)(\/events)?$/.exec(url.pathname);
      const id = m?.[1] ?? '';
      if (!m || !isBuildId(id)) return notFound(req, res);
      if (m[2]) return events(req, res, id, url);
      const viewer = await access.reader(req, res);
      if (!viewer) return;
      const meta = await store.meta(id);
      if (!meta) return sendHtml(res, 404, buildNotFoundPage(viewer, retention));
      sendHtml(res, 200, buildPage(viewer, id, meta, await store.entries(id), { maxLines: store.settings.maxLines }));
    },
  };

  async function events(req: IncomingMessage, res: ServerResponse, id: string, url: URL): Promise<void> {
    const viewer = await access.reader(req, res);
    if (!viewer) return;
    // EventSource sends Last-Event-ID when it reconnects; the page's first connection says ?after=
    const header = req.headers['last-event-id'];
    const after = (typeof header === 'string' && header ? header : undefined) ?? url.searchParams.get('after') ?? undefined;
    if (after !== undefined && after !== '' && !isStreamId(after)) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Last-Event-ID / after must be a stream id such as 1700000000000-0');
      return;
    }
    const meta = await store.meta(id);
    if (!meta) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('no such build');
      return;
    }
    await live.serve(id, !FINAL_STATES.has(meta.state ?? 'running'), after || undefined, req, res);
  }

  return [list, one];
}
