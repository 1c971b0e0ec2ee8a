import type { Config } from '../config/schema.js';
import type { Bundle, BundleApp, BundleRequest, BundleResult } from '../domain/bundle.js';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import { GantryError, type ErrorCode } from '../domain/errors.js';
import { envOf } from '../domain/policy.js';
import { english, msg, type Message } from '../i18n/voice.js';
import type { BranchLock, HeadHint } from '../store/branch-lock.js';
import type { BundleStore } from '../store/bundles.js';
import type { Logger } from '../util/logger.js';
import { bundleMessage, parseBundleTrailers } from './bundle-trailers.js';
import type { Deployer, Plan } from './deployer.js';
import type { GitRepo } from './git.js';

export interface BundleDeployerDeps {
  config: Config;
  deployer: Deployer;
  repo: GitRepo;
  bundles: BundleStore;
  lock: BranchLock;
  headHint?: HeadHint;
  log: Logger;
}

/** Every app's request and plan; apps that already run their version are left out. */
export interface BundlePlan {
  bundle: Bundle;
  items: { req: DeployRequest; plan: Plan }[];
}

/**
 * Writes a bundle as one commit: each app planned by the Deployer (order, blocks, locks, freeze,
 * permission, manifests: the same rules as a single promotion), all files in one commit with
 * every app's trailers, or nothing when any app is refused. Runs under the deploy branch lock,
 * pushes, and on a rejected push fetches, plans every app again and retries.
 */
export class BundleDeployer {
  constructor(private readonly d: BundleDeployerDeps) {}

  /** The plan against the branch as last fetched, for answers before the job runs (see Deployer.preflight). */
  async preflight(req: BundleRequest, maxAgeMs: number): Promise<BundlePlan> {
    await this.d.repo.fetchIfOlder(maxAgeMs);
    return this.plan(req, this.d.repo.tracking);
  }

  async deploy(req: BundleRequest, opts: { onWait?: (ahead: number) => void | Promise<void>; maybeDone?: boolean } = {}): Promise<BundleResult> {
    if ((envOf(this.d.config, req.env).mode ?? this.d.config.deployRepo.mode) === 'pull-request') {
      throw new GantryError('CONFIG_INVALID', msg('error.bundle.pull-request', { env: req.env }));
    }
    return this.d.lock.with(async () => {
      await this.d.repo.ensure();
      // a bundle is rare and touches many files: plan it against the remote as it is now
      await this.d.repo.refresh();
      if (opts.maybeDone) {
        const done = await this.replayed(req);
        if (done) return done;
      }
      for (let attempt = 0; ; attempt++) {
        const { items } = await this.plan(req);
        const overridden = [...new Set(items.flatMap((i) => i.plan.overridden))];
        const message = bundleMessage({
          req,
          approvedBy: req.approvedBy,
          apps: items.map(({ req: r, plan }) => ({ app: r.app, version: plan.version, ...(plan.previousVersion ? { previousVersion: plan.previousVersion } : {}) })),
          ...(req.force !== undefined && overridden.length ? { override: `${req.force} (passed ${overridden.join('; ')})` } : {}),
        });
        const pushed = await this.d.repo.commitAndPush(items.flatMap((i) => i.plan.files), message);
        if (pushed !== 'rejected') {
          await this.d.headHint?.set(pushed.sha);
          return { requestId: req.id, bundle: req.bundle, env: req.env, action: req.action, commit: pushed.sha, retries: attempt, apps: items.map((i) => appResult(i, pushed.sha, attempt)) };
        }
        if (attempt >= this.d.config.deployRepo.pushRetries) {
          throw new GantryError('DEPLOY_CONFLICT', msg('error.deploy.repo-moving', { pushes: attempt + 1 }));
        }
        this.d.log.info({ request: req.id, attempt }, 'deploy repo moved; planning the bundle again');
        await this.d.repo.refresh();
      }
    }, opts.onWait);
  }

