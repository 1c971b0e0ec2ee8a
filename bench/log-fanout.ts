import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { BuildLogStore, newBuildId } from '../src/images/build-log.js';
import { Keys } from '../src/store/redis.js';
import { compare, envInt, round, type Benchmark } from './report.js';

/**
 * Live build logs fanned out to 100 viewers of one build. Three processes, so each one's CPU is
 * its own: this one writes the log as a build worker does (batched XADDs), a server process runs
 * gantry's LiveLogs (one Redis reader, every line written to every viewer), a client process
 * holds the 100 SSE connections. Figures are CPU microseconds per log line: the server's for all
 * 100 viewers, and the writer's, each against writing the same lines to a file alone (this
 * process, same run).
 */
const VIEWERS = envInt('BENCH_FANOUT_VIEWERS', 100);
const LINES = envInt('BENCH_FANOUT_LINES', 5000);
const ROUNDS = envInt('BENCH_FANOUT_ROUNDS', 5);

function child(role: 'server' | 'clients', args: string[] = []): ChildProcess {
  return fork(path.join(import.meta.dirname, 'log-fanout-child.js'), [role, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Sends `msg` and waits for the reply named `reply`. */
function ask<T extends Record<string, unknown>>(c: ChildProcess, reply: string, msg?: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${reply} from the ${c.spawnargs[2]} process`)), 60_000);
    const on = (m: T & { reply: string }) => {
      if (m.reply !== reply) return;
      clearTimeout(timer);
      c.off('message', on);
      resolve(m);
    };
    c.on('message', on);
    if (msg) c.send(msg);
  });
}

/** Lines like a compiler's: 60 to 140 characters. */
function lines(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `[${i}] src/module-${i % 97}.c:${i % 400}: compiling ${'x'.repeat(50 + (i % 80))}`);
}

const cpuUs = (d: NodeJS.CpuUsage) => d.user + d.system;

export const logFanoutBench: Benchmark = {
  name: 'log-fanout',
  async run(ctx) {
    const url = await ctx.redisUrl();
    const prefix = `bench-fanout-${process.pid}`;
    const redis = new Redis(url);
    const store = new BuildLogStore(redis, new Keys(prefix), { retentionMs: 600_000, maxLines: 100_000 });
    const server = child('server', [url, prefix]);
    const clients = child('clients');
    const dir = mkdtempSync(path.join(ctx.workDir, 'fanout-'));
    const served: number[] = [];
    const written: number[] = [];
    const file: number[] = [];
    try {
      const [{ port }] = await Promise.all([ask<{ port: number }>(server, 'ready'), ask(clients, 'ready')]);
      const text = lines(LINES);
      for (let round = 0; round < ROUNDS; round++) {
        const id = newBuildId();
        const writer = await store.start(id, { app: 'bench', image: 'bench', repo: 'acme/bench', sha: 'f'.repeat(40), version: 'v1', trigger: 'tag v1', dockerfile: 'Dockerfile' });
        const open = ask(clients, 'open', { op: 'watch', url: `http://127.0.0.1:${port}/builds/${id}/events`, n: VIEWERS });
        await open;
        // every viewer is attached and replayed (nothing yet) before the first line
        for (;;) {
          const w = await ask<{ n: number }>(server, 'watching', { op: 'watching' });
          if (w.n >= VIEWERS) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        const done = ask<{ counts: number[] }>(clients, 'done');
        await ask(server, 'mark', { op: 'mark' });
        const t0 = process.cpuUsage();
        for (const l of text) writer.line(l);
        await writer.close();
        await store.end(id, { state: 'succeeded' });
        written.push(cpuUs(process.cpuUsage(t0)) / LINES);
        const { counts } = await done;
        const { us } = await ask<{ us: number }>(server, 'cpu', { op: 'cpu' });
        served.push(us / LINES);
        const short = counts.filter((c) => c !== LINES + 1).length;
        if (short) throw new Error(`${short} of ${VIEWERS} viewers did not get all ${LINES} lines and the end`);

        // the baseline: the same lines to a file, nothing else
        const f0 = process.cpuUsage();
        const out = createWriteStream(path.join(dir, `log-${round}.txt`));
        for (const l of text) out.write(`${l}\n`);
        await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
        file.push(cpuUs(process.cpuUsage(f0)) / LINES);
      }
      ctx.note(
        `**log-fanout**: ${VIEWERS} SSE viewers of one build, ${LINES} lines × ${ROUNDS} rounds. Server CPU per line for all viewers ` +
          `${round(served.sort((a, b) => a - b)[served.length >> 1]!)} µs (${round(served[served.length >> 1]! / VIEWERS, 3)} µs per line per viewer); ` +
          `writer (batched XADD) ${round(written.sort((a, b) => a - b)[written.length >> 1]!)} µs per line; a plain file write ${round(file.sort((a, b) => a - b)[file.length >> 1]!)} µs per line.`,
      );
      return [...compare('log-fanout.server-100', 'µs CPU/line', served, file), ...compare('log-fanout.writer', 'µs CPU/line', written, file)];
    } finally {
      server.kill();
      clients.kill();
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
      await ctx.wipePrefix(prefix);
    }
  },
};
