import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullConnection } from '../src/store/redis.js';
import { envInt, round, summarize, type Benchmark, type BenchContext, type Figure } from './report.js';

/**
 * Queue throughput: no-op jobs run by 1 and then 2 separate worker processes (bench/queue-worker.ts),
 * jobs per second each, and the scale-out ratio. Each measurement fills the queue first, starts the
 * workers together and times them until the queue is empty, so the producer is not measured.
 * Rounds alternate which of the two goes first, so drift hits both; medians are reported.
 *
 * A no-op job costs only CPU (the worker's and Redis's), so the CPU time per job is measured too:
 * it says how many jobs per second the machine's cores can carry at all, and so how much scale-out
 * is possible here, whatever the code does.
 */
const JOBS = envInt('BENCH_QUEUE_JOBS', 20_000);
const ROUNDS = envInt('BENCH_QUEUE_ROUNDS', 3);
/** per worker process: gantry's GitHub event worker runs 16 (its notification worker 8, deploys 4) */
const CONCURRENCY = envInt('BENCH_QUEUE_CONCURRENCY', 16);
/** also measured once each, to show where scale-out comes from */
const SWEEP = [1, 4];
/** the scale-out aimed at, from one worker process to two (issue 6) */
const TARGET = 1.7;
const QUEUE = 'bench-noop';
/** as gantry's queues keep finished jobs: an hour, a thousand at most */
const JOB_OPTIONS = { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 86_400 } } as const;

interface Run {
  rate: number;
  /** worker processes' and Redis's CPU time per job, µs */
  workerCpu: number;
  redisCpu: number;
}

export const queueBench: Benchmark = {
  name: 'queue',
  async run(ctx) {
    const script = path.join(import.meta.dirname, 'queue-worker.js');
    if (!existsSync(script)) throw new Error(`${script} is missing: the benchmark runs from dist/ (npm run bench builds it)`);
    const url = await ctx.redisUrl();
    const prefix = `bench-q-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(QUEUE, { connection: bullConnection(url), prefix });
    const info = new Redis(url, { maxRetriesPerRequest: 2 });
    const runs: Record<1 | 2, Run[]> = { 1: [], 2: [] };
    const sweep: string[] = [];
    try {
      ctx.log(`queue: ${ROUNDS} rounds of ${JOBS} no-op jobs, 1 and 2 worker processes (concurrency ${CONCURRENCY} each)`);
      for (let r = 0; r < ROUNDS; r++) {
        for (const n of r % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
          const run = await measure(ctx, queue, info, script, url, prefix, n, CONCURRENCY);
          runs[n].push(run);
          ctx.log(`queue: round ${r + 1}, ${n} process${n === 1 ? '' : 'es'}: ${Math.round(run.rate)} jobs/s`);
        }
      }
      for (const c of SWEEP) {
        const [a, b] = [await measure(ctx, queue, info, script, url, prefix, 1, c), await measure(ctx, queue, info, script, url, prefix, 2, c)];
        sweep.push(`| ${c} | ${Math.round(a.rate)} | ${Math.round(b.rate)} | ${round(b.rate / a.rate, 2)}× | ${Math.round(a.workerCpu + a.redisCpu)} µs |`);
      }
    } finally {
      await queue.close();
      info.disconnect();
      await ctx.wipePrefix(prefix);
    }
    const med = (n: 1 | 2, k: keyof Run) => summarize(runs[n].map((x) => x[k])).median;
    const [one, two] = [med(1, 'rate'), med(2, 'rate')];
    const ratio = two / one;
    const cpuPerJob = med(1, 'workerCpu') + med(1, 'redisCpu');
    // all cores busy with nothing but these jobs: the most this machine can carry
    const ceiling = (os.availableParallelism() * 1e6) / cpuPerJob;
    ctx.note(
      `### queue throughput (no-op jobs)\n\n` +
        `Concurrency ${CONCURRENCY} per process: 1 process ${Math.round(one)} jobs/s, 2 processes ${Math.round(two)} jobs/s, ` +
        `scale-out ${round(ratio, 2)}× (target ≥ ${TARGET}: ${ratio >= TARGET ? 'met' : 'not met'}). ` +
        `A job costs ${Math.round(med(1, 'workerCpu'))} µs of worker CPU and ${Math.round(med(1, 'redisCpu'))} µs of Redis CPU, ` +
        `so one process already keeps ${round((one * cpuPerJob) / 1e6, 2)} of this machine's ${os.availableParallelism()} cores busy; ` +
        `the cores can carry about ${Math.round(ceiling)} jobs/s in all, at most ${round(ceiling / one, 2)}× what one process does.\n\n` +
        `| concurrency per process | 1 process, jobs/s | 2 processes, jobs/s | scale-out | CPU per job (1 process) |\n| --- | --- | --- | --- | --- |\n` +
        `| ${CONCURRENCY} (median of ${ROUNDS}) | ${Math.round(one)} | ${Math.round(two)} | ${round(ratio, 2)}× | ${Math.round(cpuPerJob)} µs |\n${sweep.join('\n')}`,
    );
    const figures: Figure[] = [
      { name: 'queue.throughput.1-process', unit: 'jobs/s', value: Math.round(one), baseline: null, ratio: null },
      // the baseline of two processes is one: the ratio is the scale-out
      { name: 'queue.throughput.2-processes', unit: 'jobs/s', value: Math.round(two), baseline: Math.round(one), ratio: round(ratio, 3) },
      // what all cores could carry, against one process: the scale-out this machine allows
      { name: 'queue.cpu-ceiling', unit: 'jobs/s', value: Math.round(ceiling), baseline: Math.round(one), ratio: round(ceiling / one, 3) },
    ];
    return figures;
  },
};

