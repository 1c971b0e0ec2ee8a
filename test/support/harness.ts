import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { shellActor } from '../../src/chat/shell/shell.js';
import { execute } from '../../src/commands/execute.js';
import { progressText, said, type Said } from './said.js';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import type { Release } from '../../src/domain/release.js';
import type { PullRequestOpener } from '../../src/gitops/pull-request.js';
import { createGantry, type Gantry, type GantryOptions } from '../../src/runtime/gantry.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { run } from '../../src/util/exec.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from './env.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const EXAMPLES = path.join(ROOT, 'config', 'examples', 'deploy');

/** The local demo config (config/demo/gantry.yml) as plain data, with prod's freeze window off unless a test sets one. */
export function defaultConfigData(): Record<string, any> {
  const data = parse(readFileSync(path.join(ROOT, 'config', 'demo', 'gantry.yml'), 'utf8')) as Record<string, any>;
  data.environments.prod.freeze = [];
  return data;
}

export interface Harness {
  gantry: Gantry;
  config: Config;
  bare: string;
  dir: string;
  prefix: string;
  /** runs a chat command as a shell user */
  run(as: string, line: string, progress?: (t: string) => void): Promise<Said>;
  release(version: string, opts?: { digest?: string; builtAt?: string }): Promise<Release>;
  /** git in the bare deploy repo */
  git(...args: string[]): Promise<string>;
  /** a file as it is on the deploy branch */
  file(rel: string, ref?: string): Promise<string>;
  head(): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  name: string;
  edit?: (data: Record<string, any>) => void;
  now?: () => Date;
  workers?: boolean;
  /** share a deploy repo (and a Redis prefix) with another harness: separate "processes" */
  shareWith?: Harness;
  notifyBackoffMs?: number;
  pullRequests?: PullRequestOpener;
  /** the directory whose files seed the deploy repo (default: config/examples/deploy) */
  seed?: string;
  /** more options for createGantry (a Docker Engine for verifications, the public URL, a commit signer) */
  gantry?: Pick<GantryOptions, 'docker' | 'publicUrl' | 'rolloutWatch' | 'signer'>;
}

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const tmp = tempDir(o.name);
  const bare = o.shareWith?.bare ?? path.join(tmp.dir, 'deploy.git');
  if (!o.shareWith) await ensureLocalDeployRepo(bare, 'main', o.seed ?? EXAMPLES);
  const data = defaultConfigData();
  data.deployRepo.url = bare;
  o.edit?.(data);
  const config = ConfigSchema.parse(data);
  const prefix = o.shareWith?.prefix ?? uniquePrefix(o.name);
  const gantry = createGantry({
    config,
    redisUrl: redisUrl(),
    prefix,
    workdir: path.join(tmp.dir, 'work'),
    // GANTRY_TEST_LOG=debug shows gantry's logs while debugging a test
    log: process.env.GANTRY_TEST_LOG ? createLogger({ level: process.env.GANTRY_TEST_LOG }) : silentLogger,
    ...(o.now ? { now: o.now } : {}),
    ...(o.notifyBackoffMs ? { notifyBackoffMs: o.notifyBackoffMs } : {}),
    ...(o.pullRequests ? { pullRequests: o.pullRequests } : {}),
    ...o.gantry,
  });
  if (o.workers !== false) gantry.startWorkers();
  const git = async (...args: string[]) => {
    const r = await run('git', args, { cwd: bare });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  let built = Date.now();
  return {
    gantry,
    config,
    bare,
    dir: tmp.dir,
    prefix,
    run: async (as, line, progress) =>
      said(await execute(gantry.core, line, { actor: shellActor(gantry.core, as), ...(progress ? { progress: (m) => progress(progressText(m)) } : {}) })),
    async release(version, opts = {}) {
      const r: Release = {
        app: 'web',
        version,
        // one millisecond apart, so 'newest first' is the order they were added in
        builtAt: opts.builtAt ?? new Date(++built).toISOString(),
        images: { web: { repository: 'registry.example.com/acme/web', tag: version, ...(opts.digest ? { digest: opts.digest } : {}) } },
      };
      await gantry.core.releases.add(r);
      return r;
    },
    git,
    file: (rel, ref = 'main') => git('show', `${ref}:${rel}`),
    head: async () => (await git('rev-parse', 'main')).trim(),
    async close() {
      await gantry.close();
      if (!o.shareWith) await wipePrefix(prefix);
      tmp.remove();
    },
  };
}
