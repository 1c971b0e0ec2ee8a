import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { GantryError } from '../domain/errors.js';
import { msg, type Message } from '../i18n/voice.js';
import {
  boundedMessage,
  gitRevision,
  K8sName,
  K8sNamespace,
  parseOrRefuse,
  rolloutEvent,
  type RolloutEvent,
  type RolloutPhase,
} from './events.js';

/**
 * Flux's notification-controller, Provider `type: generic-hmac`: it POSTs each event as JSON
 * (fluxcd/pkg apis/event/v1beta1 `Event`) with `X-Signature: sha256=<hex HMAC of the body>`, keyed
 * with the `token` of the Provider's secret (notification-controller internal/notifier/forwarder.go).
 */

/**
 * The hash functions accepted in `X-Signature`. Flux signs with sha256 ("currently defaults to
 * sha256, which may change"); its documented verifier also takes sha224, sha384 and sha512. We
 * take sha256 and the longer two, and refuse sha224 and anything else (sha1, md5): weaker than
 * what Flux sends means someone else signed it.
 */
const HASHES = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/**
 * Checks `X-Signature: <hash>=<hex>` over the exact body bytes, in constant time. Returns
 * undefined when it holds, else what is wrong (for the 401 answer and the log).
 */
export function verifyFluxSignature(header: string | undefined, body: Buffer, secret: string): Message | undefined {
  if (!header) return msg('rollout.flux.unsigned');
  const m = /^([a-z0-9]{1,16})=([0-9a-fA-F]{1,256})$/.exec(header.trim());
  const hexLength = m ? HASHES.get(m[1]!) : undefined;
  if (!m || hexLength === undefined) return msg('rollout.flux.hash', { accepted: [...HASHES.keys()].join(', ') });
  const given = Buffer.from(m[2]!.toLowerCase(), 'utf8');
  const expected = Buffer.from(createHmac(m[1]!, secret).update(body).digest('hex'), 'utf8');
  // a wrong length is simply a wrong signature; timingSafeEqual needs equal lengths
  const ok = given.length === hexLength && timingSafeEqual(given, expected);
  return ok ? undefined : msg('rollout.flux.forged');
}

const Text = (max: number) => z.string().max(max);

/** The event as notification-controller forwards it (fields gantry reads; others are ignored). */
export const FluxEventSchema = z.object({
  involvedObject: z.object({
    kind: z.string().regex(/^[A-Z][A-Za-z0-9]{0,62}$/, 'must be a Kubernetes kind'),
    namespace: K8sNamespace.optional(),
    name: K8sName,
    uid: Text(64).optional(),
    apiVersion: Text(253).optional(),
    resourceVersion: Text(64).optional(),
  }),
  severity: z.enum(['trace', 'info', 'error']),
  timestamp: z.iso.datetime({ offset: true }),
  /** Flux's own bound (kubebuilder MaxLength=39000) */
  message: Text(39_000),
  reason: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,127}$/, 'must be a Kubernetes reason (a CamelCase word)'),
  metadata: z
    .record(Text(253), Text(4096))
    .refine((m) => Object.keys(m).length <= 64, 'has more than 64 entries')
    .optional(),
  reportingController: Text(253),
  reportingInstance: Text(253).optional(),
});
export type FluxEvent = z.infer<typeof FluxEventSchema>;

/**
 * What each documented reason means for a deploy. Kustomization events carry the reason of its
 * Ready condition (kustomize-controller `event()`), HelmRelease events helm-controller's
 * (api/v2 condition_types.go); both share fluxcd/pkg/apis/meta's reasons.
 *
 * - `Progressing`, `ProgressingWithRetry`: the new revision is being applied (the change-set
 *   events during an apply, "Running health checks …") → syncing.
 * - `DependencyNotReady` (info): waiting for the Kustomizations it depends on → syncing.
 * - `ReconciliationSucceeded` (Ready=True: applied and, with `spec.wait` or `healthChecks`, every
 *   object healthy), `InstallSucceeded`, `UpgradeSucceeded`, `TestSucceeded` (Helm waits for the
 *   release's objects) → live and healthy.
 * - `HealthCheckFailed`: applied, but the objects did not become healthy → degraded.
 * - `RollbackSucceeded`: helm-controller undid the upgrade after a failure → failed (the revision
 *   asked for is not what runs).
 * - any reason with severity `error` (`ReconciliationFailed`, `BuildFailed`, `ArtifactFailed`,
 *   `PruneFailed`, `InstallFailed`, `UpgradeFailed`, `TestFailed`, `RollbackFailed`, …) → failed.
 * - anything else with severity info (`HealthCheckCanceled`: a newer reconcile follows;
 *   `DriftDetected`, `UninstallSucceeded`, a bare `info`), and every `trace` event, says nothing
 *   about a deploy's progress: ignored, not an error.
 */
