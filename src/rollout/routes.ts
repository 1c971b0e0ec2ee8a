import type { IncomingMessage, ServerResponse } from 'node:http';
import { isGantryError } from '../domain/errors.js';
import { bearer, readLimited, refuseBody, unauthorized } from '../http/auth.js';
import { sendJson, type Route } from '../http/server.js';
import { english, msg, type Message } from '../i18n/voice.js';
import type { Logger } from '../util/logger.js';
import { argoWebhookEvent } from './argocd.js';
import { refuseProtoKey, type RolloutEvent } from './events.js';
import { fluxEventStale, fluxRolloutEvent, parseFluxEvent, verifyFluxSignature } from './flux.js';

export const FLUX_PATH = '/rollout/flux';
export const ARGOCD_PATH = '/rollout/argocd';
/** A Flux event or gantry's Argo CD template is a few kB; a long apply log stays far below this. */
export const ROLLOUT_BODY_LIMIT = 64 * 1024;

export interface RolloutRoutesOptions {
  /** the `token` of the Flux Provider's secret (type generic-hmac); without it no Flux route */
  flux?: { secret: string };
  /** the bearer token Argo CD Notifications sends; without it no Argo CD route */
  argocd?: { token: string };
  /**
   * Takes each authenticated, well-formed event. The answer waits for it: when it fails, the
   * sender gets a 5xx and delivers again (both Flux and Argo CD retry on 5xx).
   */
  onEvent(e: RolloutEvent): Promise<void>;
  log: Logger;
  now?: () => number;
}

/**
 * `POST /rollout/flux` and `POST /rollout/argocd`: who (signature or token), then how much (64 KiB),
 * then what (JSON in the documented shape). A refused request changes nothing.
 *
 * Duplicates are passed on, not filtered here: Flux re-sends "Reconciliation finished" on every
 * interval and retries failed deliveries, Argo CD retries on 5xx, and several `gantry web`
 * processes may each receive a copy, so a per-process memory of bodies would be both incomplete
 * and redundant. Idempotence belongs to the rollout state machine, which never moves a deploy
 * backwards and takes a repeated event as the no-op it is. Replays of old Flux bodies are refused
 * by their signed timestamp (`FLUX_MAX_AGE_MS`).
 */
export function rolloutRoutes(o: RolloutRoutesOptions): Route[] {
  const routes: Route[] = [];
  if (o.flux) {
    const secret = o.flux.secret;
    routes.push({ method: 'POST', path: FLUX_PATH, handler: (req, res) => flux(o, secret, req, res) });
  }
  if (o.argocd) {
    const token = o.argocd.token;
    routes.push({ method: 'POST', path: ARGOCD_PATH, handler: (req, res) => argocd(o, token, req, res) });
  }
  return routes;
}

async function flux(o: RolloutRoutesOptions, secret: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const log = o.log.child({ receiver: 'flux' });
  // the signature covers the body, so the body is read (bounded) before anything is decided
  if (refuseBody(req, res, ROLLOUT_BODY_LIMIT)) return;
  const raw = await readLimited(req, res, ROLLOUT_BODY_LIMIT);
  if (raw === undefined) return;
  const forged = verifyFluxSignature(header(req, 'x-signature'), raw, secret);
  if (forged) return refuse(res, log, 401, forged);
  const now = o.now?.() ?? Date.now();
  await deliver(o, res, log, raw, (json) => {
    const e = parseFluxEvent(json);
    const stale = fluxEventStale(e, now);
    if (stale) return { status: 401, why: stale };
    return fluxRolloutEvent(e);
  });
}

async function argocd(o: RolloutRoutesOptions, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const log = o.log.child({ receiver: 'argocd' });
  // an unauthenticated body is never read
  if (!bearer(req, token)) {
    log.warn('rollout event refused: no or wrong bearer token');
    return unauthorized(res, 'Bearer');
  }
  if (refuseBody(req, res, ROLLOUT_BODY_LIMIT)) return;
  const raw = await readLimited(req, res, ROLLOUT_BODY_LIMIT);
  if (raw === undefined) return;
  const now = new Date(o.now?.() ?? Date.now());
  await deliver(o, res, log, raw, (json) => argoWebhookEvent(json, now));
}

type Outcome = RolloutEvent | undefined | { status: 401; why: Message };

/** JSON, then the receiver's parse, then onEvent; every refusal says what and where. */
async function deliver(
  o: RolloutRoutesOptions,
  res: ServerResponse,
  log: Logger,
  raw: Buffer,
  parse: (json: unknown) => Outcome,
): Promise<void> {
  let outcome: Outcome;
  try {
    outcome = parse(JSON.parse(raw.toString('utf8'), refuseProtoKey));
  } catch (err) {
    if (isGantryError(err)) return refuse(res, log, 400, err.detail, err.code);
    if (err instanceof SyntaxError) {
      return refuse(res, log, 400, msg('rollout.not-json', { what: msg('rollout.what.body') }), 'INPUT_INVALID');
    }
    throw err;
  }
  if (outcome === undefined) {
    log.debug('rollout event ignored: its reason says nothing about a deploy');
    return sendJson(res, 200, { ignored: true });
  }
  if ('why' in outcome) return refuse(res, log, outcome.status, outcome.why);
  await o.onEvent(outcome);
  const { object, revision, phase } = outcome;
  log.info({ kind: object.kind, name: object.name, revision, phase }, 'rollout event accepted');
  sendJson(res, 200, { accepted: true, phase: outcome.phase });
}

function refuse(res: ServerResponse, log: Logger, status: 400 | 401, why: Message, code?: string): void {
  const error = english(why);
  log.warn({ status, error }, 'rollout event refused');
  sendJson(res, status, code ? { error, code } : { error });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
