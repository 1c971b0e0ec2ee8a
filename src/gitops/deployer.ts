import type { Config, DeployFile } from '../config/schema.js';
import type { DeployChange, DeployRequest, DeployResult } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import { envOf, gate } from '../domain/policy.js';
import type { BranchLock, HeadHint } from '../queue/branch-lock.js';
import type { EnvLockStore } from '../store/env-locks.js';
import type { ReleaseStore } from '../store/releases.js';
import type { Logger } from '../util/logger.js';
import type { GitRepo } from './git.js';
import type { History } from './history.js';
import { deployMessage } from './trailers.js';
import type { PullRequestOpener } from './pull-request.js';
import type { FoundImage, ImageSpec, ImageTarget } from './updaters/types.js';
import { getUpdater } from './updaters/index.js';

export interface DeployerDeps {
  config: Config;
  repo: GitRepo;
  history: History;
  releases: ReleaseStore;
  envLocks: EnvLockStore;
  lock: BranchLock;
  /** where the last push left the branch; saves a rejected push when another process pushed since */
  headHint?: HeadHint;
  log: Logger;
  now?: () => Date;
  /** for environments that deploy by pull request */
  pullRequests?: PullRequestOpener;
}

/** What a deployment will write: computed against the repo as it is, again after every rebase. */
export interface Plan {
  version: string;
  previousVersion?: string;
  files: { path: string; content: string }[];
  changes: DeployChange[];
  overridden: string[];
}

interface VersionImages {
  [image: string]: { repository: string; tag: string; digest?: string };
}

/**
 * Turns a deploy request into one commit on the deploy branch: plan (read files and history,
 * check order and holds, edit manifests), commit with trailers, push; when the remote moved,
 * fetch, plan again and retry, a bounded number of times. Writes to one branch are serialized
 * by a Redis lock, so no update is lost between processes.
 */
export class Deployer {
  constructor(private readonly d: DeployerDeps) {}

  private now(): Date {
    return this.d.now?.() ?? new Date();
  }