const INFO_REASONS = new Map<string, { phase: RolloutPhase; healthy?: boolean }>([
  ['Progressing', { phase: 'syncing' }],
  ['ProgressingWithRetry', { phase: 'syncing' }],
  ['DependencyNotReady', { phase: 'syncing' }],
  ['ReconciliationSucceeded', { phase: 'live', healthy: true }],
  ['InstallSucceeded', { phase: 'live', healthy: true }],
  ['UpgradeSucceeded', { phase: 'live', healthy: true }],
  ['TestSucceeded', { phase: 'live', healthy: true }],
  ['HealthCheckFailed', { phase: 'degraded', healthy: false }],
  ['RollbackSucceeded', { phase: 'failed' }],
]);

/** The kinds whose events follow a deploy; any other (a GitRepository's) is refused, naming them. */
const FLUX_KINDS = ['Kustomization', 'HelmRelease'] as const;

/**
 * Metadata keys holding the revision: notification-controller strips the object's API group
 * (`revision`, `originRevision`) since Flux 2.3 (RFC 0008); older ones forward them as the
 * controllers wrote them. `originRevision` comes first, as in fluxcd/pkg `GetRevision`: for a
 * Kustomization of an OCI artifact it is the git commit the artifact was built from.
 */
const REVISION_KEYS = [
  'originRevision',
  'kustomize.toolkit.fluxcd.io/originRevision',
  'helm.toolkit.fluxcd.io/originRevision',
  'revision',
  'kustomize.toolkit.fluxcd.io/revision',
  'helm.toolkit.fluxcd.io/revision',
];

/** Parses a Flux event body (already verified); a GantryError names the wrong field. */
export function parseFluxEvent(json: unknown): FluxEvent {
  return parseOrRefuse(FluxEventSchema, json, msg('rollout.what.flux'));
}

/**
 * How old a signed event may be. The signature covers the body, and so its `timestamp`: a body
 * captured and sent again later is refused once it is older than this. notification-controller
 * posts at once and retries for seconds, so ten minutes is generous; five minutes ahead allows
 * for clocks that disagree.
 */
export const FLUX_MAX_AGE_MS = 10 * 60_000;
const FLUX_MAX_AHEAD_MS = 5 * 60_000;

/** Undefined when the event is fresh enough, else why not. */
export function fluxEventStale(e: FluxEvent, now: number): Message | undefined {
  const at = Date.parse(e.timestamp);
  if (at < now - FLUX_MAX_AGE_MS || at > now + FLUX_MAX_AHEAD_MS) {
    return msg('rollout.flux.stale', { timestamp: e.timestamp, minutes: FLUX_MAX_AGE_MS / 60_000 });
  }
  return undefined;
}

/** The normalized event of a Flux event; undefined when it says nothing about a deploy. */
export function fluxRolloutEvent(e: FluxEvent): RolloutEvent | undefined {
  const mapped = e.severity === 'trace' ? undefined : phaseOf(e);
  if (!mapped) return undefined;
  const { kind, name, namespace } = e.involvedObject;
  if (!(FLUX_KINDS as readonly string[]).includes(kind)) {
    throw new GantryError('INPUT_INVALID', msg('rollout.flux.kind', { kind, kinds: FLUX_KINDS.join(', ') }));
  }
  return rolloutEvent(
    {
      source: 'flux',
      object: { kind, namespace, name },
      revision: revisionOf(e.metadata),
      phase: mapped.phase,
      healthy: mapped.healthy,
      message: boundedMessage(e.message),
      at: new Date(e.timestamp).toISOString(),
    },
    msg('rollout.what.flux'),
  );
}

function phaseOf(e: FluxEvent): { phase: RolloutPhase; healthy?: boolean } | undefined {
  const known = INFO_REASONS.get(e.reason);
  if (e.severity === 'error') return known?.phase === 'degraded' ? known : { phase: 'failed' };
  return known;
}

function revisionOf(metadata: Record<string, string> | undefined): string | undefined {
  if (!metadata) return undefined;
  for (const key of REVISION_KEYS) {
    if (Object.hasOwn(metadata, key)) {
      const sha = gitRevision(metadata[key]);
      if (sha) return sha;
    }
  }
  return undefined;
}
