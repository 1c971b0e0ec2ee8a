import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { describeApps, isBundleTaken, type BundleService } from '../commands/register-bundle.js';
import { isGantryError } from '../domain/errors.js';
import type { Logger } from '../util/logger.js';
import { readJsonBody } from './api-body.js';
import { bearer, refuseBody, unauthorized } from './auth.js';
import { sendJson, type Route } from './server.js';

/**
 * `POST /api/bundles`: the JSON twin of `gantry bundle add`. The apps are a list, not an object:
 * JSON keeps the last of two equal keys without a word, and an app named twice must be refused.
 */
export const BundleBodySchema = z
  .object({
    name: z.string().min(1).max(200),
    apps: z
      .array(z.object({ app: z.string().min(1).max(63), version: z.string().min(1).max(128) }).strict())
      .min(1, 'needs at least one app')
      .max(100),
  })
  .strict();

/** The bundle routes of the API (src/http/api.ts), behind its bearer token. */
export function bundleRoutes(bundles: BundleService, token: string, log: Logger): Route[] {
  return [
    { method: 'POST', path: '/api/bundles', handler: (req, res) => postBundle(bundles, token, log, req, res) },
    { method: 'GET', path: '/api/bundles', handler: (req, res) => getBundles(bundles, token, req, res) },
  ];
}

/** 201 registered; 200 the same contents again (a retried CI step); 409 the name holds other versions; 400 bad input. */
async function postBundle(bundles: BundleService, token: string, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(token, req, res, 'bundle', BundleBodySchema);
  if (body === undefined) return;
  let added;
  try {
    added = await bundles.add(body.name, body.apps, 'api');
  } catch (e) {
    if (!isGantryError(e)) throw e;
    return sendJson(res, isBundleTaken(e) ? 409 : 400, { error: e.message, code: e.code });
  }
  if (added.created) log.info({ bundle: added.bundle.name, apps: describeApps(added.bundle.apps) }, 'bundle registered through the api');
  sendJson(res, added.created ? 201 : 200, added.bundle);
}

/** Registered bundles, newest first (`?limit=n`, 1 to 1000, default 100). */
async function getBundles(bundles: BundleService, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!bearer(req, token)) return unauthorized(res, 'Bearer');
  if (refuseBody(req, res, 0)) return;
  const given = new URL(req.url ?? '/', 'http://localhost').searchParams.get('limit');
  if (given !== null && !/^[1-9]\d{0,3}$/.test(given)) return sendJson(res, 400, { error: 'limit: must be a whole number from 1 to 1000', code: 'INPUT_INVALID' });
  const limit = given === null ? 100 : Math.min(Number(given), 1000);
  sendJson(res, 200, { bundles: await bundles.list(limit) });
}
