import type { DeployRequest } from '../domain/deploy.js';
import { isGantryError } from '../domain/errors.js';
import { globMatch } from '../domain/glob.js';
import { gateRequest } from '../domain/gate-request.js';
import type { Core } from './context.js';

/** What triggered a build: a pushed tag or branch. */
export interface Trigger {
  kind: 'tag' | 'branch';
  name: string;
}

/** Environments whose autoDeploy rules (central config, plus the repo's own, already validated) match. */
export function autoDeployTargets(core: Core, app: string, trigger: Trigger, repoRules: Record<string, { branches?: string[]; tags?: string[] }> = {}): string[] {
  const appCfg = core.config.apps[app];
  if (!appCfg) return [];
  const out: string[] = [];
  for (const [env, envCfg] of Object.entries(core.config.environments)) {
    if (!appCfg.deploy[env]) continue;
    const rules = [envCfg.autoDeploy, repoRules[env]].filter((r) => r !== undefined);
    const patterns = rules.flatMap((r) => (trigger.kind === 'tag' ? (r.tags ?? []) : (r.branches ?? [])));
    if (patterns.some((p) => globMatch(p, trigger.name))) out.push(env);
  }
  return out;
}

export interface AutoDeployOutcome {
  env: string;
  queued: boolean;
  /** why not, when not queued */
  reason?: string;
}

/**
 * Queues the automatic deploys a build triggers. They go through the same deploy path and policy
 * as a chat command (locks, freezes, blocks now; order and rollback holds when the job runs), as
 * `github:gantry` with no approvals. The request id is deterministic, so a redelivered build
 * queues nothing twice.
 */
export async function autoDeploy(core: Core, app: string, version: string, trigger: Trigger, repoRules?: Record<string, { branches?: string[]; tags?: string[] }>): Promise<AutoDeployOutcome[]> {
  const outcomes: AutoDeployOutcome[] = [];
  for (const env of autoDeployTargets(core, app, trigger, repoRules)) {
    const req: DeployRequest = {
      id: `auto-${app}-${env}-${version}`,
      action: 'auto',
      app,
      env,
      version,
      requestedBy: { id: 'github:gantry', name: `auto-deploy of ${trigger.kind} ${trigger.name}` },
      approvedBy: [],
    };
    try {
      await gateRequest(core.config, req, { at: core.now(), locks: core.envLocks, blocked: await core.releases.blocked(app, version), version });
      await core.queue.enqueue(req);
      outcomes.push({ env, queued: true });
    } catch (e) {
      if (!isGantryError(e)) throw e;
      outcomes.push({ env, queued: false, reason: e.message });
    }
  }
  return outcomes;
}
