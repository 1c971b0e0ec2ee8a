import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Core } from '../src/commands/context.js';
import type { Config } from '../src/config/schema.js';
import { actorFor, type Actor } from '../src/domain/identity.js';
import { createGantry, type Gantry } from '../src/runtime/gantry.js';
import { silentLogger } from '../src/util/logger.js';
import { appName, copyRepo, ensureDeployRepo, specConfig, type DeployRepoSpec, type GeneratedRepo } from './deploy-repo.js';
import { baselinePhases, commitStep, historyPhases, instrument, Profiler, promotePhases, renderPhases } from './profile.js';
import {
  alternate,
  bounded,
  checkSameHistory,
  cliClone,
  ENV,
  historyByGrep,
  historyWithGantry,
  promoteWithCli,
  promoteWithGantry,
  registerReleases,
  seconds,
} from './promote-steps.js';
import { compare, envInt, type BenchContext, type Figure } from './report.js';

/**
 * `/promote <app> <version> prod` end to end through a real gantry (real Redis, BullMQ workers,
 * git CLI, a bare deploy repo generated from a spec), against the same edit, commit and push done
 * with node fs and the git CLI alone; the edit + commit step alone against `git add` + `git commit`;
 * and optionally `/history <app> prod` against the equivalent `git log --grep`. Gantry and
 * baseline alternate within each iteration, so drift hits both. `promote` and `promote-large`
 * run this with their own spec; `promote-large` measures more on the same gantry (`more`).
 */
const ITERATIONS = envInt('BENCH_ITERATIONS', 30);
const WARMUP = envInt('BENCH_WARMUP', 3, 0);
const PROFILE_ITERATIONS = envInt('BENCH_PROFILE_ITERATIONS', 10);
/** the issue's aim for the edit + commit step, at every size */
const COMMIT_STEP_MAX_MS = 20;

/** promoted back and forth between two versions */
export const PROMOTE_APP = appName(0);
const VERSIONS = ['v2.0.0', 'v2.0.1'] as const;
const HISTORY_N = 10;

export interface ScenarioOptions {
  /** figure prefix: `<name>.median`, `<name>.commit.median`, … */
  name: string;
  spec: DeployRepoSpec;
  /** the gantry promote / baseline ratio aimed at */
  promoteTarget: number;
  /** `history.*` figures: `/history` of the hot app against `git log --grep` */
  grepHistory: boolean;
  /** more figures, measured on the same gantry after the promotions */
  more?: (s: Scenario) => Promise<Figure[]>;
}

/** What `more` gets: the running gantry and the repos of this run. */
export interface Scenario {
  ctx: BenchContext;
  spec: DeployRepoSpec;
  repo: GeneratedRepo;
  config: Config;
  core: Core;
  actor: Actor;
  runDir: string;
  /** gantry's deploy repo (a private copy of the cached one) */
  gantryBare: string;
  /** the baseline's working clone: a plain `git clone` */
  baselineDir: string;
}

