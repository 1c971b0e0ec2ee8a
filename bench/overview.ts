import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execute } from '../src/commands/execute.js';
import { actorFor } from '../src/domain/identity.js';
import { apiRoutes } from '../src/http/api.js';
import { createHttpServer, listen } from '../src/http/server.js';
import { Voice } from '../src/i18n/voice.js';
import { createGantry, type Gantry } from '../src/runtime/gantry.js';
import { Keys } from '../src/store/redis.js';
import { silentLogger } from '../src/util/logger.js';
import { pageRoutes } from '../src/web/pages/index.js';
import type { WebAccess } from '../src/web/viewer.js';
import { appName, copyRepo, ensureDeployRepo, git, imageRepo, specConfig, type DeployRepoSpec } from './deploy-repo.js';
import { alternate } from './promote-steps.js';
import { compare, envInt, round, summarize, type Benchmark } from './report.js';

/**
 * The dashboard's overview (`GET /`) of 50 apps × 5 environments on a deploy repo of 10,000
 * commits, served by a real gantry web (real Redis, git CLI): warm (the deploy branch did not
 * move), and the first view after a deploy moved it (only the moved cell is read again). The
 * baselines, measured in the same run: one `git log -1` process on the same clone (the least any
 * read of the repo costs), and the bare JSON `/api/status` of the same apps and environments.
 */
const ITERATIONS = envInt('BENCH_ITERATIONS', 30);
const WARMUP = envInt('BENCH_WARMUP', 3, 0);
/** the overview's server time aimed at, in ms (issue 14) */
const TARGET_MS = 50;
const ENVS = ['dev', 'qa', 'staging', 'preprod', 'prod'] as const;
const SPEC: DeployRepoSpec = {
  apps: 50,
  envs: ENVS,
  commits: 10_000,
  deployShare: 0.7,
  hot: { app: appName(1), env: 'prod', every: 150 },
  seed: 14,
};
/** /api/status reads every cell from git on each call (seconds here): a few runs say enough */
const API_ITERATIONS = envInt('BENCH_API_ITERATIONS', 3);
const TOKEN = 'bench-token-0123456789abcdefghijkl';
const MOVED_APP = appName(0);
const VERSIONS = ['v3.0.0', 'v3.0.1'] as const;

export const overviewBench: Benchmark = {
  name: 'overview',
  async run(ctx) {
    const repo = await ensureDeployRepo(ctx.repoCache, SPEC);
    ctx.log(`deploy repo: ${repo.meta.files} manifests, ${repo.meta.commits} commits${repo.cached ? ' (from the cache)' : ''}`);
    const runDir = mkdtempSync(path.join(ctx.workDir, 'overview-'));
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    let gantry: Gantry | undefined;
    let server: Server | undefined;
    try {
      const config = specConfig(SPEC, copyRepo(repo.bare, path.join(runDir, 'deploy.git')));
      gantry = createGantry({ config, redisUrl: await ctx.redisUrl(), prefix, workdir: path.join(runDir, 'work'), log: silentLogger });
      gantry.startWorkers();
      for (const [i, version] of VERSIONS.entries()) {
        const images = { [MOVED_APP]: { repository: imageRepo(MOVED_APP), tag: version } };
        await gantry.core.releases.add({ app: MOVED_APP, version, builtAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), images });
      }
      // reading as `web.publicRead` lets anyone: the bench measures the page, not the session lookup
      const voice = new Voice('en', 'UTC');
      const access: WebAccess = { reader: async () => ({ voice }), actor: async () => undefined };
      const deps = { services: gantry.services, redis: gantry.redis, keys: new Keys(prefix), log: silentLogger, now: () => new Date() };
      const routes = [...pageRoutes(deps, access), ...apiRoutes({ token: TOKEN, queries: gantry.services.queries, register: gantry.services.registerRelease, log: silentLogger })];
      server = createHttpServer(routes, silentLogger);
      const base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;

      const view = () => get(`${base}/`, {}, appName(SPEC.apps - 1));
      const page = async () => {
        await view();
      };
      const status = async () => {
        await get(`${base}/api/status`, { authorization: `Bearer ${TOKEN}` }, '"environments"');
      };
      const gitLog = async () => {
        await git(['log', '-1', '--format=%H'], gantry!.core.repo.dir);
      };

      // gantry keeps a commit-graph with changed-path filters in its clone (GitRepo.maintainSoon, within a
      // minute of starting); a fresh copy has none yet, and a first view without it measures git, not gantry
      await gantry.core.repo.ensure();
      await git(['commit-graph', 'write', '--reachable', '--changed-paths'], gantry.core.repo.dir);
      let t = performance.now();
      await page();
      const cold = performance.now() - t;
      ctx.log(`overview: first view (every cell read) ${round(cold)} ms`);

      const warm = await alternate(WARMUP, ITERATIONS, page, gitLog);
      ctx.log(`overview: warm median ${round(summarize(warm.a).median)} ms; now against /api/status (it reads git per cell: a few runs)`);
      const api = await alternate(0, API_ITERATIONS, page, status);

      // a deploy moves the branch: the next view reads the one cell it touched
      const moved: number[] = [];
      const actor = actorFor(config, 'shell:bench');
      for (let i = 0; i < Math.min(ITERATIONS, 10); i++) {
        const reply = await execute(gantry.core, `/promote ${MOVED_APP} ${VERSIONS[i % 2]} dev`, { actor });
        if (!reply.ok || reply.kind !== 'deployed') throw new Error(`promote did not deploy: ${JSON.stringify(reply)}`);
        t = performance.now();
        const body = await view();
        moved.push(performance.now() - t);
        if (!body.includes(`>${VERSIONS[i % 2]}</a>`)) throw new Error(`the overview does not show ${MOVED_APP} ${VERSIONS[i % 2]} right after the deploy`);
      }
      ctx.note(
        `overview: ${SPEC.apps} apps × ${ENVS.length} environments, ${repo.meta.commits} commits; target under ${TARGET_MS} ms server time. ` +
          `First view (every cell read from git): ${round(cold)} ms. After a deploy (one cell read again): ` +
          `median ${round(summarize(moved).median)} ms of ${moved.length}.`,
      );
      return [
        ...compare('overview.warm-vs-git-log', 'ms', warm.a, warm.b),
        ...compare('overview.warm-vs-api-status', 'ms', api.a, api.b),
        ...compare('overview.after-deploy-vs-git-log', 'ms', moved, warm.b),
      ];
    } finally {
      server?.closeAllConnections();
      server?.close();
      if (gantry) {
        await gantry.close();
        await ctx.wipePrefix(prefix);
      }
      rmSync(runDir, { recursive: true, force: true });
    }
  },
};

async function get(url: string, headers: Record<string, string>, expect: string): Promise<string> {
  const r = await fetch(url, { headers });
  const body = await r.text();
  if (r.status !== 200 || !body.includes(expect)) throw new Error(`GET ${url}: ${r.status}, ${body.slice(0, 200)}`);
  return body;
}

