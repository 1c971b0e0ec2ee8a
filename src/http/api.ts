import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { registerRelease } from '../commands/register-release.js';
import { releaseFromInput } from '../commands/register-release.js';
import type { Release } from '../domain/release.js';
import { isGantryError } from '../domain/errors.js';
import type { QueryDeps } from '../queries/deps.js';
import { statusOf, type AppRunning } from '../queries/status.js';
import type { Logger } from '../util/logger.js';
import { bearer, refuseBody, unauthorized } from './auth.js';
import { readJsonBody } from './api-body.js';
import { sendJson, type Route } from './server.js';
import type { BundleService } from '../commands/register-bundle.js';
import { bundleRoutes } from './api-bundles.js';

export { API_BODY_LIMIT } from './api-body.js';

const Name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes, starting with a letter');

/** `POST /api/releases`: the JSON twin of `gantry release add`. */
export const ReleaseBodySchema = z
  .object({
    app: Name,
    version: z.string().min(1).max(128),
    /** image name → `repository:tag[@sha256:…]` */
    images: z.record(Name, z.string().min(1).max(512)).refine((v) => Object.keys(v).length > 0, 'needs at least one image'),
    commit: z.string().regex(/^[0-9a-f]{7,40}$/, 'must be a git SHA (7 to 40 lower-case hex digits)').optional(),
    /** the CI build that produced it; shown in chat, so only http(s) */
    url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  })
  .strict();
export type ReleaseBody = z.infer<typeof ReleaseBodySchema>;

export interface ApiOptions {
  /** GANTRY_API_TOKEN; without it the API is not mounted */
  token: string | undefined;
  /** the read models `GET /api/status` answers from */
  queries: QueryDeps;
  /** `POST /api/releases`: registers a release (src/commands/register-release.ts) */
  register: (release: Release) => ReturnType<typeof registerRelease>;
  /** `POST /api/bundles`, `GET /api/bundles` (src/http/api-bundles.ts); absent: not mounted */
  bundles?: BundleService;
  log: Logger;
}

/** `POST /api/releases`, `GET /api/status` and the bundles, behind `Authorization: Bearer $GANTRY_API_TOKEN`. */
export function apiRoutes(o: ApiOptions): Route[] {
  if (!o.token) return [];
  const token = o.token;
  return [
    { method: 'POST', path: '/api/releases', handler: (req, res) => postRelease(o, token, req, res) },
    { method: 'GET', path: '/api/status', handler: (req, res) => getStatus(o, token, req, res) },
    ...(o.bundles ? bundleRoutes(o.bundles, token, o.log) : []),
  ];
}

async function postRelease(o: ApiOptions, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(token, req, res, 'release', ReleaseBodySchema);
  if (body === undefined) return;
  let release;
  try {
    release = releaseFromInput(o.queries.config, body, 'api', o.queries.now(), (name) => `images.${name}`);
  } catch (e) {
    if (isGantryError(e)) return sendJson(res, 400, { error: e.message, code: e.code });
    throw e;
  }
  const added = await o.register(release);
  if (!added.created) {
    return sendJson(res, 409, { error: `${release.app} ${release.version} is already registered (built ${added.existing.builtAt}); a release never changes`, release: added.existing });
  }
  o.log.info({ app: release.app, version: release.version }, 'release registered through the api');
  sendJson(res, 201, release);
}

/** What runs where, per environment and app: the /status read model (src/queries/status.ts) as JSON. */
async function getStatus(o: ApiOptions, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!bearer(req, token)) return unauthorized(res, 'Bearer');
  if (refuseBody(req, res, 0)) return;
  const { config } = o.queries;
  const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const apps = Object.keys(config.apps).filter((a) => !q.get('app') || q.get('app') === a);
  const envs = Object.keys(config.environments).filter((e) => !q.get('env') || q.get('env') === e);
  if (apps.length === 0 || envs.length === 0) return sendJson(res, 404, { error: 'no such app or environment' });
  const environments: Record<string, unknown> = {};
  for (const e of await statusOf(o.queries, apps, envs)) {
    const out: Record<string, unknown> = {};
    for (const a of e.apps) out[a.app] = 'error' in a ? { error: a.error } : appJson(a);
    environments[e.env] = { lock: e.lock ?? null, freeze: e.freeze ?? null, apps: out };
  }
  sendJson(res, 200, { at: o.queries.now().toISOString(), environments });
}

function appJson(a: AppRunning): unknown {
  const last = a.last;
  return {
    version: a.version ?? null,
    images: a.images,
    lastDeployment: last
      ? {
          commit: last.sha,
          date: last.date,
          action: last.action,
          version: last.version ?? null,
          previousVersion: last.from ?? null,
          by: last.by,
          requestedBy: last.identity ? { id: last.identity } : null,
          approvedBy: last.approvedBy,
        }
      : null,
    onHold: a.held,
  };
}
