import { z } from 'zod';
import { record } from '../domain/record.js';
import { own } from '../domain/own.js';
import { parseDuration } from '../domain/duration.js';
import { DurationSchema, NameSchema } from '../config/primitives.js';

/**
 * Which Argo CD application or Flux object shows an environment (or one app in it), and how long
 * a rollout may take. Fragments for src/config/schema.ts: `environments.<env>.rollout` and
 * `apps.<app>.rollout.<env>` (which overrides the environment's mapping for that app).
 */

/** How long a rollout may take when neither the app nor the environment says. */
export const DEFAULT_ROLLOUT_TIMEOUT = '10m';

/** A Kubernetes object name (DNS subdomain, RFC 1123) and a namespace (DNS label). */
const ObjectNameSchema = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
  message: 'must be a Kubernetes object name (lower-case letters, digits, - and .)',
});
const NamespaceSchema = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
  message: 'must be a Kubernetes namespace (lower-case letters, digits and -)',
});

export const ArgoCdWatchSchema = z
  .object({
    application: ObjectNameSchema.describe('the name of the Argo CD Application, e.g. web-prod'),
    namespace: NamespaceSchema.optional().describe("the Application's namespace, for Argo CD's apps-in-any-namespace (default: any namespace)"),
  })
  .strict();

export const FluxWatchSchema = z
  .object({
    kind: z.enum(['Kustomization', 'HelmRelease']).describe('the kind of the Flux object: Kustomization or HelmRelease'),
    namespace: NamespaceSchema.describe("the Flux object's namespace, e.g. flux-system"),
    name: ObjectNameSchema.describe("the Flux object's name, e.g. apps-prod"),
  })
  .strict();

export const RolloutWatchSchema = z
  .object({
    argocd: ArgoCdWatchSchema.optional().describe('the Argo CD Application that shows it (exactly one of argocd and flux)'),
    flux: FluxWatchSchema.optional().describe('the Flux Kustomization or HelmRelease that shows it (exactly one of argocd and flux)'),
    timeout: DurationSchema.optional().describe(`a deploy that is not live by then has timed out (default: the environment's, else ${DEFAULT_ROLLOUT_TIMEOUT})`),
  })
  .strict()
  .describe('what shows the rollout, so gantry follows each deploy after its commit, e.g. { argocd: { application: web-prod } }')
  .superRefine((w, ctx) => {
    if ((w.argocd === undefined) === (w.flux === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of argocd or flux' });
    }
  });
export type RolloutWatch = z.infer<typeof RolloutWatchSchema>;

/** `environments.<env>.rollout` (spread into EnvironmentSchema's shape). */
export const environmentRolloutFields = {
  rollout: RolloutWatchSchema.optional().describe(
    `which Argo CD Application or Flux object shows this environment, so gantry follows each deploy after its commit, and how long a rollout may take (default ${DEFAULT_ROLLOUT_TIMEOUT}); apps.<app>.rollout.<env> overrides it`,
  ),
};
/** `apps.<app>.rollout.<env>` (spread into AppSchema's shape). */
export const appRolloutFields = {
  rollout: record(NameSchema, RolloutWatchSchema)
    .optional()
    .describe("per environment, the Argo CD Application or Flux object that shows this app there (overrides the environment's rollout)"),
};

/** The part of the config these functions read, so they work before the fragments are plugged in. */
export interface RolloutConfig {
  environments: Readonly<Record<string, { rollout?: RolloutWatch | undefined }>>;
  apps: Readonly<Record<string, { rollout?: Readonly<Record<string, RolloutWatch>> | undefined }>>;
}

/** Cross-checks for ConfigSchema's superRefine: an app's rollout names only defined environments. */
export function rolloutIssues(cfg: RolloutConfig): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [appName, app] of Object.entries(cfg.apps)) {
    for (const env of Object.keys(app.rollout ?? {})) {
      if (!Object.hasOwn(cfg.environments, env)) {
        issues.push({ path: ['apps', appName, 'rollout', env], message: `environment "${env}" is not defined` });
      }
    }
  }
  return issues;
}

/** What shows one app's rollout in one environment. */
export type RolloutTarget = (
  | { source: 'argocd'; argocd: z.infer<typeof ArgoCdWatchSchema> }
  | { source: 'flux'; flux: z.infer<typeof FluxWatchSchema> }
) & { timeoutMs: number };

/**
 * The mapping for `app` in `env`: the app's own when it has one, else the environment's; the
 * timeout falls back the same way, then to DEFAULT_ROLLOUT_TIMEOUT. Undefined: nothing shows it,
 * the deploy is not followed. Names from outside never reach Object.prototype.
 */
export function watchFor(cfg: RolloutConfig, app: string, env: string): RolloutTarget | undefined {
  const appConfig = own(cfg.apps, app);
  if (!appConfig) return undefined; // an app the config does not know is followed nowhere
  const envWatch = own(cfg.environments, env)?.rollout;
  const appRollout = appConfig.rollout;
  const appWatch = appRollout ? own(appRollout, env) : undefined;
  const w = appWatch ?? envWatch;
  if (!w) return undefined;
  const timeoutMs = parseDuration(appWatch?.timeout ?? envWatch?.timeout ?? DEFAULT_ROLLOUT_TIMEOUT);
  if (w.argocd) return { source: 'argocd', argocd: w.argocd, timeoutMs };
  if (w.flux) return { source: 'flux', flux: w.flux, timeoutMs };
  return undefined;
}

/** The object an event is about, as the normalized event (src/rollout/events.ts) names it. */
export interface WatchedObject {
  source: 'flux' | 'argocd';
  object: { kind: string; namespace?: string | undefined; name: string };
}

/** Whether an event about `e.object` speaks for `target`. */
export function watches(target: RolloutTarget, e: WatchedObject): boolean {
  if (target.source !== e.source) return false;
  if (target.source === 'argocd') {
    const a = target.argocd;
    // Argo CD Notifications speak only of Applications, so the kind adds nothing here
    return e.object.name === a.application && (a.namespace === undefined || e.object.namespace === a.namespace);
  }
  const f = target.flux;
  return e.object.kind === f.kind && e.object.namespace === f.namespace && e.object.name === f.name;
}

/** Every (app, environment) whose mapping an event about `e.object` speaks for. */
export function watchersOf(cfg: RolloutConfig, e: WatchedObject): { app: string; env: string }[] {
  const found: { app: string; env: string }[] = [];
  for (const env of Object.keys(cfg.environments)) {
    for (const app of Object.keys(cfg.apps)) {
      const t = watchFor(cfg, app, env);
      if (t && watches(t, e)) found.push({ app, env });
    }
  }
  return found;
}
