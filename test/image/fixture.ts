import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import { run, type ExecResult } from '../../src/util/exec.js';
import { dockerServices } from '../support/docker.js';
import { ROOT } from '../support/harness.js';

/**
 * The image tests' shared fixtures: the base image (scripts/base-image.sh), the gantry image built
 * from the repo's Dockerfile with it, and a Redis image built the same way. Each is built at most
 * once per machine and inputs: the result is saved with `docker save` to the cache directory
 * and loaded into the suite's (fresh) dockerd in seconds; a lock makes the test files that run
 * side by side wait for one build instead of each starting its own.
 */

/**
 * The image carries its own Node, so the host's Node is irrelevant to these tests: .ci/run sets
 * this for its second pass (Node 24) so they run once per CI run.
 */
export const SKIP_IMAGE_TESTS = process.env.GANTRY_SKIP_IMAGE_TESTS === '1';

export const CACHE = path.join(process.env.GANTRY_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'gantry'), 'image');

/** Secrets planted in the build context, in directories the runtime stage copies: .dockerignore must keep every one out. */
export const PLANTED = {
  envFile: { file: '.env', text: 'GITHUB_WEBHOOK_SECRET=planted-secret-9f3b1c2d7e\n', secret: 'planted-secret-9f3b1c2d7e' },
  configEnv: { file: 'config/.env.production', text: 'GANTRY_API_TOKEN=planted-token-4a6e0b8c1f\n', secret: 'planted-token-4a6e0b8c1f' },
  key: { file: 'config/deploy-key.pem', text: '-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-key-c0ffee\n-----END OPENSSH PRIVATE KEY-----\n', secret: 'planted-key-c0ffee' },
} as const;

export interface Images {
  dockerHost: string;
  /** gantry built from the repo's Dockerfile on the base */
  gantry: string;
  redis: string;
  base: string;
  /** how long getting each took in this process (ms): a build, a load from the cache, or nothing */
  timings: Record<string, number>;
}

let images: Promise<Images> | undefined;

/** The three images in the suite's dockerd (once per test file). */
export function testImages(): Promise<Images> {
  images ??= (async () => {
    const { dockerHost } = await dockerServices();
    const timings: Record<string, number> = {};
    const timed = async (name: string, get: () => Promise<string>) => {
      const t = Date.now();
      const tag = await get();
      timings[name] = Date.now() - t;
      return tag;
    };
    const base = await timed('base', () => baseImage(dockerHost));
    const gantry = await timed('gantry', () => gantryImage(dockerHost, base));
    const redis = await timed('redis', () => redisImage(dockerHost, base));
    if (buildStats.stepsFromCache !== undefined) timings.gantryStepsFromCache = buildStats.stepsFromCache;
    return { dockerHost, gantry, redis, base, timings };
  })();
  return images;
}

/** The docker CLI against the suite's dockerd; throws with its stderr when it fails. */
export async function docker(dockerHost: string, args: string[], o: { input?: string; timeoutMs?: number; cwd?: string; allowFail?: boolean } = {}): Promise<ExecResult> {
  const r = await run('docker', args, {
    env: { ...process.env, DOCKER_HOST: dockerHost, DOCKER_BUILDKIT: '0' },
    timeoutMs: o.timeoutMs ?? 120_000,
    ...(o.input !== undefined ? { input: o.input } : {}),
    ...(o.cwd ? { cwd: o.cwd } : {}),
  });
  if (r.code !== 0 && !o.allowFail) throw new Error(`docker ${args.slice(0, 3).join(' ')} failed (${r.code}): ${r.stderr.trim().slice(-2000)}`);
  return r;
}

async function baseImage(dockerHost: string): Promise<string> {
  const r = await run('bash', [path.join(ROOT, 'scripts', 'base-image.sh')], { env: { ...process.env, DOCKER_HOST: dockerHost }, timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`scripts/base-image.sh failed: ${r.stderr.trim().slice(-2000)}`);
  return r.stdout.trim();
}

/**
 * The build context as `docker build .` in the repo would send it (the files .dockerignore lets
 * through), keyed by their content, copied to a temp dir together with the planted secrets.
 */
function contextFiles(): string[] {
  const ignore = dockerignoreModule.default().add(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n'));
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      // node_modules is a symlink here and never part of the context; .git is not either
      if (e.name === 'node_modules' || p === '.git') continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !ignore.ignores(p)) files.push(p);
    }
  };
  walk('');
  return files.sort();
}

/** Filled when this process built the gantry image. */
const buildStats: { stepsFromCache?: number } = {};

/** The build stage of the last gantry build, saved with it: --cache-from for the next one. */
const BUILD_STAGE = 'gantry-build:test';

