import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Core } from '../src/commands/context.js';
import { execute } from '../src/commands/execute.js';
import { actorFor, type Actor } from '../src/domain/identity.js';
import { deployMessage } from '../src/gitops/trailers.js';
import { createGantry, type Gantry } from '../src/runtime/gantry.js';
import { silentLogger } from '../src/util/logger.js';
import { appName, copyRepo, ensureDeployRepo, git, imageRepo, manifestPath, specConfig, type DeployRepoSpec } from './deploy-repo.js';
import { baselinePhases, historyPhases, instrument, Profiler, promotePhases, renderPhases } from './profile.js';
import { envInt, compare, type Benchmark, type BenchContext } from './report.js';

/**
 * `/promote <app> <version> prod` end to end through a real gantry (real Redis, BullMQ workers,
 * git CLI, a bare deploy repo of 2,000 manifests and 10,000 commits), against the same edit,
 * commit and push done with node fs and the git CLI alone; and `/history <app> prod` against the
 * equivalent `git log`. Gantry and baseline alternate within each iteration, so drift hits both.
 */
const ITERATIONS = envInt('BENCH_ITERATIONS', 30);
const WARMUP = envInt('BENCH_WARMUP', 3, 0);
const PROFILE_ITERATIONS = envInt('BENCH_PROFILE_ITERATIONS', 10);
/** the gantry promote / baseline ratio aimed at */
const TARGET = 1.5;
/** no single command may take longer than this */
const OP_TIMEOUT_MS = 60_000;

const ENV = 'prod';
const BRANCH = 'main';
const SPEC: DeployRepoSpec = {
  apps: 500,
  envs: ['dev', 'qa', 'staging', ENV],
  commits: 10_000,
  deployShare: 0.7,
  hot: { app: appName(1), env: ENV, every: 150 },
  seed: 42,
};
/** promoted back and forth between two versions */
const PROMOTE_APP = appName(0);
const VERSIONS = ['v2.0.0', 'v2.0.1'] as const;
/** its deployments are spread over the whole history */
const HISTORY_APP = SPEC.hot.app;
const HISTORY_N = 10;
const LOG_FORMAT = '--format=%H%x1f%an <%ae>%x1f%cI%x1f%B%x1e';

export const promoteBench: Benchmark = {
  name: 'promote',
  async run(ctx) {
    const t0 = performance.now();
    const repo = await ensureDeployRepo(ctx.workDir, SPEC);
    ctx.log(
      `deploy repo: ${repo.meta.files} manifests, ${repo.meta.commits} commits (${repo.meta.deploys} deploys, ` +
        `${repo.meta.hotDeploys} of ${HISTORY_APP} to ${ENV}) ${repo.cached ? 'from the cache' : `generated in ${ms(performance.now() - t0)}`}`,
    );
    const runDir = mkdtempSync(path.join(ctx.workDir, 'run-'));
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    let gantry: Gantry | undefined;
    try {
      const gantryBare = copyRepo(repo.bare, path.join(runDir, 'gantry.git'));
      const baselineBare = copyRepo(repo.bare, path.join(runDir, 'baseline.git'));
      const config = specConfig(SPEC, gantryBare);
      gantry = createGantry({ config, redisUrl: await ctx.redisUrl(), prefix, workdir: path.join(runDir, 'gantry-work'), log: silentLogger });
      gantry.startWorkers();
      const core = gantry.core;
      await registerReleases(core);
      const baselineDir = await cliClone(baselineBare, path.join(runDir, 'baseline-work'));
      const actor = actorFor(config, 'shell:bench');

      ctx.log(`promote: ${WARMUP} warmups + ${ITERATIONS} iterations each, gantry and git CLI alternating`);
      // iteration i promotes VERSIONS[i % 2] in both repos: every promotion changes the image
      const promote = await alternate(
        WARMUP,
        ITERATIONS,
        (i) => promoteWithGantry(core, actor, VERSIONS[i % 2]!),
        (i) => promoteWithCli(baselineDir, actor, VERSIONS[i % 2]!),
      );
      const promoted = WARMUP + ITERATIONS;
      await checkSameHistory(gantryBare, baselineBare, promoted);

      ctx.log(`history: ${WARMUP} warmups + ${ITERATIONS} iterations each`);
      const history = await alternate(
        WARMUP,
        ITERATIONS,
        () => historyWithGantry(core, actor),
        () => historyWithCli(core.repo.dir),
      );

      ctx.log(`profile: ${PROFILE_ITERATIONS} more of each, with timed wrappers`);
      await profile(ctx, core, actor, baselineDir, promoted);

      if (process.env.BENCH_SAMPLES) {
        for (const [name, t] of Object.entries({ promote, history })) {
          ctx.log(`${name} samples, gantry:   ${t.a.map((x) => x.toFixed(0)).join(' ')}`);
          ctx.log(`${name} samples, baseline: ${t.b.map((x) => x.toFixed(0)).join(' ')}`);
        }
      }
      return [...compare('promote', 'ms', promote.a, promote.b, TARGET), ...compare('history', 'ms', history.a, history.b)];
    } finally {
      if (gantry) {
        await gantry.close();
        await ctx.wipePrefix(prefix);
      }
      rmSync(runDir, { recursive: true, force: true });
    }
  },
};

