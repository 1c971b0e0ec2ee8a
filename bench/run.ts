import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startRedis, type LocalRedis } from '../src/runtime/redis-server.js';
import { promoteBench } from './promote.js';
import { promoteLargeBench } from './promote-large.js';
import { slackAckBench } from './slack-ack.js';
import { buildBench } from './build.js';
import { ingestBench } from './ingest.js';
import { queueBench } from './queue.js';
import { rssBench } from './rss.js';
import { rolloutBench } from './rollout.js';
import { logFanoutBench } from './log-fanout.js';
import { overviewBench } from './overview.js';
import { renderTable, writeReport, type Benchmark, type BenchContext, type Figure } from './report.js';

/**
 * `npm run bench [-- <name>…]`: runs every benchmark (or the ones named), prints one markdown
 * table and writes bench/report.json. A run of only some benchmarks keeps the other entries of
 * the report. A Redis is started on 127.0.0.1 for the run unless REDIS_URL names one. Benchmarks
 * marked onlyWhenNamed (promote-large) run only when named. Scratch space and the cache of
 * generated deploy repos are in bench/work (BENCH_WORK_DIR); BENCH_REPO_CACHE names another place
 * for the cached repos alone, e.g. another checkout's bench/work (they are only copied, never written).
 */
const BENCHMARKS: readonly Benchmark[] = [promoteBench, promoteLargeBench, ingestBench, buildBench, slackAckBench, queueBench, rssBench, rolloutBench, logFanoutBench, overviewBench];

async function main(): Promise<number> {
  const started = performance.now();
  const root = projectRoot(import.meta.dirname);
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')} (known: ${BENCHMARKS.map((b) => b.name).join(', ')})\n`);
    return 2;
  }
  const selected = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS.filter((b) => !b.onlyWhenNamed);
  const workDir = path.resolve(process.env.BENCH_WORK_DIR || path.join(root, 'bench', 'work'));
  mkdirSync(workDir, { recursive: true });
  const repoCache = path.resolve(process.env.BENCH_REPO_CACHE || workDir);

  let redis: Promise<{ url: string; local?: LocalRedis }> | undefined;
  const notes: string[] = [];
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const ctx: BenchContext = {
    root,
    workDir,
    repoCache,
    redisUrl: async () => {
      redis ??= process.env.REDIS_URL ? Promise.resolve({ url: process.env.REDIS_URL }) : startRedis().then((local) => ({ url: local.url, local }));
      return (await redis).url;
    },
    wipePrefix: async (prefix) => wipePrefix(await ctx.redisUrl(), prefix),
    log,
    note: (md) => notes.push(md),
  };

  const figures: Figure[] = [];
  let failed = 0;
  try {
    for (const b of selected) {
      const t = performance.now();
      log(`${b.name}: start`);
      try {
        figures.push(...(await b.run(ctx)));
        log(`${b.name}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      } catch (e) {
        failed++;
        log(`${b.name}: FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  } finally {
    const r = await redis?.catch(() => undefined);
    await r?.local?.stop();
  }

  const reportFile = path.join(root, 'bench', 'report.json');
  if (figures.length) writeReport(reportFile, figures, names.length > 0);
  const markdown = `## gantry benchmarks\n\n${renderTable(figures)}\n\n${notes.map((n) => `${n}\n\n`).join('')}`;
  process.stdout.write(markdown);
  // the markdown report is one run's: a run of only some benchmarks prints its part and leaves the file
  const mdFile = path.join(root, 'bench', 'report.md');
  if (!names.length && figures.length) writeFileSync(mdFile, `${markdown.trimEnd()}\n\nMeasured ${new Date().toISOString()} on ${os.availableParallelism()} cores, Node ${process.version}.\n`);
  process.stdout.write(`report: ${path.relative(process.cwd(), reportFile)}${!names.length && figures.length ? ` and ${path.relative(process.cwd(), mdFile)}` : ''}; took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return failed ? 1 : 0;
}

/** Deletes every key under `prefix:` (BullMQ's too). */
async function wipePrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    for (let rounds = 0; rounds < 100_000; rounds++) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    r.disconnect();
  }
}

/** The nearest directory up from `dir` whose package.json is gantry's (works from bench/ and dist/bench/). */
function projectRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gantry') return d;
    if (path.dirname(d) === d) throw new Error(`no gantry package.json above ${dir}`);
  }
}

const code = await main();
process.exitCode = code;
// anything left open (a Redis socket, a BullMQ timer) must not keep the process alive
setTimeout(() => process.exit(code), 2000).unref();
