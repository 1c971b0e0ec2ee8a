import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { buildImage } from '../src/images/builder.js';
import type { BuildProgress } from '../src/images/types.js';
import { tarballFromDirectory } from '../test/support/source-tarball.js';
import { startDockerServices, type DockerServices } from '../test/support/docker-services.js';
import { run, which } from '../src/util/exec.js';
import { envInt, compare, summarize, type Benchmark } from './report.js';

/**
 * A source change built and pushed by gantry (GitHub-like source tarball → context → dockerode →
 * push) against the same context built and pushed with the docker CLI (`docker build` of the
 * checked-out directory + `docker push`), same daemon, same registry, same run. Each iteration
 * changes one file near the top of the Dockerfile for both, so both rebuild and push the same
 * layers; everything above it is cached for both. The baseline's checkout is not timed.
 */
const ITERATIONS = envInt('BENCH_BUILD_ITERATIONS', 7);
const WARMUP = envInt('BENCH_BUILD_WARMUP', 1, 0);
/** gantry / docker CLI ratio aimed at */
const TARGET = 1.1;
const OP_TIMEOUT_MS = 120_000;
const BUSYBOX = '/bin/busybox';

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY stamp.txt /app/stamp.txt
COPY src/ /app/src/
RUN cat /app/stamp.txt && find /app/src -type f | wc -l > /app/count
CMD ["/bin/cat", "/app/count"]
`;

export const buildBench: Benchmark = {
  name: 'build',
  async run(ctx) {
    if (!(await which('docker'))) throw new Error('the docker CLI is not installed (Debian: apt-get install docker.io)');
    const runDir = mkdtempSync(path.join(ctx.workDir, 'build-'));
    let services: DockerServices | undefined;
    try {
      let host = process.env.DOCKER_HOST;
      let registry = process.env.GANTRY_REGISTRY;
      if (!host || !registry) {
        ctx.log('starting a private dockerd and registry');
        services = await startDockerServices();
        host = services.dockerd.host;
        registry = services.registry.address;
      }
      if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST must be unix://… for this benchmark, not ${host}`);
      const client = new Docker({ socketPath: host.slice('unix://'.length) });
      const app = writeFixture(path.join(runDir, 'app'));
      const stats = `${app.files} files, ${(app.bytes / 1024 / 1024).toFixed(1)} MiB`;
      ctx.log(`fixture: ${stats}; ${WARMUP} warmup + ${ITERATIONS} iterations each, gantry and docker CLI alternating`);
      const tag = (who: string, i: number) => `${who}-${i}-${randomBytes(2).toString('hex')}`;
      const gantryRepo = `${registry}/bench/gantry`;
      const cliRepo = `${registry}/bench/cli`;
      const pushed: string[] = [];
      const phases = { context: [] as number[], build: [] as number[], push: [] as number[], cliBuild: [] as number[], cliPush: [] as number[] };

      const gantry = async (i: number) => {
        // the source as GitHub would send it; making it is not timed
        writeFileSync(path.join(app.dir, 'stamp.txt'), `gantry ${i} ${randomBytes(8).toString('hex')}\n`);
        const source = await buffer(await tarballFromDirectory(app.dir, { top: `acme-bench-${i}` }));
        const t = tag('g', i);
        const marks: Partial<Record<BuildProgress['phase'], number>> = {};
        const t0 = performance.now();
        const r = await buildImage(
          client,
          { source: Readable.from([source]), repository: gantryRepo, tags: [t], timeoutMs: OP_TIMEOUT_MS },
          { onProgress: (p) => (marks[p.phase] ??= performance.now()) },
        );
        const took = performance.now() - t0;
        if (!r.ok) throw new Error(`gantry build failed at ${r.stage}: ${r.message}\n${r.logTail}`);
        pushed.push(`${gantryRepo}:${t}`);
        if (i >= WARMUP) {
          phases.context.push((marks.build ?? t0) - t0);
          phases.build.push((marks.push ?? t0) - (marks.build ?? t0));
          phases.push.push(t0 + took - (marks.push ?? t0));
        }
        return took;
      };
      const cli = async (i: number) => {
        writeFileSync(path.join(app.dir, 'stamp.txt'), `cli ${i} ${randomBytes(8).toString('hex')}\n`);
        const ref = `${cliRepo}:${tag('c', i)}`;
        const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' };
        const t0 = performance.now();
        const b = await run('docker', ['build', '-t', ref, app.dir], { env, timeoutMs: OP_TIMEOUT_MS });
        if (b.code !== 0) throw new Error(`docker build failed: ${b.stderr || b.stdout}`);
        const t1 = performance.now();
        const p = await run('docker', ['push', ref], { env, timeoutMs: OP_TIMEOUT_MS });
        if (p.code !== 0) throw new Error(`docker push failed: ${p.stderr || p.stdout}`);
        const took = performance.now() - t0;
        pushed.push(ref);
        if (i >= WARMUP) {
          phases.cliBuild.push(t1 - t0);
          phases.cliPush.push(t0 + took - t1);
        }
        return took;
      };

      const samples = await alternate(WARMUP, ITERATIONS, gantry, cli);
      ctx.log(`gantry:     ${samples.a.map((x) => x.toFixed(0)).join(' ')} ms`);
      ctx.log(`docker CLI: ${samples.b.map((x) => x.toFixed(0)).join(' ')} ms`);
      const med = (xs: number[]) => `${Math.round(summarize(xs).median)} ms`;
      ctx.note(
        [
          '### build: source change → image pushed',
          '',
          `Context: busybox + ${stats}; each iteration rebuilds and pushes the layers from \`COPY stamp.txt\` on. gantry starts from a GitHub-like source tarball in memory; the docker CLI (classic builder, \`DOCKER_BUILDKIT=0\`) from the checked-out directory.`,
          '',
          '| phase (median) | gantry | docker CLI |',
          '| --- | --- | --- |',
          `| source tarball → context | ${med(phases.context)} | — |`,
          `| build | ${med(phases.build)} | ${med(phases.cliBuild)} |`,
          `| push | ${med(phases.push)} | ${med(phases.cliPush)} |`,
        ].join('\n'),
      );
      await Promise.all(pushed.map((ref) => client.getImage(ref).remove().catch(() => undefined)));
      return compare('build', 'ms', samples.a, samples.b, TARGET);
    } finally {
      await services?.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  },
};

