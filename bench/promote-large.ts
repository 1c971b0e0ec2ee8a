import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConfigSchema } from '../src/config/schema.js';
import { createGantry } from '../src/runtime/gantry.js';
import { silentLogger } from '../src/util/logger.js';
import {
  processEnv,
  processPromotions,
  promotedLine,
  shellInput,
  verifyProcessPromotions,
  writeProcessConfig,
  type ProcessPromotion,
} from './concurrent-promotions.js';
import { git, imageRepo, specConfigData } from './deploy-repo.js';
import { cloneFigures, historyFigures } from './large-figures.js';
import { runPromoteScenario, type Scenario } from './promote-scenario.js';
import { bounded, seconds } from './promote-steps.js';
import { envInt, round, type Benchmark, type Figure } from './report.js';
import { LARGE_SPEC } from './specs.js';

/**
 * Issue 16 at scale, only when named (`npm run bench -- promote-large`): the promote benchmark on
 * 20,000 manifests and 100,000 commits (generated once, about 13 minutes, then cached), plus
 * /history of a hot and a cold app, a new worker's warm clone, and 20 promotions from 20 processes.
 */
const NAME = 'promote-large';
/** BENCH_LARGE_PROCESSES=0 leaves out the 20 processes (each makes a warm clone of the large repo) */
const PROCESSES = envInt('BENCH_LARGE_PROCESSES', 1, 0) > 0;

export const promoteLargeBench: Benchmark = {
  name: NAME,
  onlyWhenNamed: true,
  run: (ctx) =>
    runPromoteScenario(ctx, {
      name: NAME,
      spec: LARGE_SPEC,
      promoteTarget: 0.7,
      grepHistory: false,
      more: async (s) => {
        const prefix = `bench-${randomBytes(4).toString('hex')}`;
        try {
          return [
            ...(await historyFigures(s, NAME)),
            ...(await cloneFigures(s, NAME, await ctx.redisUrl(), prefix)),
            ...(PROCESSES ? await processFigure(s, prefix) : []),
          ];
        } finally {
          await ctx.wipePrefix(prefix);
        }
      },
    }),
};

/**
 * 20 `gantry shell` processes, each promoting its own app to prod at once, on gantry's copy of the
 * large repo; everything they committed is checked (bench/concurrent-promotions.ts) and the wall
 * time from the first spawn to the last exit is reported (no baseline: the git CLI has no lock).
 */
async function processFigure(s: Scenario, prefix: string): Promise<Figure[]> {
  const promotions = processPromotions();
  const redisUrl = await s.ctx.redisUrl();
  const procPrefix = `${prefix}-proc`;
  // releases go in through a gantry without workers: the processes' own workers do the deploys
  const asker = createGantry({
    config: ConfigSchema.parse(specConfigData(s.spec, s.gantryBare, promotions.map((p) => p.app))),
    redisUrl,
    prefix: procPrefix,
    workdir: path.join(s.runDir, 'proc-asker'),
    log: silentLogger,
  });
  try {
    for (const p of promotions) {
      await asker.core.releases.add({ app: p.app, version: p.version, builtAt: new Date().toISOString(), images: { [p.app]: { repository: imageRepo(p.app), tag: p.version } } });
    }
    const before = (await git(['rev-parse', 'main'], s.gantryBare)).trim();
    const configDir = writeProcessConfig(path.join(s.runDir, 'proc-config'), s.spec, s.gantryBare, promotions);
    const env = processEnv({ configDir, redisUrl, prefix: procPrefix });
    s.ctx.log(`${promotions.length} gantry shell processes promoting at once`);
    const t0 = performance.now();
    const outputs = await Promise.all(promotions.map((p) => bounded(shell(s.ctx.root, path.join(s.runDir, 'proc', p.as), env, p), `gantry shell of ${p.as}`, 900_000)));
    const took = performance.now() - t0;
    promotions.forEach((p, i) => {
      if (!promotedLine(p).test(outputs[i]!)) throw new Error(`${p.as} did not promote ${p.app}:\n${outputs[i]!.slice(-1000)}`);
    });
    const problems = await verifyProcessPromotions(s.gantryBare, before, promotions);
    if (problems.length) throw new Error(`20 processes: ${problems.join('\n')}`);
    s.ctx.log(`${promotions.length} processes: all committed, every commit its own file only, git fsck clean, in ${seconds(took)}`);
    return [{ name: `${NAME}.processes-20`, unit: 's', value: round(took / 1000), baseline: null, ratio: null }];
  } finally {
    await asker.close();
    await s.ctx.wipePrefix(procPrefix);
  }
}

/** One `gantry shell` asked for one promotion; its output, once it exited 0. */
function shell(root: string, cwd: string, env: NodeJS.ProcessEnv, p: ProcessPromotion): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [path.join(root, 'dist', 'src', 'main.js'), 'shell', '--as', p.as], { cwd: mkdir(cwd), env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`gantry shell --as ${p.as} exited ${code}:\n${out.slice(-1000)}`))));
    child.stdin.end(shellInput(p));
  });
}

function mkdir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