/** Fills the queue, runs `n` worker processes until it is empty. */
async function measure(ctx: BenchContext, queue: Queue, info: Redis, script: string, url: string, prefix: string, n: number, concurrency: number): Promise<Run> {
  for (let i = 0; i < JOBS; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: JOB_OPTIONS })));
  }
  const workers = Array.from({ length: n }, () => fork(script, [url, prefix, QUEUE, String(concurrency)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const ready = workers.map((w) => message(w, 'ready', 30_000));
    await Promise.all(ready);
    const redisBefore = await redisCpu(info);
    const t0 = performance.now();
    for (const w of workers) w.send({ type: 'go' });
    const deadline = Date.now() + 300_000;
    for (;;) {
      const c = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
      if (Object.values(c).every((v) => v === 0)) break;
      if (Date.now() > deadline) throw new Error(`queue not drained after 300 s: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (performance.now() - t0) / 1000;
    const redisAfter = await redisCpu(info);
    const stopped = await Promise.all(
      workers.map((w) => {
        w.send({ type: 'stop' });
        return message(w, 'stopped', 30_000);
      }),
    );
    // every job ran, and ran once
    const done = stopped.map((m) => m.done as number);
    const total = done.reduce((a, b) => a + b, 0);
    if (total !== JOBS) throw new Error(`${n} worker process(es) ran ${total} jobs, not ${JOBS}`);
    ctx.log(`queue: concurrency ${concurrency}, ${n} process${n === 1 ? '' : 'es'} shared the jobs ${done.join(' / ')}`);
    const workerMicros = stopped.reduce((a, m) => a + (m.cpuMicros as number), 0);
    return { rate: JOBS / seconds, workerCpu: workerMicros / JOBS, redisCpu: ((redisAfter - redisBefore) * 1e6) / JOBS };
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  }
}

/** Redis's own CPU time so far, seconds (INFO cpu). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return get('used_cpu_user') + get('used_cpu_sys');
}

function message(w: ChildProcess, type: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`queue worker: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: Record<string, unknown>) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`queue worker exited (${code}) before "${type}"`));
    };
    w.on('message', onMessage);
    w.once('exit', onExit);
  });
}

