import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { activeFreeze } from '../domain/freeze.js';
import type { EnvLock } from '../domain/policy.js';
import { watchFor } from '../rollout/config.js';
import { deployEntry, type DeployEntry } from './entry.js';
import type { QueryDeps } from './deps.js';
import { rolloutOf, type BlueGreenStatus, type RolloutStatus } from './status.js';
import type { ApprovalView } from './approvals.js';
import { pendingApprovals } from './approvals.js';
import { blueGreenOf, trackedPaths } from '../gitops/bluegreen/target.js';

/** What the deploy repo says about one app in one environment at one commit. */
export interface RepoCell {
  version?: string;
  /** the newest change of its images, whoever made it */
  last?: DeployEntry;
  /** rolled back: automatic deploys stop until someone promotes by hand */
  held: boolean;
  /** the files could not be read (a broken manifest): what the reader is told instead */
  error?: string;
  /** a blue-green app: both colours, their versions and the traffic weights at this commit */
  blueGreen?: BlueGreenStatus;
}

export interface OverviewCell extends RepoCell {
  env: string;
  rollout?: RolloutStatus;
  /** open requests for this app here, the nearest deadline first */
  pending: ApprovalView[];
}

export interface OverviewEnv {
  env: string;
  lock?: EnvLock;
  freeze?: { until: string; reason: string };
}

export interface OverviewApp {
  app: string;
  /** in config order; undefined where the app does not deploy */
  cells: (OverviewCell | undefined)[];
}

export interface Overview {
  /** the deploy branch's commit the cells were read at */
  head: string;
  envs: OverviewEnv[];
  apps: OverviewApp[];
}

export type OverviewDeps = Pick<QueryDeps, 'config' | 'repo' | 'deployer' | 'envLocks' | 'approvals' | 'releases' | 'rollouts' | 'now' | 'readFreshnessMs'>;

/** How many commits that touched a cell's files are read for its last change (some change no image). */
const CELL_DEPTH = 10;
/** git processes at once while (re)reading cells: the web process shares its cores with deploys */
const PARALLEL = 4;

/**
 * The dashboard's matrix of every app × environment. Reading it from git per request would read
 * 250 file histories for 50 apps × 5 environments; instead the cells are kept per commit of the
 * deploy branch, and when the branch moves only the cells whose files the new commits touched
 * are read again (`git diff --name-only`). Locks, rollouts and approvals live in Redis and are
 * read per request.
 */
export class OverviewModel {
  private head?: string;
  private cells = new Map<string, RepoCell>();
  private pendingRead?: Promise<void>;

  constructor(private readonly d: OverviewDeps) {}

  async read(): Promise<Overview> {
    await this.d.repo.refreshIfOlder(this.d.readFreshnessMs);
    const head = await this.branchHead();
    await this.catchUp(head);
    const { config } = this.d;
    const envNames = Object.keys(config.environments);
    const now = this.d.now();
    const [locks, pending] = await Promise.all([Promise.all(envNames.map((e) => this.d.envLocks.get(e))), pendingApprovals(this.d)]);
    const envs = envNames.map((env, i): OverviewEnv => {
      const o: OverviewEnv = { env };
      if (locks[i]) o.lock = locks[i];
      const freeze = activeFreeze(config.environments[env]!.freeze, now);
      if (freeze) o.freeze = { until: freeze.until.toISOString(), reason: freeze.reason };
      return o;
    });
    const apps: OverviewApp[] = [];
    for (const app of Object.keys(config.apps)) {
      const cells = await Promise.all(envNames.map((env) => this.cellOf(app, env, pending)));
      apps.push({ app, cells });
    }
    return { head, envs, apps };
  }

  private async cellOf(app: string, env: string, pending: readonly ApprovalView[]): Promise<OverviewCell | undefined> {
    const repo = this.cells.get(cellKey(app, env));
    if (!repo) return undefined;
    const cell: OverviewCell = { ...repo, env, pending: pending.filter((a) => a.app === app && a.env === env) };
    // only where something shows rollouts: no Redis round trip per cell otherwise
    if (watchFor(this.d.config, app, env)) {
      const rollout = await rolloutOf(this.d, app, env, repo.version);
      if (rollout) cell.rollout = rollout;
    }
    return cell;
  }

  /**
   * The deploy branch as last fetched or pushed, from its loose ref file when there is one: a git
   * process per page view would cost more than the rest of the page.
   */
  private async branchHead(): Promise<string> {
    try {
      const sha = (await readFile(path.join(this.d.repo.dir, '.git', ...this.d.repo.tracking.split('/')), 'utf8')).trim();
      if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
    } catch {
      // packed refs: ask git
    }
    return (await this.d.repo.bytes(['rev-parse', this.d.repo.tracking], 'git rev-parse')).toString('utf8').trim();
  }

  /** Brings the kept cells to `head`; concurrent readers wait for one reading. */
  private async catchUp(head: string): Promise<void> {
    while (this.head !== head) {
      if (!this.pendingRead) {
        this.pendingRead = this.readAt(head).finally(() => {
          this.pendingRead = undefined;
        });
      }
      await this.pendingRead;
    }
  }

  private async readAt(head: string): Promise<void> {
    const stale = this.head ? await this.changedCells(this.head, head) : undefined;
    const wanted = this.allCells().filter(([app, env]) => !stale || stale.has(cellKey(app, env)) || !this.cells.has(cellKey(app, env)));
    const next = new Map(this.cells);
    for (let i = 0; i < wanted.length; i += PARALLEL) {
      const batch = wanted.slice(i, i + PARALLEL);
      const read = await Promise.all(batch.map(([app, env]) => this.readCell(app, env, head)));
      batch.forEach(([app, env], j) => next.set(cellKey(app, env), read[j]!));
    }
    this.cells = next;
    this.head = head;
  }

  /** The cells whose files changed between two commits; undefined when git cannot say (history rewritten): read all. */
  private async changedCells(from: string, to: string): Promise<Set<string> | undefined> {
    let paths: Set<string>;
    try {
      const raw = await this.d.repo.bytes(['diff', '--name-only', '-z', '--no-renames', from, to], 'git diff');
      paths = new Set(raw.toString('utf8').split('\0').filter(Boolean));
    } catch {
      return undefined;
    }
    const out = new Set<string>();
    for (const [app, env] of this.allCells()) {
      if (trackedPaths(this.d.config.apps[app]!.deploy[env]!).some((p) => paths.has(p))) out.add(cellKey(app, env));
    }
    return out;
  }

  private allCells(): [string, string][] {
    const out: [string, string][] = [];
    for (const [app, cfg] of Object.entries(this.d.config.apps)) {
      for (const env of Object.keys(this.d.config.environments)) if (Object.hasOwn(cfg.deploy, env)) out.push([app, env]);
    }
    return out;
  }

  private async readCell(app: string, env: string, head: string): Promise<RepoCell> {
    try {
      const t = await this.d.deployer.timeline(app, env, CELL_DEPTH, head);
      const cell: RepoCell = { held: t.held !== undefined };
      if (t.current.version !== undefined) cell.version = t.current.version;
      if (t.last) cell.last = deployEntry(this.d.config, t.last);
      const bg = blueGreenOf(this.d.config, app, env);
      if (bg) {
        const { live, fresh, versions, weights } = await this.d.deployer.blueGreenState(app, env, bg, head);
        cell.blueGreen = { live, fresh, versions, weights };
      }
      return cell;
    } catch (e) {
      return { held: false, error: e instanceof Error ? e.message : String(e) };
    }
  }
}

function cellKey(app: string, env: string): string {
  return `${app}\0${env}`;
}
