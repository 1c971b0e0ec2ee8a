import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseDeployTrailers } from '../src/gitops/trailers.js';
import { run } from '../src/util/exec.js';
import { appName, git, imageRepo, manifestPath, specConfigData, type DeployRepoSpec } from './deploy-repo.js';

/**
 * Issue 16's concurrency check at the large size: N promotions, each asked by a `gantry shell`
 * process of its own, all at once, each of a different app to prod. Different apps, so every
 * commit must change exactly its own file: a process that committed on a stale base or re-applied
 * its edit wrongly after a rejected push would drop or revert another app's change, which the
 * per-commit tree check below sees (one app promoted 20 times would only show the last write).
 * Shared by test/gitops/concurrency-processes.test.ts and `npm run bench -- promote-large`.
 */
export const PROCESS_COUNT = 20;
export const CONCURRENT_ENV = 'prod';
export const CONCURRENT_VERSION = 'v2.0.0';

export interface ProcessPromotion {
  app: string;
  version: string;
  /** the shell user asking (each process has its own) */
  as: string;
}

/** The promotions: apps from the middle of the repo, none of them the hot app. */
export function processPromotions(n = PROCESS_COUNT): ProcessPromotion[] {
  return Array.from({ length: n }, (_, i) => ({ app: appName(1000 + i), version: CONCURRENT_VERSION, as: `dev${i}` }));
}

/** What each process reads from standard input. */
export const shellInput = (p: ProcessPromotion) => `/promote ${p.app} ${p.version} ${CONCURRENT_ENV}\n`;

/** The reply line a process prints when its promotion was pushed. */
export const promotedLine = (p: ProcessPromotion) => new RegExp(`^promoted ${p.app} ${p.version.replace(/\./g, '\\.')} to ${CONCURRENT_ENV}\\b`, 'm');

/**
 * A config directory for the processes: only the promoted apps (a team's slice of a shared deploy
 * repo), so the spawned gantries load a small config and keep a small warm clone.
 */
export function writeProcessConfig(dir: string, spec: DeployRepoSpec, bare: string, promotions: readonly ProcessPromotion[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'default.yml'), stringify(specConfigData(spec, bare, promotions.map((p) => p.app))));
  return dir;
}

/**
 * Checks what the processes left in the bare repo since `before`; returns every problem found
 * (empty: all good). One commit per promotion on a linear branch, every one's trailers parse and
 * name a promotion once, each commit's tree is its parent's with only that app's manifest
 * changed, and only its image line, and `git fsck --full --strict` is clean.
 */
export async function verifyProcessPromotions(bare: string, before: string, promotions: readonly ProcessPromotion[], branch = 'main'): Promise<string[]> {
  const problems: string[] = [];
  const shas = (await git(['rev-list', '--reverse', `${before}..${branch}`], bare)).trim().split('\n').filter(Boolean);
  const firstParent = (await git(['rev-list', '--first-parent', '--count', `${before}..${branch}`], bare)).trim();
  if (shas.length !== promotions.length) problems.push(`${shas.length} new commits on ${branch}, expected ${promotions.length}`);
  if (Number(firstParent) !== shas.length) problems.push(`history is not linear: ${firstParent} first-parent commits of ${shas.length}`);
  const wanted = new Map(promotions.map((p) => [manifestPath(p.app, CONCURRENT_ENV), p]));
  const seen = new Set<string>();
  for (const sha of shas) {
    const t = parseDeployTrailers(await git(['log', '-1', '--format=%B', sha], bare));
    if (!t) {
      problems.push(`${sha}: trailers do not parse`);
      continue;
    }
    const file = manifestPath(t.app, t.env);
    const p = wanted.get(file);
    if (!p || t.version !== p.version) problems.push(`${sha}: ${t.app} ${t.version} to ${t.env} was not asked for`);
    if (seen.has(file)) problems.push(`${sha}: ${file} committed twice`);
    seen.add(file);
    // the tree is the parent's with exactly the claimed file changed
    const changed = (await git(['diff-tree', '--no-commit-id', '-r', '--raw', `${sha}^`, sha], bare)).trim().split('\n');
    const modified = /^:100644 100644 [0-9a-f]+ [0-9a-f]+ M\t(.+)$/.exec(changed[0] ?? '');
    if (changed.length !== 1 || modified?.[1] !== file) problems.push(`${sha}: changes ${changed.join('; ')}, expected only ${file}`);
    // and in that file only the image line
    const [was, now] = await Promise.all([git(['show', `${sha}^:${file}`], bare), git(['show', `${sha}:${file}`], bare)]);
    const image = new RegExp(`(image: ${imageRepo(t.app).replace(/[.]/g, '\\.')}):\\S+`);
    if (was.replace(image, `$1:${t.version}`) !== now) problems.push(`${sha}: ${file} changed beyond its image line`);
  }
  for (const file of wanted.keys()) if (!seen.has(file)) problems.push(`no commit for ${file}`);
  const fsck = await run('git', ['fsck', '--full', '--strict', '--no-dangling', '--no-progress'], { cwd: bare });
  if (fsck.code !== 0 || fsck.stdout.trim() || fsck.stderr.trim()) problems.push(`git fsck (${fsck.code}): ${`${fsck.stdout}${fsck.stderr}`.trim().slice(0, 500)}`);
  return problems;
}

/** The environment of a spawned gantry that joins the others: one config, one Redis, one key prefix. */
export function processEnv(o: { configDir: string; redisUrl: string; prefix: string }): NodeJS.ProcessEnv {
  // PORT 0: every role listens (health, metrics), side by side
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_CONFIG: o.configDir, REDIS_URL: o.redisUrl, GANTRY_REDIS_PREFIX: o.prefix, LOG_LEVEL: 'warn', PORT: '0' };
  // platform credentials of the outer environment must not reach a spawned gantry
  for (const k of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'DINGTALK_APP_SECRET', 'DINGTALK_APP_KEY', 'GITHUB_APP_ID']) delete env[k];
  return env;
}
