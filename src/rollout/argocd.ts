import { z } from 'zod';
import { GantryError } from '../domain/errors.js';
import { msg, type Message } from '../i18n/voice.js';
import {
  boundedMessage,
  gitRevision,
  K8sName,
  K8sNamespace,
  parseOrRefuse,
  refuseProtoKey,
  rolloutEvent,
  type RolloutEvent,
  type RolloutPhase,
} from './events.js';

/**
 * Argo CD, two ways: the webhook that Argo CD Notifications posts with gantry's template
 * (deploy/argocd/notifications-cm.yaml), and a poller of Argo CD's REST API for setups that
 * cannot send webhooks. Both read the same few fields of an Application's status and map them
 * with `argoPhase`, so a webhook and a poll of the same state say the same thing.
 */

const SYNC = ['Synced', 'OutOfSync', 'Unknown'] as const;
const HEALTH = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'] as const;
const OPERATION = ['Running', 'Terminating', 'Failed', 'Error', 'Succeeded'] as const;

/** A revision as Argo CD reports it: a git SHA, or a Helm chart version (which names no commit). */
const Revision = z.string().max(255);
const Text = z.string().max(8192);
const Time = z.iso.datetime({ offset: true });

/** The status fields both ways read. */
export interface ArgoStatus {
  name: string;
  namespace?: string | undefined;
  syncStatus: (typeof SYNC)[number];
  /** `status.sync.revision`: what Argo CD compared the live state with */
  revision?: string | null | undefined;
  healthStatus: (typeof HEALTH)[number];
  healthMessage?: string | null | undefined;
  operationPhase?: (typeof OPERATION)[number] | null | undefined;
  operationMessage?: string | null | undefined;
  /** `status.operationState.syncResult.revision`: what the last sync applied (or tried to) */
  syncRevision?: string | null | undefined;
  reconciledAt?: string | null | undefined;
}

/**
 * The body of gantry's `template.gantry` as Argo CD renders it (text/template: `toJson` gives
 * `null` for what the Application does not have yet, e.g. an operation before the first sync).
 */
export const ArgoWebhookSchema = z.object({
  app: K8sName,
  namespace: K8sNamespace.nullish(),
  revision: Revision.nullish(),
  syncStatus: z.enum(SYNC),
  healthStatus: z.enum(HEALTH),
  healthMessage: Text.nullish(),
  operationPhase: z.enum(OPERATION).nullish(),
  operationMessage: Text.nullish(),
  syncRevision: Revision.nullish(),
  reconciledAt: Time.nullish(),
});

/** `GET /api/v1/applications/{name}`: the Application, of which these fields are read. */
export const ArgoApplicationSchema = z.object({
  metadata: z.object({ name: K8sName, namespace: K8sNamespace.optional() }),
  status: z.object({
    sync: z.object({ status: z.enum(SYNC), revision: Revision.optional() }),
    health: z.object({ status: z.enum(HEALTH), message: Text.optional() }),
    operationState: z
      .object({
        phase: z.enum(OPERATION),
        message: Text.optional(),
        syncResult: z.object({ revision: Revision.optional() }).optional(),
      })
      .optional(),
    reconciledAt: Time.optional(),
  }),
});

/** Normalizes the webhook body of gantry's template. */
export function argoWebhookEvent(json: unknown, now: Date): RolloutEvent {
  const b = parseOrRefuse(ArgoWebhookSchema, json, msg('rollout.what.argocd'));
  return argoRolloutEvent({ ...b, name: b.app, namespace: b.namespace ?? undefined }, now, msg('rollout.what.argocd'));
}

/**
 * What an Application's state means for a deploy, most serious first:
 * - the last sync operation `Failed` or `Error` → failed (its message says why);
 * - health `Degraded` → degraded;
 * - an operation `Running` or `Terminating` → syncing;
 * - `Synced` and `Healthy` → live and healthy; `Synced` and `Suspended` (a paused rollout, a
 *   suspended CronJob) → live, health not claimed either way;
 * - anything else (`OutOfSync`: the new commit is not applied yet; `Progressing`: applied, pods
 *   still coming up; `Missing`, `Unknown`) → syncing, until a later state or the timeout decides.
 */