export async function runPromoteScenario(ctx: BenchContext, o: ScenarioOptions): Promise<Figure[]> {
  const t0 = performance.now();
  const repo = await ensureDeployRepo(ctx.repoCache, o.spec);
  ctx.log(
    `deploy repo: ${repo.meta.files} manifests, ${repo.meta.commits} commits (${repo.meta.deploys} deploys, ` +
      `${repo.meta.hotDeploys} of ${o.spec.hot.app} to ${ENV}) ${repo.cached ? 'from the cache' : `generated in ${seconds(performance.now() - t0)}`}`,
  );
  const runDir = mkdtempSync(path.join(ctx.workDir, 'run-'));
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  let gantry: Gantry | undefined;
  try {
    const t1 = performance.now();
    const gantryBare = copyRepo(repo.bare, path.join(runDir, 'gantry.git'));
    const baselineBare = copyRepo(repo.bare, path.join(runDir, 'baseline.git'));
    const config = specConfig(o.spec, gantryBare);
    gantry = createGantry({ config, redisUrl: await ctx.redisUrl(), prefix, workdir: path.join(runDir, 'gantry-work'), log: silentLogger });
    gantry.startWorkers();
    const core = gantry.core;
    await registerReleases(core, PROMOTE_APP, VERSIONS);
    const baselineDir = await cliClone(baselineBare, path.join(runDir, 'baseline-work'));
    await bounded(core.repo.ensure(), 'gantry warm clone', 600_000);
    ctx.log(`copies and clones ready in ${seconds(performance.now() - t1)}`);
    // measured as a running worker has its clone: `gantry start`/`worker` run the first maintenance
    // (commit-graph with Bloom filters, packing) a few seconds after the clone is ready
    const t2 = performance.now();
    await bounded(core.repo.maintenance.run(), 'first maintenance run', 600_000);
    ctx.log(`first maintenance run (commit-graph, packing) in ${seconds(performance.now() - t2)}`);
    const actor = actorFor(config, 'shell:bench');

    ctx.log(`promote: ${WARMUP} warmups + ${ITERATIONS} iterations each, gantry and git CLI alternating`);
    // iteration i promotes VERSIONS[i % 2] in both repos: every promotion changes the image
    const promote = await alternate(
      WARMUP,
      ITERATIONS,
      (i) => promoteWithGantry(core, actor, PROMOTE_APP, VERSIONS[i % 2]!),
      (i) => promoteWithCli(baselineDir, actor, PROMOTE_APP, VERSIONS[i % 2]!),
    );
    let promoted = WARMUP + ITERATIONS;
    await checkSameHistory(gantryBare, baselineBare, PROMOTE_APP, o.spec.commits + promoted);
    const figures = compare(o.name, 'ms', promote.a, promote.b, o.promoteTarget);

    ctx.log(`profile: ${PROFILE_ITERATIONS} more promotions each, with timed wrappers`);
    const [gp, bp] = [new Profiler(), new Profiler()];
    instrument(core, gp);
    await alternate(
      0,
      PROFILE_ITERATIONS,
      (i) => gp.command(() => promoteWithGantry(core, actor, PROMOTE_APP, VERSIONS[(promoted + i) % 2]!)),
      (i) => bp.command(() => promoteWithCli(baselineDir, actor, PROMOTE_APP, VERSIONS[(promoted + i) % 2]!, { p: bp })),
    );
    promoted += PROFILE_ITERATIONS;
    ctx.note(renderPhases(`### ${o.name}: /promote ${PROMOTE_APP} <version> ${ENV}: where gantry's time goes`, promotePhases(gp)));
    ctx.note(renderPhases(`### ${o.name}: the same promotion with the git CLI alone (baseline)`, baselinePhases(bp)));
    const step = commitStep(gp, bp);
    if (step) {
      ctx.log(`edit + commit step read from ${step.source}`);
      figures.push(...compare(`${o.name}.commit`, 'ms', step.gantry, step.baseline).map((f) => ({ ...f, maxValue: COMMIT_STEP_MAX_MS })));
    } else {
      ctx.log('edit + commit step: no profiler span for it in this gantry (neither repo.writeCommit nor git add/commit)');
    }

    if (o.grepHistory) figures.push(...(await grepHistory(ctx, o, core, actor)));
    const s: Scenario = { ctx, spec: o.spec, repo, config, core, actor, runDir, gantryBare, baselineDir };
    if (o.more) figures.push(...(await o.more(s)));
    return figures;
  } finally {
    if (gantry) {
      await gantry.close();
      await ctx.wipePrefix(prefix);
    }
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** `/history <hot app> prod` against `git log --grep` of its trailers, in gantry's own clone. */
async function grepHistory(ctx: BenchContext, o: ScenarioOptions, core: Core, actor: Actor): Promise<Figure[]> {
  const app = o.spec.hot.app;
  ctx.log(`history: ${WARMUP} warmups + ${ITERATIONS} iterations each`);
  const history = await alternate(
    WARMUP,
    ITERATIONS,
    () => historyWithGantry(core, actor, app, HISTORY_N),
    () => historyByGrep(core.repo.dir, app, HISTORY_N),
  );
  const [gh, bh] = [new Profiler(), new Profiler()];
  instrument(core, gh);
  await alternate(
    0,
    PROFILE_ITERATIONS,
    () => gh.command(() => historyWithGantry(core, actor, app, HISTORY_N)),
    () => bh.command(() => historyByGrep(core.repo.dir, app, HISTORY_N)),
  );
  ctx.note(renderPhases(`### /history ${app} ${ENV}: where gantry's time goes`, historyPhases(gh)));
  ctx.note(renderPhases('### the same git log, alone (baseline)', baselinePhases(bh)));
  return compare('history', 'ms', history.a, history.b);
}