/**
 * Runs a and b `warmup + iterations` times each, alternating which goes first, so drift and
 * noise from the rest of the machine hit both; returns the timings after the warmups.
 */
export async function alternate(
  warmup: number,
  iterations: number,
  a: (i: number) => Promise<void>,
  b: (i: number) => Promise<void>,
): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < warmup + iterations; i++) {
    const first = i % 2 === 0 ? 'a' : 'b';
    for (const which of [first, first === 'a' ? 'b' : 'a'] as const) {
      const t = performance.now();
      await bounded(which === 'a' ? a(i) : b(i), which === 'a' ? 'gantry' : 'baseline');
      const took = performance.now() - t;
      if (i >= warmup) out[which].push(took);
    }
  }
  return out;
}

/** Where the time goes: the same commands again, gantry's with timed wrappers on its parts. */
async function profile(ctx: BenchContext, core: Core, actor: Actor, baselineDir: string, promoted: number): Promise<void> {
  const [gp, bp, gh, bh] = [new Profiler(), new Profiler(), new Profiler(), new Profiler()];
  instrument(core, gp);
  await alternate(
    0,
    PROFILE_ITERATIONS,
    (i) => profiled(gp, () => promoteWithGantry(core, actor, VERSIONS[(promoted + i) % 2]!)),
    (i) => profiled(bp, () => promoteWithCli(baselineDir, actor, VERSIONS[(promoted + i) % 2]!, bp)),
  );
  ctx.note(renderPhases(`### /promote ${PROMOTE_APP} <version> ${ENV}: where gantry's time goes`, promotePhases(gp)));
  ctx.note(renderPhases('### the same promotion with the git CLI alone (baseline)', baselinePhases(bp)));
  instrument(core, gh);
  await alternate(
    0,
    PROFILE_ITERATIONS,
    () => profiled(gh, () => historyWithGantry(core, actor)),
    () => profiled(bh, () => historyWithCli(core.repo.dir)),
  );
  ctx.note(renderPhases(`### /history ${HISTORY_APP} ${ENV}: where gantry's time goes`, historyPhases(gh)));
  ctx.note(renderPhases('### the same git log, alone (baseline)', baselinePhases(bh)));
}

async function profiled(p: Profiler, fn: () => Promise<void>): Promise<void> {
  p.mark('exec.start');
  await bounded(fn(), 'profiled command');
  p.mark('exec.end', true);
  p.next();
}

/** A catalog as a busy app has it: older builds, then the two versions promoted in turn. */
async function registerReleases(core: Core): Promise<void> {
  const versions = [...Array.from({ length: 18 }, (_, i) => `v1.9.${i}`), ...VERSIONS];
  let at = Date.parse('2025-01-01T00:00:00Z');
  for (const version of versions) {
    await core.releases.add({
      app: PROMOTE_APP,
      version,
      builtAt: new Date((at += 60_000)).toISOString(),
      images: { [PROMOTE_APP]: { repository: imageRepo(PROMOTE_APP), tag: version } },
    });
  }
}

