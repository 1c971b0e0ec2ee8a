import { fromOf, type Config, type DeployFile } from '../config/schema.js';
import type { Verifier } from '../rollout/verifier.js';
import { requireStillFailing, requireVerified } from './rollout-gates.js';
import type { DeployChange, DeployRequest, DeployResult } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import { gateRequest } from '../domain/gate-request.js';
import { envOf } from '../domain/policy.js';
import { msg } from '../i18n/voice.js';
import type { BranchLock, HeadHint } from '../store/branch-lock.js';
import type { EnvLockStore } from '../store/env-locks.js';
import type { ReleaseStore } from '../store/releases.js';
import type { Logger } from '../util/logger.js';
import type { GitRepo } from './git.js';
import type { History } from './history.js';
import { deployMessage } from './trailers.js';
import { openDeployPullRequest, type PullRequestOpener } from './pull-request.js';
import type { FoundImage, ImageSpec, ImageTarget } from './updaters/types.js';
import { readTimeline, type EnvState, type EnvTimeline, type FileReader } from './env-history.js';
import { releaseTarget, targetsFromState, versionIn } from './targets.js';
import { getUpdater } from './updaters/index.js';
import { own } from '../domain/own.js';
import type { BlueGreenDeploy } from '../config/schema.js';
import type { BlueGreenOutcome } from '../domain/deploy.js';
import type { RolloutStore } from '../rollout/store.js';
import { blueGreenOf, imageFilesOf } from './bluegreen/target.js';
import { liveSelector, readBlueGreen, type BlueGreenState } from './bluegreen/state.js';
import { idleColour } from './bluegreen/plan.js';
import { planTraffic } from './bluegreen/traffic-plan.js';

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
  /** how a version's verification in an environment went, for `from: { env, verified: true }` (src/rollout/verifier.ts) */
  verification?: Pick<Verifier, 'gate'>;
  /** followed deploys, for blue-green shifts that wait for the new colour to be live (src/rollout/store.ts) */
  rollouts?: Pick<RolloutStore, 'latest'>;
}

/** What a deployment will write: computed against the repo as it is, again after every rebase. */
export interface Plan {
  version: string;
  previousVersion?: string;
  files: { path: string; content: string }[];
  changes: DeployChange[];
  overridden: string[];
  /** a blue-green app: the colours after the commit (trailers Gantry-Color and Gantry-Weights, the reply) */
  blueGreen?: BlueGreenOutcome;
  /** a blue-green shift: the approvals approvals.shift asks of it, checked again when it runs */
  approvalsRequired?: number;
}

/**
 * Turns a deploy request into one commit on the deploy branch: plan (read files and history,
 * check order and holds, edit manifests), commit with trailers, push; when the remote moved,
 * fetch, plan again and retry, a bounded number of times. Writes to one branch are serialized
 * by a Redis lock, so no update is lost between processes.
 */