export function argoPhase(s: ArgoStatus): { phase: RolloutPhase; healthy?: boolean; message: string } {
  const op = s.operationPhase;
  const summary = `sync ${s.syncStatus}, health ${s.healthStatus}${op ? `, operation ${op}` : ''}`;
  const opMessage = s.operationMessage || summary;
  const healthMessage = s.healthMessage || summary;
  if (op === 'Failed' || op === 'Error') return { phase: 'failed', message: opMessage };
  if (s.healthStatus === 'Degraded') return { phase: 'degraded', healthy: false, message: healthMessage };
  if (op === 'Running' || op === 'Terminating') return { phase: 'syncing', message: opMessage };
  if (s.syncStatus === 'Synced' && s.healthStatus === 'Healthy') return { phase: 'live', healthy: true, message: opMessage };
  if (s.syncStatus === 'Synced' && s.healthStatus === 'Suspended') return { phase: 'live', message: healthMessage };
  return { phase: 'syncing', message: healthMessage };
}

/**
 * The normalized event. Its revision: while a sync runs or after it failed, the one the operation
 * applied (`syncResult.revision`); otherwise the one Argo CD compared the live state with
 * (`sync.revision`). Its time: when Argo CD last reconciled, else when gantry heard of it.
 */
export function argoRolloutEvent(s: ArgoStatus, now: Date, what: Message): RolloutEvent {
  const p = argoPhase(s);
  const operating = p.phase === 'failed' || s.operationPhase === 'Running' || s.operationPhase === 'Terminating';
  const revision = operating ? (gitRevision(s.syncRevision) ?? gitRevision(s.revision)) : gitRevision(s.revision);
  return rolloutEvent(
    {
      source: 'argocd',
      object: { kind: 'Application', namespace: s.namespace, name: s.name },
      revision,
      phase: p.phase,
      healthy: p.healthy,
      message: boundedMessage(p.message),
      at: s.reconciledAt ? new Date(s.reconciledAt).toISOString() : now.toISOString(),
    },
    what,
  );
}

/** An Application object is tens of kB (its resources and history); this much is never one. */
const APPLICATION_LIMIT = 8 * 1024 * 1024;

/**
 * Reads an Application's state from Argo CD's REST API (`GET /api/v1/applications/{name}`,
 * bearer token of an account with `applications, get`), for setups where Argo CD cannot reach
 * gantry. Each call is one look; the caller decides how often.
 */
export class ArgoCdPoller {
  constructor(
    private readonly o: { server: string; token: string; timeoutMs?: number; now?: () => Date },
  ) {}

  async application(name: string, appNamespace?: string): Promise<RolloutEvent> {
    parseOrRefuse(K8sName, name, msg('rollout.what.argocd-name'));
    // kept as given: an Argo CD served under a path (`--rootpath /argocd`) has its API below it
    const url = new URL(`${this.o.server.replace(/\/+$/, '')}/api/v1/applications/${encodeURIComponent(name)}`);
    if (appNamespace) {
      url.searchParams.set('appNamespace', parseOrRefuse(K8sNamespace, appNamespace, msg('rollout.what.argocd-namespace')));
    }
    const where = { server: url.origin, name };
    const answer = msg('rollout.what.argocd-answer', { name });
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${this.o.token}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new GantryError('DEPENDENCY_MISSING', msg('rollout.argocd.unreachable', { ...where, reason }), { cause: err });
    }
    const text = await boundedText(res, APPLICATION_LIMIT);
    if (text === undefined) {
      throw new GantryError('INPUT_INVALID', msg('rollout.argocd.too-large', { ...where, limit: APPLICATION_LIMIT }));
    }
    if (!res.ok) {
      const code = res.status === 404 ? 'INPUT_INVALID' : 'DEPENDENCY_MISSING';
      throw new GantryError(code, msg('rollout.argocd.http', { ...where, status: res.status }));
    }
    let json: unknown;
    try {
      json = JSON.parse(text, refuseProtoKey);
    } catch (err) {
      if (err instanceof GantryError) throw err;
      throw new GantryError('INPUT_INVALID', msg('rollout.not-json', { what: answer }));
    }
    const app = parseOrRefuse(ArgoApplicationSchema, json, answer);
    const st = app.status;
    return argoRolloutEvent(
      {
        name: app.metadata.name,
        namespace: app.metadata.namespace,
        syncStatus: st.sync.status,
        revision: st.sync.revision,
        healthStatus: st.health.status,
        healthMessage: st.health.message,
        operationPhase: st.operationState?.phase,
        operationMessage: st.operationState?.message,
        syncRevision: st.operationState?.syncResult?.revision,
        reconciledAt: st.reconciledAt,
      },
      this.o.now?.() ?? new Date(),
      answer,
    );
  }
}

/** The body as text, or undefined (and the rest left unread) once it passes `limit` bytes. */
async function boundedText(res: Response, limit: number): Promise<string | undefined> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