  /**
   * Every app's plan, or a refusal naming every app that cannot go and why (one line per reason,
   * apps sharing a reason on one line). `at`: read at that commit instead of the working clone.
   */
  async plan(req: BundleRequest, at?: string): Promise<BundlePlan> {
    const bundle = await this.d.bundles.get(req.bundle);
    if (!bundle) throw new GantryError('VERSION_UNKNOWN', msg('error.bundle.unknown', { name: req.bundle }));
    const targets = req.action === 'rollback' ? await this.rollbackTargets(bundle, req.env, at) : bundle.apps;
    const items: BundlePlan['items'] = [];
    const refused = new Map<string, { code: ErrorCode; why: Message; apps: string[] }>();
    const refuse = (app: string, e: GantryError) => {
      const key = english(e.detail);
      const seen = refused.get(key) ?? { code: e.code, why: e.detail, apps: [] };
      seen.apps.push(app);
      refused.set(key, seen);
    };
    for (const t of targets) {
      if ('refusal' in t) {
        refuse(t.app, t.refusal);
        continue;
      }
      const r: DeployRequest = { id: req.id, action: req.action, app: t.app, env: req.env, version: t.version, requestedBy: req.requestedBy, approvedBy: req.approvedBy };
      if (req.force !== undefined) r.force = req.force;
      try {
        this.d.deployer.filesOf(t.app, req.env);
        items.push({ req: r, plan: await this.d.deployer.plan(r, at) });
      } catch (e) {
        if (!(e instanceof GantryError)) throw e;
        // an app that already runs its version has nothing to move: the rest of the bundle goes
        if (e.code === 'ALREADY_DEPLOYED' && req.action === 'promote') continue;
        refuse(t.app, e);
      }
    }
    if (refused.size) {
      const reasons = [...refused.values()];
      const lines = reasons.map((r) => msg('error.bundle.reason', { apps: { list: r.apps }, why: r.why }));
      throw new GantryError(reasons[0]!.code, msg('error.bundle.refused', { action: req.action, name: req.bundle, env: req.env, reasons: joined(lines) }));
    }
    if (items.length === 0) throw new GantryError('ALREADY_DEPLOYED', msg('error.bundle.nothing', { name: req.bundle, env: req.env }));
    return { bundle, items };
  }

  /**
   * What rolling a bundle back means: every app its newest promotion in `env` moved, back to the
   * version that ran before, while it still runs the bundle's version (otherwise that app is refused).
   */
  private async rollbackTargets(bundle: Bundle, env: string, at?: string): Promise<(BundleApp | { app: string; refusal: GantryError })[]> {
    const [commit] = await this.d.repo.log({ grep: [`^Gantry-Bundle: ${escape(bundle.name)}$`, `^Gantry-Environment: ${escape(env)}$`, '^Gantry-Action: promote$'], max: 1, ...(at ? { range: at } : {}) });
    const moved = commit ? parseBundleTrailers(commit.message).filter((t) => t.env === env) : [];
    if (moved.length === 0) throw new GantryError('NO_ROLLBACK_TARGET', msg('error.bundle.never-promoted', { name: bundle.name, env }));
    const out: (BundleApp | { app: string; refusal: GantryError })[] = [];
    for (const t of moved) {
      const now = (await this.d.deployer.timeline(t.app, env, 1, at)).current.version;
      if (now !== t.version) {
        out.push({ app: t.app, refusal: new GantryError('NO_ROLLBACK_TARGET', msg('error.bundle.moved', { app: t.app, env, now: now ?? '?', version: t.version })) });
      } else if (!t.previousVersion) {
        out.push({ app: t.app, refusal: new GantryError('NO_ROLLBACK_TARGET', msg('error.bundle.no-previous', { app: t.app, env })) });
      } else out.push({ app: t.app, version: t.previousVersion });
    }
    return out;
  }

  /** The commit an earlier run of this request made, if it pushed before its process died. */
  private async replayed(req: BundleRequest): Promise<BundleResult | undefined> {
    const [done] = await this.d.repo.log({ grep: [`^Gantry-Request: ${escape(req.id)}$`], max: 1 });
    if (!done) return undefined;
    const apps = parseBundleTrailers(done.message).map((t): DeployResult => ({
      requestId: req.id, app: t.app, env: t.env, action: t.action, version: t.version,
      ...(t.previousVersion ? { previousVersion: t.previousVersion } : {}),
      commit: done.sha, changes: [], retries: 0, replayed: true,
    }));
    return { requestId: req.id, bundle: req.bundle, env: req.env, action: req.action, commit: done.sha, retries: 0, replayed: true, apps };
  }
}

function appResult({ req, plan }: BundlePlan['items'][number], commit: string, retries: number): DeployResult {
  const out: DeployResult = { requestId: req.id, app: req.app, env: req.env, action: req.action, version: plan.version, commit, changes: plan.changes, retries };
  if (plan.previousVersion) out.previousVersion = plan.previousVersion;
  if (req.force !== undefined && plan.overridden.length) out.override = { reason: req.force, passed: plan.overridden };
  return out;
}

/** Reasons as one message: each on its own line, said in the reader's language. */
function joined(lines: Message[]): Message {
  return lines.slice(1).reduce((all, line) => msg('error.bundle.and', { first: all, next: line }), lines[0]!);
}

const escape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