async function gantryImage(dockerHost: string, base: string): Promise<string> {
  const files = contextFiles();
  const h = createHash('sha256').update(base);
  for (const f of ['Dockerfile', '.dockerignore']) h.update(readFileSync(path.join(ROOT, f)));
  for (const f of files) h.update(`${f}\0${statSync(path.join(ROOT, f)).mode & 0o111}\0`).update(readFileSync(path.join(ROOT, f)));
  for (const p of Object.values(PLANTED)) h.update(p.file).update(p.text);
  const tag = `gantry:test-${h.digest('hex').slice(0, 12)}`;
  return cachedImage(dockerHost, tag, [BUILD_STAGE], async (previous) => {
    // the previous build's layers: `npm ci` and the apt step are reused while the lockfile and
    // the base are unchanged (a fresh dockerd has no layer cache of its own)
    const loaded = previous !== undefined && (await docker(dockerHost, ['image', 'inspect', BUILD_STAGE], { allowFail: true })).code === 0;
    const cacheFrom = (tags: (string | undefined | false)[]) => tags.flatMap((t) => (t ? ['--cache-from', t] : []));
    const ctx = path.join(CACHE, `.context-${process.pid}`);
    await rm(ctx, { recursive: true, force: true });
    try {
      for (const f of ['Dockerfile', '.dockerignore', ...files]) {
        await mkdir(path.dirname(path.join(ctx, f)), { recursive: true });
        await copyFile(path.join(ROOT, f), path.join(ctx, f));
      }
      for (const p of Object.values(PLANTED)) writeFileSync(path.join(ctx, p.file), p.text);
      const build = (extra: string[]) =>
        docker(dockerHost, ['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${base}`, '--build-arg', 'VERSION=0.0.0-test', ...extra, '.'], { cwd: ctx, timeoutMs: 900_000 });
      const stage = await build(['--target', 'build', '-t', BUILD_STAGE, ...cacheFrom([loaded && BUILD_STAGE])]);
      const all = await build(['-t', tag, ...cacheFrom([BUILD_STAGE, previous])]);
      // how much the cache saved shows in the timings: npm ci and apt should be among these
      buildStats.stepsFromCache = (stage.stdout + all.stdout).match(/Using cache/g)?.length ?? 0;
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
  });
}

/**
 * Redis the way the suite gets it everywhere else: Debian's redis-server package, installed with
 * apt on the same debootstrap base (the real package rather than the host's binary copied in, so
 * the container holds its libraries and user as Debian ships them).
 */
async function redisImage(dockerHost: string, base: string): Promise<string> {
  const dockerfile = [
    `FROM ${base}`,
    'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \\',
    ' && rm -rf /var/lib/apt/lists/* && install -d -o redis -g redis /data',
    'VOLUME /data',
    'USER redis',
    'CMD ["redis-server", "--dir", "/data", "--protected-mode", "no"]',
    '',
  ].join('\n');
  const tag = `gantry-redis:test-${createHash('sha256').update(dockerfile).digest('hex').slice(0, 12)}`;
  return cachedImage(dockerHost, tag, [], async () => {
    await docker(dockerHost, ['build', '--network', 'host', '-t', tag, '-'], { input: dockerfile, timeoutMs: 600_000 });
  });
}

/**
 * `tag` in the dockerd: there already, loaded from the cache, or built and saved to it (with
 * `alsoSave`). Only the newest save of a repository is kept: older inputs are not worth a few
 * hundred MB, but the newest is loaded first and `build` is told its tag, to reuse its layers.
 */
async function cachedImage(dockerHost: string, tag: string, alsoSave: string[], build: (previous?: string) => Promise<void>): Promise<string> {
  const exists = async () => (await docker(dockerHost, ['image', 'inspect', tag], { allowFail: true })).code === 0;
  if (await exists()) return tag;
  mkdirSync(CACHE, { recursive: true });
  const name = (t: string) => `${t.replace(/[:/]/g, '_')}.tar`;
  const file = path.join(CACHE, name(tag));
  await withLock(`${file}.lock`, async () => {
    if (await exists()) return;
    if (existsSync(file)) {
      await docker(dockerHost, ['load', '-i', file], { timeoutMs: 300_000 });
      return;
    }
    const repo = `${tag.split(':')[0]}_`;
    const older = readdirSync(CACHE).filter((f) => f.startsWith(repo) && f.endsWith('.tar'));
    let previous: string | undefined;
    if (older[0]) {
      await docker(dockerHost, ['load', '-i', path.join(CACHE, older[0])], { timeoutMs: 300_000 });
      previous = `${tag.split(':')[0]}:${older[0].slice(repo.length, -'.tar'.length)}`;
    }
    await build(previous);
    await docker(dockerHost, ['save', '-o', `${file}.part`, tag, ...alsoSave], { timeoutMs: 300_000 });
    for (const old of older) rmSync(path.join(CACHE, old));
    await run('mv', [`${file}.part`, file]);
  });
  return tag;
}

/**
 * A lock between test files (separate processes): mkdir is atomic; a lock whose process is gone
 * is taken over. Bounded by the longest build.
 */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 900_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }));
      if (pid > 0 && !alive(pid)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by process ${pid} for over 15 minutes`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