/** A small app: busybox, 400 source files of 1–16 KiB and a few larger assets. */
function writeFixture(dir: string): { dir: string; files: number; bytes: number } {
  mkdirSync(path.join(dir, 'src', 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\n*.log\n');
  writeFileSync(path.join(dir, 'busybox'), readFileSync(BUSYBOX), { mode: 0o755 });
  let files = 0;
  let bytes = 0;
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 400; i++) {
    const sub = path.join(dir, 'src', `mod${i % 20}`);
    mkdirSync(sub, { recursive: true });
    const size = 1024 + Math.floor(rand() * 15 * 1024);
    writeFileSync(path.join(sub, `file${i}.js`), 'x'.repeat(size));
    files++;
    bytes += size;
  }
  for (let i = 0; i < 4; i++) {
    const blob = Buffer.alloc(512 * 1024, i);
    writeFileSync(path.join(dir, 'src', 'assets', `asset${i}.bin`), blob);
    files++;
    bytes += blob.length;
  }
  return { dir, files, bytes };
}

/** a and b `warmup + iterations` times each, alternating which goes first; timings after the warmups. */
async function alternate(warmup: number, iterations: number, a: (i: number) => Promise<number>, b: (i: number) => Promise<number>) {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < warmup + iterations; i++) {
    const order = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    for (const which of order) {
      const took = await (which === 'a' ? a(i) : b(i));
      if (i >= warmup) out[which].push(took);
    }
  }
  return out;
}

