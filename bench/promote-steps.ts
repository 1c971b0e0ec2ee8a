import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Core } from '../src/commands/context.js';
import { execute } from '../src/commands/execute.js';
import type { Actor } from '../src/domain/identity.js';
import { deployMessage } from '../src/gitops/trailers.js';
import { git, imageRepo, manifestPath } from './deploy-repo.js';
import type { Profiler } from './profile.js';

/**
 * The steps the promote benchmarks time, each done by gantry and by the git CLI alone: shared by
 * `promote` (2,000 manifests) and `promote-large` (20,000), which differ only in the repo's spec.
 */
export const ENV = 'prod';
export const BRANCH = 'main';
/** no single command may take longer than this */
const OP_TIMEOUT_MS = 120_000;
const LOG_FORMAT = '--format=%H%x1f%an <%ae>%x1f%cI%x1f%B%x1e';

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

/** A catalog as a busy app has it: older builds, then the versions promoted in turn. */
export async function registerReleases(core: Core, app: string, versions: readonly string[]): Promise<void> {
  const all = [...Array.from({ length: 18 }, (_, i) => `v1.9.${i}`), ...versions];
  let at = Date.parse('2025-01-01T00:00:00Z');
  for (const version of all) {
    await core.releases.add({
      app,
      version,
      builtAt: new Date((at += 60_000)).toISOString(),
      images: { [app]: { repository: imageRepo(app), tag: version } },
    });
  }
}

export async function promoteWithGantry(core: Core, actor: Actor, app: string, version: string): Promise<void> {
  const reply = await execute(core, `/promote ${app} ${version} ${ENV}`, { actor });
  const pushed = reply.ok && reply.kind === 'deployed' && reply.result.version === version && !reply.result.pullRequest;
  if (!pushed) throw new Error(`gantry promote did not push: ${JSON.stringify(reply)}`);
}

/**
 * The same edit, commit (same trailers) and push, with node fs and the git CLI alone; without
 * `push`, the edit and commit only (the step the issue wants under 20 ms).
 */
export async function promoteWithCli(dir: string, actor: Actor, app: string, version: string, o: { p?: Profiler; push?: boolean } = {}): Promise<void> {
  const step = <T>(label: string, fn: () => Promise<T>) => (o.p ? o.p.time(label, fn) : fn());
  const rel = manifestPath(app, ENV);
  const file = path.join(dir, rel);
  const before = await step('read manifest', () => readFile(file, 'utf8'));
  const image = new RegExp(`(image: ${imageRepo(app).replace(/[.]/g, '\\.')}):(\\S+)`);
  const previous = image.exec(before)?.[2];
  if (previous === undefined) throw new Error(`baseline: no image line in ${rel}`);
  await step('write manifest', () => writeFile(file, before.replace(image, `$1:${version}`)));
  const message = deployMessage({
    app,
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
  if (o.push !== false) await step('git push', () => git(['push', '-q', 'origin', `HEAD:refs/heads/${BRANCH}`], dir));
}

/** `/history <app> prod`, which must list `expect` deployments (without it: at least one). */
export async function historyWithGantry(core: Core, actor: Actor, app: string, expect?: number): Promise<void> {
  const reply = await execute(core, `/history ${app} ${ENV}`, { actor });
  const ok = reply.kind === 'history' && (expect === undefined ? reply.entries.length > 0 : reply.entries.length === expect);
  if (!ok) throw new Error(`gantry history of ${app}: ${JSON.stringify(reply).slice(0, 500)}`);
}

/** The newest `n` deployments of an app by their trailers, as `git log --grep` finds them. */
export async function historyByGrep(dir: string, app: string, n: number): Promise<void> {
  const out = await git(['log', '-n', String(n), '-E', '--all-match', `--grep=^Gantry-Environment: ${ENV}$`, `--grep=^Gantry-App: ${app}$`, LOG_FORMAT], dir);
  const found = out.split('\x1e').filter((r) => r.trim()).length;
  if (found !== n) throw new Error(`baseline git log found ${found} deployments of ${app}, expected ${n}`);
}

/** The newest `n` commits that touched an app's prod manifest: plain `git log -n <n> -- <path>`. */
export async function historyByPath(dir: string, app: string, n: number, expect: number): Promise<void> {
  const out = await git(['log', '-n', String(n), LOG_FORMAT, '--', manifestPath(app, ENV)], dir);
  const found = out.split('\x1e').filter((r) => r.trim()).length;
  if (found !== expect) throw new Error(`baseline git log -- ${manifestPath(app, ENV)} found ${found} commits, expected ${expect}`);
}

/** A working clone made the way gantry made its own before issue 16 (a plain, full clone). */
export async function cliClone(url: string, dir: string): Promise<string> {
  await git(['clone', '-q', '--no-tags', '--single-branch', '--branch', BRANCH, url, dir]);
  await git(['config', 'user.name', 'baseline'], dir);
  await git(['config', 'user.email', 'baseline@localhost'], dir);
  return dir;
}

/** Both deploy repos got the same number of commits and the same manifest. */
export async function checkSameHistory(a: string, b: string, app: string, commits: number): Promise<void> {
  const count = async (bare: string) => (await git(['rev-list', '--count', BRANCH], bare)).trim();
  const file = async (bare: string) => git(['show', `${BRANCH}:${manifestPath(app, ENV)}`], bare);
  const [ca, cb, fa, fb] = await Promise.all([count(a), count(b), file(a), file(b)]);
  if (ca !== cb || Number(ca) !== commits) throw new Error(`commit counts differ: gantry ${ca}, baseline ${cb}, expected ${commits}`);
  if (fa !== fb) throw new Error('gantry and the baseline wrote different manifests');
}

export function bounded<T>(p: Promise<T>, what: string, timeoutMs = OP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeoutMs / 1000} s`)), timeoutMs);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const seconds = (n: number) => `${(n / 1000).toFixed(1)} s`;