export class Deployer {
  /** images parsed per file blob, shared by every history read of this process */
  private readonly memo = new Map<string, FoundImage[] | undefined>();
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
        const done = await this.d.history.findRequest(req.id, undefined, { app: req.app, env: req.env });
        if (done) {
          const prior = { version: done.version, ...(done.previousVersion ? { previousVersion: done.previousVersion } : {}), changes: [], overridden: [] };
          return { ...this.result(req, prior, done.sha, 0), replayed: true };
        }
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
        if (req.action === 'shift' && (plan.approvalsRequired ?? 0) > req.approvedBy.length) {
          // the first shift or the one to 100% may need approvals the request was queued without
          throw new GantryError('DEPLOY_REFUSED', msg('error.bluegreen.needs-approval', { app: req.app, env: req.env, required: plan.approvalsRequired! }));
        }
        const message = deployMessage({
          app: req.app,
          env: req.env,
          version: plan.version,
          action: req.action,
          requestedBy: req.requestedBy,
          approvedBy: req.approvedBy,
          ...(plan.previousVersion ? { previousVersion: plan.previousVersion } : {}),
          // an override is recorded only when it was used: a lock lifted while waiting passed nothing
          ...(req.force !== undefined && plan.overridden.length ? { override: `${req.force} (passed ${plan.overridden.join('; ')})` } : {}),
          ...(req.reason ? { reason: req.reason } : {}),
          request: req.id,
          ...(plan.blueGreen ? { color: plan.blueGreen.colour, weights: plan.blueGreen.weights } : {}),
        });
        if ((envOf(this.d.config, req.env).mode ?? this.d.config.deployRepo.mode) === 'pull-request') {
          if (!this.d.pullRequests) {
            throw new GantryError('CONFIG_INVALID', msg('error.deploy.pr-no-access', { env: req.env }));
          }
          const opened = await openDeployPullRequest({ repo: this.d.repo, opener: this.d.pullRequests, base: this.d.config.deployRepo.branch }, { req, plan, message });
          return { ...this.result(req, plan, opened.sha, 0), pullRequest: opened.pullRequest };
        }
        const pushed = await this.d.repo.commitAndPush(plan.files, message);
        if (pushed !== 'rejected') {
          await this.d.headHint?.set(pushed.sha);
          return this.result(req, plan, pushed.sha, attempt);
        }
        if (attempt >= retries) {
          throw new GantryError('DEPLOY_CONFLICT', msg('error.deploy.repo-moving', { pushes: attempt + 1 }));
        }
        this.d.log.info({ request: req.id, attempt }, 'deploy repo moved; rebasing');
        await sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random()));
        await this.d.repo.refresh();
        refreshed = true;
      }
    }, opts.onWait);
  }

  private result(req: DeployRequest, plan: Pick<Plan, 'version' | 'previousVersion' | 'changes' | 'overridden' | 'blueGreen'>, commit: string, retries: number): DeployResult {
    return {
      requestId: req.id,
      app: req.app,
      env: req.env,
      action: req.action,
      version: plan.version,
      ...(plan.previousVersion ? { previousVersion: plan.previousVersion } : {}),
      commit,
      changes: plan.changes,
      ...(req.force !== undefined && plan.overridden.length ? { override: { reason: req.force, passed: plan.overridden } } : {}),
      retries,
      ...(plan.blueGreen ? { blueGreen: plan.blueGreen } : {}),
    };
  }

  /**
   * Computes the edit without committing. `at` reads the files and history at that commit instead
   * of the working clone (previews and early refusals, outside the branch lock).
   */
  async plan(req: DeployRequest, at?: string): Promise<Plan> {
    const { config } = this.d;
    const envCfg = envOf(config, req.env);
    const bg = blueGreenOf(config, req.app, req.env);
    if (req.action === 'shift' || (bg && req.action === 'rollback')) {
      const state = (target: BlueGreenDeploy) => this.blueGreenState(req.app, req.env, target, at);
      const read = async (rel: string) => (await this.reader([rel], at))(rel);
      return planTraffic({ req, config, stores: this.d, state, read, now: this.now() });
    }
    // blue-green: a promotion writes the idle colour's files only; what runs is the live colour's version
    const colours = bg ? await this.blueGreenState(req.app, req.env, bg, at) : undefined;
    const idle = colours && req.version !== undefined ? idleColour(colours, req, req.version) : undefined;
    const readers = bg && idle ? this.readersOf(req.app, bg[idle]) : this.readers(req.app, req.env);
    const read = await this.reader(readers.map((r) => r.file.file), at);
    const pin = envCfg.pinDigest ?? config.deployRepo.pinDigest;
    let current: string | undefined;
    let version: string;
    let targetsOf: (reader: FileReader) => ImageTarget[];

    if (req.action === 'rollback') {
      // what ran here before, as the files said: never a release that did not run in this environment
      const timeline = await this.timeline(req.app, req.env, HISTORY_DEPTH, at);
      current = timeline.current.version;
      requireStillFailing(req, current);
      const state = req.version !== undefined ? this.versionState(timeline, req) : timeline.rollbackTarget();
      if (!state?.version) {
        const before = current ?? msg('error.rollback.what-runs-now');
        throw new GantryError('NO_ROLLBACK_TARGET', msg('error.rollback.nothing-before', { app: req.app, env: req.env, current: before }));
      }
      version = state.version;
      targetsOf = (reader) => targetsFromState(state, reader);
    } else {
      current = colours ? colours.versions[colours.live] : versionIn(readers[0]!, await read(readers[0]!.file.file));
      version = req.version!;
      const release = await this.d.releases.get(req.app, version);
      if (!release) throw new GantryError('VERSION_UNKNOWN', msg('error.release.not-built', { app: req.app, version }));
      const from = fromOf(envCfg);
      if (from && !(await this.hasRunIn(req.app, from.env, version, at))) {
        throw new GantryError('ORDER_VIOLATION', msg('error.deploy.order', { app: req.app, version, from: from.env }));
      }
      if (from?.verified) await requireVerified(this.d.verification, req.app, from.env, version);
      if (req.action === 'auto') {
        const held = (await this.timeline(req.app, req.env, 5, at)).held;
        if (held) {
          const who = held.trailers!.requestedBy;
          const params = { env: req.env, who: who.name ?? who.id, app: req.app, version: held.after.version ?? '?' };
          throw new GantryError('ENV_HELD', msg('error.deploy.held', params));
        }
      }
      targetsOf = (reader) => reader.specs.map((s) => releaseTarget(req, release, s, pin));
    }
    if (current === version) {
      throw new GantryError('ALREADY_DEPLOYED', msg('error.deploy.already', { app: req.app, version, env: req.env }));
    }
    // policy at execution time too: a lock, freeze or block may have appeared while waiting
    const { overridden } = await gateRequest(config, req, {
      at: this.now(),
      locks: this.d.envLocks,
      blocked: await this.d.releases.blocked(req.app, version),
      version,
      // the guard lets `failure` through only on gantry's own rollbacks, which the config asked for
      automatic: req.failure !== undefined,
    });

    const out: Plan = { version, files: [], changes: [], overridden };
    if (current !== undefined) out.previousVersion = current;
    if (colours && idle) {
      const versions = { ...colours.versions, [idle]: version };
      out.blueGreen = { colour: idle, live: colours.live, versions, weights: colours.weights, before: colours.weights };
    }
    for (const reader of readers) {
      const before = await read(reader.file.file);
      const updated = getUpdater(reader.file.format).update(before, reader.file, targetsOf(reader));
      if (updated.changes.length > 0) {
        out.files.push({ path: reader.file.file, content: updated.content });
        out.changes.push(...updated.changes);
      }
    }
    if (out.files.length === 0) {
      throw new GantryError('ALREADY_DEPLOYED', msg('error.deploy.no-changes', { app: req.app, version, env: req.env }));
    }
    return out;
  }

  /** `/rollback <env> <version>`: the newest state in which that version ran in this environment. */
  private versionState(timeline: EnvTimeline, req: DeployRequest): EnvState {
    const version = req.version!;
    if (timeline.current.version === version) {
      throw new GantryError('ALREADY_DEPLOYED', msg('error.deploy.already', { app: req.app, version, env: req.env }));
    }
    const state = timeline.lastStateOf(version);
    if (!state) {
      throw new GantryError('NO_ROLLBACK_TARGET', msg('error.rollback.never-ran', { app: req.app, version, env: req.env }));
    }
    return state;
  }

  /** The app's history in env, read from its files (see EnvTimeline). */
  async timeline(app: string, env: string, depth: number, at = 'HEAD'): Promise<EnvTimeline> {
    await this.d.repo.ensure();
    const bg = blueGreenOf(this.d.config, app, env);
    const select = bg ? { select: liveSelector(bg) } : {};
    return readTimeline(this.d.repo.objects, { rev: at, app, env, readers: this.readers(app, env), depth, memo: this.memo, ...select });
  }

  /**
   * The plan against the deploy branch as last fetched, for answers given before the deploy job
   * runs (approval previews, refusals such as "already runs there"). It never touches the working
   * clone, which a deploy of this process may be editing.
   */
  async preflight(req: DeployRequest, maxAgeMs: number): Promise<Plan> {
    await this.d.repo.fetchIfOlder(maxAgeMs);
    try {
      return await this.plan(req, this.d.repo.tracking);
    } catch (e) {
      if (!(e instanceof GantryError) || !REPO_STATE_CODES.has(e.code)) throw e;
      await this.d.repo.fetchIfOlder(0); // a refusal read from a stale fetch is checked once more, fresh
      return this.plan(req, this.d.repo.tracking);
    }
  }

  /** Reads deploy files from the working clone, or at commit `at`. */
  private async reader(paths: string[], at: string | undefined): Promise<(rel: string) => Promise<string>> {
    if (at === undefined) return (rel) => this.d.repo.readFile(rel);
    const files = await this.d.repo.objects.contents(at, paths);
    return async (rel) => {
      const text = files.get(rel);
      if (text === undefined) {
        throw new GantryError('MANIFEST_INVALID', msg('error.manifest.no-file', { file: rel, branch: this.d.config.deployRepo.branch }));
      }
      return text;
    };
  }

  /** The files that carry the app's images in env (a blue-green app: both colours); throws when it is not deployed there. */
  filesOf(app: string, env: string): DeployFile[] {
    const appCfg = own(this.d.config.apps, app);
    if (!appCfg) throw new GantryError('APP_UNKNOWN', msg('error.app.unknown', { app, known: { list: Object.keys(this.d.config.apps) } }));
    envOf(this.d.config, env);
    const target = own(appCfg.deploy, env);
    if (!target) throw new GantryError('ENV_UNKNOWN', msg('error.env.not-deployed', { app, env }));
    return imageFilesOf(target);
  }

  /** The files that say which version runs: a blue-green app's live colour, else all of them. */
  private async versionFilesOf(app: string, env: string, at?: string): Promise<DeployFile[]> {
    const bg = blueGreenOf(this.d.config, app, env);
    if (!bg) return this.filesOf(app, env);
    return bg[(await this.blueGreenState(app, env, bg, at)).live];
  }

  /** Where a blue-green app stands in env: both colours' versions, the weights, the new and the live colour. */
  async blueGreenState(app: string, env: string, target: BlueGreenDeploy, at?: string): Promise<BlueGreenState> {
    await this.d.repo.ensure();
    const paths = [target.traffic.file, ...imageFilesOf(target).map((f) => f.file)];
    const read = await this.reader(paths, at);
    const readersOf = (files: DeployFile[]) => this.readersOf(app, files);
    return readBlueGreen({ target, app, env, read, readersOf, objects: this.d.repo.objects, rev: at ?? 'HEAD' });
  }

  private imageSpecs(app: string, file: DeployFile): ImageSpec[] {
    const images = this.d.config.apps[app]!.images;
    return (file.images ?? Object.keys(images)).map((name) => ({ name, repository: images[name]!.repository }));
  }

  /** The image references each deploy file of app/env carries now. */
  async currentImages(app: string, env: string, at?: string): Promise<{ file: DeployFile; images: FoundImage[] }[]> {
    const out: { file: DeployFile; images: FoundImage[] }[] = [];
    for (const file of await this.versionFilesOf(app, env, at)) {
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

  /** Promotion order: whether `version` ran in `env`, by the history of its files. */
  /** The verifications the `from: { env, verified: true }` gate reads (set once they exist: they are built after the deployer). */
  setVerification(v: Pick<Verifier, 'gate'>): void {
    this.d.verification = v;
  }

  /** The followed deploys blue-green shifts wait on (built after the deployer, like the verifications). */
  setRollouts(r: Pick<RolloutStore, 'latest'>): void {
    this.d.rollouts = r;
  }

  private async hasRunIn(app: string, env: string, version: string, at: string | undefined): Promise<boolean> {
    const readers = this.readers(app, env);
    const read = await this.reader(readers.map((r) => r.file.file), at);
    // a blue-green environment's version is its live colour's: the timeline reads it commit by commit
    const plain = !blueGreenOf(this.d.config, app, env);
    const now = plain ? await read(readers[0]!.file.file).then((text) => versionIn(readers[0]!, text), () => undefined) : undefined;
    if (now === version) return true;
    return (await this.timeline(app, env, HISTORY_DEPTH, at)).hasRun(version);
  }

  private readers(app: string, env: string): FileReader[] {
    return this.readersOf(app, this.filesOf(app, env));
  }

  private readersOf(app: string, files: DeployFile[]): FileReader[] {
    return files.map((file) => ({ file, specs: this.imageSpecs(app, file) }));
  }
}

/** How many commits that touched an environment's files rollback targets and promotion order look back over. */
const HISTORY_DEPTH = 500;

/** Refusals that depend on what the deploy repo says (and so on how fresh the clone is). */
const REPO_STATE_CODES = new Set(['ORDER_VIOLATION', 'ALREADY_DEPLOYED', 'NO_ROLLBACK_TARGET', 'VERSION_UNKNOWN', 'MANIFEST_INVALID', 'MANIFEST_IMAGE_NOT_FOUND']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
