import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Core } from '../src/commands/context.js';
import { createGantry } from '../src/runtime/gantry.js';
import { silentLogger } from '../src/util/logger.js';
import { appName, git, manifestPath, specConfig } from './deploy-repo.js';
import { alternate, bounded, cliClone, ENV, historyByPath, historyWithGantry, seconds } from './promote-steps.js';
import type { Scenario } from './promote-scenario.js';
import { compare, envInt, round, type Figure } from './report.js';

/** Figures only the large repo has: /history of a hot and a cold app, and the warm clone. */
const HISTORY_ITERATIONS = envInt('BENCH_LARGE_HISTORY_ITERATIONS', 10);
const CLONE_ITERATIONS = envInt('BENCH_CLONE_ITERATIONS', 1);
const HISTORY_N = 10;
/** the aim: a cold app's history at most half of plain `git log -n 10 -- <path>` */
const COLD_TARGET = 0.5;

/**
 * `/history <app> prod` of the hot app and of a cold one (a few prod deploys far back) against
 * plain `git log -n 10 -- <its manifest>` in the baseline's full clone, which has no commit-graph.
 * Gantry's maintenance runs once first, as it would have on a warm clone in service.
 */
export async function historyFigures(s: Scenario, name: string): Promise<Figure[]> {
  await runMaintenance(s.core);
  dropCommitGraph(s.baselineDir);
  const cold = await pickColdApp(s);
  s.ctx.log(`cold app: ${cold.app} (${cold.commits} commits touch its ${ENV} manifest, the newest ${cold.age} commits back)`);
  const figures: Figure[] = [];
  for (const [kind, app, expect] of [['hot', s.spec.hot.app, HISTORY_N], ['cold', cold.app, undefined]] as const) {
    s.ctx.log(`history of the ${kind} app ${app}: 1 warmup + ${HISTORY_ITERATIONS} iterations each`);
    const t = await alternate(
      1,
      HISTORY_ITERATIONS,
      () => historyWithGantry(s.core, s.actor, app, expect),
      () => historyByPath(s.baselineDir, app, HISTORY_N, kind === 'hot' ? HISTORY_N : Math.min(HISTORY_N, cold.commits)),
    );
    figures.push(...compare(`${name}.history-${kind}`, 'ms', t.a, t.b, kind === 'cold' ? COLD_TARGET : undefined));
  }
  return figures;
}

/**
 * Gantry's background maintenance, once. The clone engineer's Maintenance component (issue 16)
 * runs it when it exists; until it is merged, the commit-graph with changed-path Bloom filters that
 * maintainSoon writes is written here by hand. Replace the fallback once Maintenance has landed.
 */
async function runMaintenance(core: Core): Promise<void> {
  const m = (core.repo as unknown as { maintenance?: { run?: () => Promise<unknown> } }).maintenance;
  if (typeof m?.run === 'function') {
    await bounded(m.run(), 'gantry maintenance', 600_000);
    return;
  }
  await git(['commit-graph', 'write', '--reachable', '--changed-paths', '--split'], core.repo.dir);
}

/** The baseline is a plain clone: no commit-graph, whatever the source repo had. */
function dropCommitGraph(dir: string): void {
  for (const f of ['commit-graph', 'commit-graphs']) rmSync(path.join(dir, '.git', 'objects', 'info', f), { recursive: true, force: true });
}

/**
 * A cold app: few prod deploys, the newest far back. Candidates are the prod manifests the
 * generator bumped least (its meta), looked up in gantry's clone (Bloom filters make that cheap);
 * the one whose newest commit is oldest wins, among those with at least two.
 */
async function pickColdApp(s: Scenario): Promise<{ app: string; commits: number; age: number }> {
  const taken = new Set([s.spec.hot.app, appName(0)]);
  const candidates = Object.entries(s.repo.meta.tags)
    .filter(([p]) => p.endsWith(`/${ENV}/deployment.yaml`))
    .map(([p, tag]) => ({ app: p.split('/')[1]!, n: Number(tag.split('.').pop()) }))
    .filter((c) => !taken.has(c.app) && c.n >= 3 && c.n <= 6)
    .slice(0, 40);
  let best: { app: string; commits: number; age: number } | undefined;
  for (const c of candidates) {
    const shas = (await git(['log', '--format=%H', 'HEAD', '--', manifestPath(c.app, ENV)], s.core.repo.dir)).trim().split('\n').filter(Boolean);
    if (shas.length < 2) continue;
    const age = Number((await git(['rev-list', '--count', `${shas[0]}..HEAD`], s.core.repo.dir)).trim());
    if (!best || age > best.age) best = { app: c.app, commits: shas.length, age };
  }
  if (!best) throw new Error('no cold app found in the generated repo');
  return best;
}

/**
 * A new worker's warm clone: gantry's GitRepo.ensure() (its lean clone, issue 16) against a full
 * `git clone`, both from a file:// URL of the same bare repo so neither takes hardlinks: time, and
 * bytes on disk of the clone (blocks, as du counts them).
 */
export async function cloneFigures(s: Scenario, name: string, redisUrl: string, prefix: string): Promise<Figure[]> {
  const url = pathToFileURL(s.gantryBare).href;
  const times = { a: [] as number[], b: [] as number[] };
  const disk = { a: 0, b: 0 };
  for (let i = 0; i < CLONE_ITERATIONS; i++) {
    const dirA = path.join(s.runDir, `clone-gantry-${i}`);
    const dirB = path.join(s.runDir, `clone-git-${i}`);
    const order = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) {
      const t0 = performance.now();
      if (which === 'a') {
        const g = createGantry({ config: specConfig(s.spec, url), redisUrl, prefix: `${prefix}-${i}`, workdir: dirA, log: silentLogger });
        try {
          await bounded(g.core.repo.ensure(), 'gantry warm clone', 900_000);
          times.a.push(performance.now() - t0);
          disk.a = diskBytes(g.core.repo.dir);
        } finally {
          await g.close();
        }
      } else {
        await bounded(cliClone(url, dirB), 'git clone', 900_000);
        times.b.push(performance.now() - t0);
        disk.b = diskBytes(dirB);
      }
    }
    s.ctx.log(`warm clone ${i + 1}: gantry ${seconds(times.a.at(-1)!)} ${mb(disk.a)} MB, git clone ${seconds(times.b.at(-1)!)} ${mb(disk.b)} MB`);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const [ta, tb] = [median(times.a), median(times.b)];
  return [
    { name: `${name}.clone-time`, unit: 's', value: round(ta / 1000), baseline: round(tb / 1000), ratio: round(ta / tb, 3) },
    { name: `${name}.clone-disk`, unit: 'MB', value: mb(disk.a), baseline: mb(disk.b), ratio: round(disk.a / disk.b, 3) },
  ];
}

/** Bytes of the blocks a directory's files take (each inode once), as `du` counts. */
export function diskBytes(dir: string): number {
  if (!existsSync(dir)) throw new Error(`${dir} does not exist`);
  const seen = new Set<string>();
  let bytes = 0;
  const walk = (p: string) => {
    const st = lstatSync(p, { bigint: false });
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    bytes += st.blocks * 512;
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return bytes;
}

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
