import { z } from 'zod';
import { GantryError } from '../domain/errors.js';
import { msg, type Message } from '../i18n/voice.js';

/**
 * One event of a rollout, whichever tool reported it (Flux's notification-controller, Argo CD
 * Notifications, or the Argo CD poller). The receivers turn what those tools send into this, and
 * it is all the state machine after them sees. It comes from outside, so it is parsed, bounded,
 * and refused with what and where when it does not fit.
 */

export const ROLLOUT_PHASES = ['syncing', 'live', 'degraded', 'failed'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** The objects that show an environment: Flux's two appliers and Argo CD's Application. */
export const ROLLOUT_KINDS = ['Kustomization', 'HelmRelease', 'Application'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

/** The longest message kept: a Flux apply log can be 39,000 characters, a chat line cannot. */
export const MESSAGE_MAX = 2000;

/** A Kubernetes object name (DNS subdomain, at most 253). */
export const K8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name');
/** A Kubernetes namespace (DNS label, at most 63). */
export const K8sNamespace = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace');
/** A full git commit SHA-1, lower case. */
export const GitSha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full git commit SHA (40 lower-case hex digits)');

export const RolloutEventSchema = z
  .object({
    source: z.enum(['flux', 'argocd']),
    object: z
      .object({
        kind: z.enum(ROLLOUT_KINDS, { error: (i) => `${String(i.input)} is not a kind gantry follows (${ROLLOUT_KINDS.join(', ')})` }),
        namespace: K8sNamespace.optional(),
        name: K8sName,
      })
      .strict(),
    revision: GitSha.optional(),
    phase: z.enum(ROLLOUT_PHASES),
    healthy: z.boolean().optional(),
    message: z.string().max(MESSAGE_MAX),
    at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type RolloutEvent = z.infer<typeof RolloutEventSchema>;

/** Checks an event built from outside data; a GantryError says which field is wrong and how. */
export function rolloutEvent(candidate: unknown, what: Message): RolloutEvent {
  return parseOrRefuse(RolloutEventSchema, candidate, what);
}

/**
 * Parses `value` with `schema`, or throws INPUT_INVALID naming the first wrong field
 * (`involvedObject.kind: …`) of `what` (`the Flux event`).
 */
export function parseOrRefuse<T>(schema: z.ZodType<T>, value: unknown, what: Message): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.map(String).join('.') || '(the whole body)';
  throw new GantryError('INPUT_INVALID', msg('rollout.field', { what, where, problem: issue.message }));
}

/**
 * The git commit of a revision string, or undefined when it names none: Flux writes
 * `main@sha1:<sha>` (v2), `main/<sha>` (before v2), `sha1:<sha>` for a detached commit,
 * Argo CD the bare SHA. Other revisions (a Helm chart version `1.2.3`, an OCI digest
 * `latest@sha256:…`) name no deploy-repo commit, so they give undefined, never a guess.
 */
export function gitRevision(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const m = /^(?:(?:.{1,255}@)?sha1:|.{1,255}\/)?([0-9a-f]{40})$/.exec(raw);
  return m?.[1];
}

/** Message text cut to MESSAGE_MAX characters, so a long apply log never refuses an event. */
export function boundedMessage(text: string): string {
  const oneLine = text.trim();
  return oneLine.length <= MESSAGE_MAX ? oneLine : `${oneLine.slice(0, MESSAGE_MAX - 1)}…`;
}

/**
 * A JSON.parse reviver refusing a `__proto__` key: zod drops it silently, and no field of these
 * bodies has that name, so its presence means a hand-crafted body.
 */
export function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new GantryError('INPUT_INVALID', msg('rollout.proto-key'));
  return value;
}