async function promoteWithGantry(core: Core, actor: Actor, version: string): Promise<void> {
  const reply = await execute(core, `/promote ${PROMOTE_APP} ${version} ${ENV}`, { actor });
  const pushed = reply.ok && reply.kind === 'deployed' && reply.result.version === version && !reply.result.pullRequest;
  if (!pushed) throw new Error(`gantry promote did not push: ${JSON.stringify(reply)}`);
}

/** The same edit, commit (same trailers) and push, with node fs and the git CLI alone. */
async function promoteWithCli(dir: string, actor: Actor, version: string, p?: Profiler): Promise<void> {
  const step = <T>(label: string, fn: () => Promise<T>) => (p ? p.time(label, fn) : fn());
  const rel = manifestPath(PROMOTE_APP, ENV);
  const file = path.join(dir, rel);
  const before = await step('read manifest', () => readFile(file, 'utf8'));
  const image = new RegExp(`(image: ${imageRepo(PROMOTE_APP).replace(/[.]/g, '\\.')}):(\\S+)`);
  const previous = image.exec(before)?.[2];
  if (previous === undefined) throw new Error(`baseline: no image line in ${rel}`);
  await step('write manifest', () => writeFile(file, before.replace(image, `$1:${version}`)));
  const message = deployMessage({
    app: PROMOTE_APP,
    env: ENV,
    version,
    action: 'promote',
    requestedBy: actor,
    approvedBy: [],
    previousVersion: previous,
    request: `promote-${randomUUID()}`,
  });
  await step('git add', () => git(['add', '--', rel], dir));
  await step('git commit', () => git(['commit', '-q', '-F', '-'], dir, message));
  await step('git push', () => git(['push', '-q', 'origin', `HEAD:refs/heads/${BRANCH}`], dir));
}

async function historyWithGantry(core: Core, actor: Actor): Promise<void> {
  const reply = await execute(core, `/history ${HISTORY_APP} ${ENV}`, { actor });
  if (reply.kind !== 'history' || reply.entries.length !== HISTORY_N) throw new Error(`gantry history: ${JSON.stringify(reply)}`);
}

async function historyWithCli(dir: string): Promise<void> {
  const out = await git(
    ['log', '-n', String(HISTORY_N), '-E', '--all-match', `--grep=^Gantry-Environment: ${ENV}$`, `--grep=^Gantry-App: ${HISTORY_APP}$`, LOG_FORMAT],
    dir,
  );
  const n = out.split('\x1e').filter((r) => r.trim()).length;
  if (n !== HISTORY_N) throw new Error(`baseline git log found ${n} deployments, expected ${HISTORY_N}`);
}

/** A working clone made the way gantry makes its own. */
async function cliClone(bare: string, dir: string): Promise<string> {
  await git(['clone', '-q', '--no-tags', '--single-branch', '--branch', BRANCH, bare, dir]);
  await git(['config', 'user.name', 'baseline'], dir);
  await git(['config', 'user.email', 'baseline@localhost'], dir);
  return dir;
}

/** Both deploy repos got the same number of commits and the same manifest. */
async function checkSameHistory(a: string, b: string, promotions: number): Promise<void> {
  const count = async (bare: string) => (await git(['rev-list', '--count', BRANCH], bare)).trim();
  const file = async (bare: string) => git(['show', `${BRANCH}:${manifestPath(PROMOTE_APP, ENV)}`], bare);
  const [ca, cb, fa, fb] = await Promise.all([count(a), count(b), file(a), file(b)]);
  if (ca !== cb || Number(ca) !== SPEC.commits + promotions) throw new Error(`commit counts differ: gantry ${ca}, baseline ${cb}`);
  if (fa !== fb) throw new Error('gantry and the baseline wrote different manifests');
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${OP_TIMEOUT_MS / 1000} s`)), OP_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}


const ms = (n: number) => `${(n / 1000).toFixed(1)} s`;
