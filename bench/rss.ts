import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { envInt, round, summarize, type Benchmark } from './report.js';

/**
 * Idle memory of `gantry start` in local mode (no credentials, no REDIS_URL: it starts its own
 * Redis and deploy repo in a fresh directory), against a bare `node` process that only keeps a
 * timer, measured in the same run. Ready means it has answered a command on its standard input;
 * then both idle a few seconds and their VmRSS is read from /proc.
 */
const SETTLE_MS = envInt('BENCH_RSS_SETTLE_MS', 5000);
const SAMPLES = 5;
/** the idle RSS aimed at (issue 6) */
const TARGET_MB = 150;

export const rssBench: Benchmark = {
  name: 'rss',
  async run(ctx) {
    const main = path.join(ctx.root, 'dist', 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: npm run bench builds it`);
    const cwd = mkdtempSync(path.join(ctx.workDir, 'rss-'));
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    // local mode: nothing that points at a shared Redis or turns a platform on
    for (const k of Object.keys(env)) {
      if (/^(REDIS_URL|GANTRY_|SLACK_|DINGTALK_|GITHUB_|SMTP_URL)/.test(k)) delete env[k];
    }
    let gantry: ChildProcess | undefined;
    let bare: ChildProcess | undefined;
    try {
      gantry = spawn('node', [main, 'start', '--as', 'bench'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      gantry.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      gantry.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const t0 = Date.now();
      // ready: it answers a command (so Redis, the deploy repo and the workers are up)
      gantry.stdin!.write('/status qa\n');
      await waitFor(() => /registry\.example\.com\/acme\/web:v1\.0\.0/.test(out), () => `gantry start did not answer /status within 60 s:\n${out}`, 60_000);
      const readyMs = Date.now() - t0;
      bare = spawn('node', ['-e', 'setInterval(() => {}, 1e3)'], { stdio: 'ignore' });
      await sleep(SETTLE_MS);
      const [g, b] = [await sampleRss(gantry.pid!), await sampleRss(bare.pid!)];
      const redis = childPids(gantry.pid!).map((pid) => ({ pid, cmd: cmdline(pid), rss: rssMb(pid) })).filter((c) => /redis-server/.test(c.cmd));
      const redisMb = redis.reduce((a, c) => a + (c.rss ?? 0), 0);
      ctx.note(
        `### idle RSS of gantry start (local mode)\n\n` +
          `gantry ${round(g, 1)} MB (target < ${TARGET_MB} MB: ${g < TARGET_MB ? 'met' : 'not met'}), a bare node process ${round(b, 1)} MB; ` +
          `the Redis it started for itself ${round(redisMb, 1)} MB more (a separate process). Ready (answered /status) ${readyMs} ms after the start, sampled after ${SETTLE_MS} ms idle.`,
      );
      return [{ name: 'rss.idle', unit: 'MB', value: round(g, 1), baseline: round(b, 1), ratio: round(g / b, 3) }];
    } finally {
      bare?.kill('SIGKILL');
      if (gantry) await stop(gantry);
      rmSync(cwd, { recursive: true, force: true });
    }
  },
};

/** Median of a few VmRSS readings, MB. */
async function sampleRss(pid: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const mb = rssMb(pid);
    if (mb === undefined) throw new Error(`process ${pid} is gone`);
    xs.push(mb);
    await sleep(200);
  }
  return summarize(xs).median;
}

function rssMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** End of input ends the shell, which stops its Redis; SIGTERM, then SIGKILL (and its Redis) if it hangs. */
async function stop(p: ChildProcess): Promise<void> {
  const children = childPids(p.pid!);
  const exited = new Promise<void>((r) => (p.exitCode !== null ? r() : p.once('exit', () => r())));
  p.stdin?.end();
  const gone = (ms: number) => Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  if (await gone(10_000)) return;
  p.kill('SIGTERM');
  if (await gone(5000)) return;
  p.kill('SIGKILL');
  for (const c of children) {
    try {
      process.kill(c, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function waitFor(check: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what());
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