  async deploy(req: DeployRequest, opts: { onWait?: (ahead: number) => void | Promise<void>; maybeDone?: boolean } = {}): Promise<DeployResult> {
    return this.d.lock.with(async () => {
      await this.d.repo.ensure();
      if (opts.maybeDone) {
        // this job may have pushed before its process died: never commit the same request twice
        await this.d.repo.refresh();
        const done = await this.d.history.findRequest(req.id);
        if (done) return { ...this.result(req, done.version, done.previousVersion, done.sha, [], 0), replayed: true };
      }
      const retries = this.d.config.deployRepo.pushRetries;
      let refreshed = opts.maybeDone === true;
      if (!refreshed && this.d.headHint) {
        const hint = await this.d.headHint.get();
        if (hint && hint !== (await this.d.repo.knownHead())) {
          await this.d.repo.refresh();
          refreshed = true;
        }
      }
      for (let attempt = 0; ; attempt++) {
        let plan: Plan;
        try {
          plan = await this.plan(req);
        } catch (e) {
          // a refusal read from a clone that may be behind the remote is checked once more, fresh
          if (refreshed || !(e instanceof GantryError) || !REPO_STATE_CODES.has(e.code)) throw e;
          refreshed = true;
          await this.d.repo.refresh();
          plan = await this.plan(req);
        }
        const message = deployMessage({
          app: req.app,
          env: req.env,
          version: plan.version,
          action: req.action,
          requestedBy: req.requestedBy,
          approvedBy: req.approvedBy,
          ...(plan.previousVersion ? { previousVersion: plan.previousVersion } : {}),
          ...(req.force !== undefined ? { override: `${req.force}${plan.overridden.length ? ` (passed ${plan.overridden.join('; ')})` : ''}` } : {}),
          ...(req.reason ? { reason: req.reason } : {}),
          request: req.id,
        });
        if ((envOf(this.d.config, req.env).mode ?? this.d.config.deployRepo.mode) === 'pull-request') {
          return await this.openPullRequest(req, plan, message);
        }
        const pushed = await this.d.repo.commitAndPush(plan.files, message);
        if (pushed !== 'rejected') {
          await this.d.headHint?.set(pushed.sha);
          return this.result(req, plan.version, plan.previousVersion, pushed.sha, plan.changes, attempt);
        }
        if (attempt >= retries) {
          throw new GantryError('DEPLOY_CONFLICT', `the deploy repo kept moving: gave up after ${attempt + 1} pushes; nothing was changed`);
        }
        this.d.log.info({ request: req.id, attempt }, 'deploy repo moved; rebasing');
        await sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random()));
        await this.d.repo.refresh();
        refreshed = true;
      }
    }, opts.onWait);
  }

  /**
   * Pull-request mode: the same commit, pushed to a branch of its own (named after the request,
   * so a re-run finds it), and a pull request into the deploy branch. It deploys when merged.
   */
  private async openPullRequest(req: DeployRequest, plan: Plan, message: string): Promise<DeployResult> {
    if (!this.d.pullRequests) {
      throw new GantryError('CONFIG_INVALID', `${req.env} deploys by pull request, but gantry has no GitHub access to open one: set GANTRY_DEPLOY_TOKEN and deployRepo.github`);
    }
    const branch = `gantry/${req.env}/${req.app}-${plan.version}-${req.id.replace(/[^A-Za-z0-9]/g, '').slice(-10)}`.replace(/[^A-Za-z0-9._/-]/g, '-');
    let pushed = await this.d.repo.commitAndPush(plan.files, message, branch);
    if (pushed === 'rejected') {
      // an earlier run of this request pushed the branch and then failed to open the pull request
      const existing = await this.d.repo.remoteBranchMessage(branch);
      if (!existing?.includes(`Gantry-Request: ${req.id}`)) throw new GantryError('DEPLOY_CONFLICT', `branch ${branch} already exists in the deploy repo`);
      pushed = { sha: existing.split('\n')[0]! };
    }
    const [subject, ...rest] = message.split('\n');
    const pr = await this.d.pullRequests.open({
      head: branch,
      base: this.d.config.deployRepo.branch,
      title: subject!,
      body: `${plan.changes.map((c) => `- \`${c.file}:${c.line}\` ${c.before} → ${c.after}`).join('\n')}\n\n\`\`\`\n${rest.join('\n').trim()}\n\`\`\``,
    });
    return { ...this.result(req, plan.version, plan.previousVersion, pushed.sha, plan.changes, 0), pullRequest: { ...pr, branch } };
  }

  private result(req: DeployRequest, version: string, previousVersion: string | undefined, commit: string, changes: DeployChange[], retries: number): DeployResult {
    return {
      requestId: req.id,
      app: req.app,
      env: req.env,
      action: req.action,
      version,
      ...(previousVersion ? { previousVersion } : {}),
      commit,
      changes,
      retries,
    };
  }

  /** Computes the edit without committing (also used to preview an approval). */
  async plan(req: DeployRequest): Promise<Plan> {
    const { config } = this.d;
    const envCfg = envOf(config, req.env);
    const files = this.filesOf(req.app, req.env);
    const current = await this.currentVersion(req.app, req.env);
    let version: string;
    let images: VersionImages;

    if (req.action === 'rollback') {
      if (req.version) {
        version = req.version;
        images = await this.imagesOfVersion(req.app, req.env, version);
      } else {
        const target = await this.d.history.rollbackTarget(req.app, req.env, current);
        if (!target) {
          throw new GantryError('NO_ROLLBACK_TARGET', `nothing to roll back to: ${req.app} has no earlier deployment in ${req.env}`);
        }
        version = target.version;
        images = await this.imagesAt(target.sha, req.app, req.env);
      }
    } else {
      version = req.version!;
      const release = await this.d.releases.get(req.app, version);
      if (!release) throw new GantryError('VERSION_UNKNOWN', `${req.app} ${version} is not a built release`);
      images = release.images;
      if (envCfg.from && !(await this.hasRunIn(req.app, envCfg.from, version))) {
        throw new GantryError('ORDER_VIOLATION', `${req.app} ${version} has not run in ${envCfg.from} yet; promote it to ${envCfg.from} first`);
      }
      if (req.action === 'auto') {
        const last = (await this.d.history.deployments(req.app, req.env, 1))[0];
        if (last?.action === 'rollback') {
          throw new GantryError(
            'ENV_HELD',
            `${req.env} is on hold since ${last.requestedBy.name ?? last.requestedBy.id} rolled ${req.app} back to ${last.version}; automatic deploys resume after a promotion by hand`,
          );
        }
      }
    }
    if (current === version && req.action !== 'rollback') {
      throw new GantryError('ALREADY_DEPLOYED', `${req.app} ${version} already runs in ${req.env}`);
    }
    // policy at execution time too: a lock, freeze or block may have appeared while waiting
    const blocked = await this.d.releases.blocked(req.app, version);
    const { overridden } = gate(config, {
      action: req.action,
      env: req.env,
      actorId: req.requestedBy.id,
      ...(req.force !== undefined ? { force: req.force } : {}),
      now: this.now(),
      lock: await this.d.envLocks.get(req.env),
      blocked,
      version,
    });

    const pin = envCfg.pinDigest ?? config.deployRepo.pinDigest;
    const out: Plan = { version, files: [], changes: [], overridden };
    if (current !== undefined && current !== version) out.previousVersion = current;
    for (const file of files) {
      const specs = this.imageSpecs(req.app, file);
      const targets: ImageTarget[] = specs.map((s) => {
        const img = images[s.name];
        if (!img) throw new GantryError('VERSION_UNKNOWN', `${req.app} ${version} has no image "${s.name}" (needed by ${file.file})`);
        if (pin && !img.digest) {
          throw new GantryError('INPUT_INVALID', `${req.env} pins digests, but ${req.app} ${version} has no digest for image ${s.name}`);
        }
        return { ...s, tag: img.tag, ...(img.digest ? { digest: img.digest } : {}), pin };
      });
      const before = await this.d.repo.readFile(file.file);
      const updated = getUpdater(file.format).update(before, file, targets);
      if (updated.changes.length > 0) {
        out.files.push({ path: file.file, content: updated.content });
        out.changes.push(...updated.changes);
      }
    }
    if (out.files.length === 0) {
      throw new GantryError('ALREADY_DEPLOYED', `${req.app} ${version} already runs in ${req.env}: no manifest changes`);
    }
    return out;
  }

  filesOf(app: string, env: string): DeployFile[] {
    const appCfg = this.d.config.apps[app];
    if (!appCfg) throw new GantryError('APP_UNKNOWN', `unknown app "${app}" (known: ${Object.keys(this.d.config.apps).join(', ')})`);
    envOf(this.d.config, env);
    const files = appCfg.deploy[env];
    if (!files) throw new GantryError('ENV_UNKNOWN', `${app} is not deployed to ${env} (no apps.${app}.deploy.${env} in the config)`);
    return files;
  }

  private imageSpecs(app: string, file: DeployFile): ImageSpec[] {
    const images = this.d.config.apps[app]!.images;
    return (file.images ?? Object.keys(images)).map((name) => ({ name, repository: images[name]!.repository }));
  }

  /** The image references each deploy file of app/env carries now. */
  async currentImages(app: string, env: string, at?: string): Promise<{ file: DeployFile; images: FoundImage[] }[]> {
    const out: { file: DeployFile; images: FoundImage[] }[] = [];
    for (const file of this.filesOf(app, env)) {
      const content = at ? await this.d.repo.show(at, file.file) : await this.d.repo.readFile(file.file);
      out.push({ file, images: getUpdater(file.format).read(content, file, this.imageSpecs(app, file)) });
    }
    return out;
  }

  /** The version running in env: the tag of the app's first image in its first file. */
  async currentVersion(app: string, env: string): Promise<string | undefined> {
    const [first] = await this.currentImages(app, env);
    return first?.images.find((i) => i.tag)?.tag;
  }

  private async imagesAt(sha: string, app: string, env: string): Promise<VersionImages> {
    const out: VersionImages = {};
    for (const { images } of await this.currentImages(app, env, sha)) {
      for (const i of images) {
        if (!i.tag) continue; // a templated or tag-less value says nothing about the version
        out[i.name] ??= { repository: i.repository, tag: i.tag, ...(i.digest ? { digest: i.digest } : {}) };
      }
    }
    return out;
  }

  /** A version's images: from the catalog, or (Redis wiped) from the commit that last deployed it here. */
  private async imagesOfVersion(app: string, env: string, version: string): Promise<VersionImages> {
    const release = await this.d.releases.get(app, version);
    if (release) return release.images;
    const dep = await this.d.history.findDeployment(app, env, version);
    if (dep) return this.imagesAt(dep.sha, app, env);
    throw new GantryError('VERSION_UNKNOWN', `${app} ${version} was never deployed to ${env} and is not a built release`);
  }

  private async hasRunIn(app: string, env: string, version: string): Promise<boolean> {
    if ((await this.currentVersion(app, env).catch(() => undefined)) === version) return true;
    return (await this.d.history.findDeployment(app, env, version)) !== undefined;
  }
}

/** Refusals that depend on what the deploy repo says (and so on how fresh the clone is). */
const REPO_STATE_CODES = new Set(['ORDER_VIOLATION', 'ALREADY_DEPLOYED', 'NO_ROLLBACK_TARGET', 'VERSION_UNKNOWN', 'MANIFEST_INVALID', 'MANIFEST_IMAGE_NOT_FOUND']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
