import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  processEnv,
  processPromotions,
  promotedLine,
  shellInput,
  verifyProcessPromotions,
  writeProcessConfig,
} from '../../bench/concurrent-promotions.js';
import { ensureDeployRepo, git, imageRepo, specConfigData } from '../../bench/deploy-repo.js';
import { LARGE_FILES_SPEC, testCacheDir } from '../../bench/specs.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { createGantry, type Gantry } from '../../src/runtime/gantry.js';
import { silentLogger } from '../../src/util/logger.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { MAIN, spawnGantry, type Spawned } from '../support/processes.js';

/**
 * Issue 16: 20 promotions from 20 separate `gantry shell` processes at once, on a deploy repo of
 * 20,000 manifests (the large benchmark's file count, with 2,000 commits of history so it
 * generates in seconds; cached by its spec under GANTRY_CACHE_DIR or ~/.cache/gantry). Every one
 * is committed, and every commit is exactly the change it claims (bench/concurrent-promotions.ts).
 */
describe('20 promotions from 20 processes on a deploy repo of 20,000 manifests', () => {
  const promotions = processPromotions();
  const spawned: Spawned[] = [];
  let tmp: ReturnType<typeof tempDir>;
  let bare: string;
  let prefix: string;
  let asker: Gantry | undefined;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
    const t0 = performance.now();
    const repo = await ensureDeployRepo(testCacheDir(), LARGE_FILES_SPEC);
    console.info(`concurrency-processes: deploy repo ${repo.cached ? 'from the cache' : 'generated'} in ${Math.round(performance.now() - t0)} ms`);
    tmp = tempDir('conc-proc');
    bare = path.join(tmp.dir, 'deploy.git');
    cpSync(repo.bare, bare, { recursive: true }); // the cache is never written to
    prefix = uniquePrefix('conc-proc');
    const config = ConfigSchema.parse(specConfigData(LARGE_FILES_SPEC, bare, promotions.map((p) => p.app)));
    asker = createGantry({ config, redisUrl: redisUrl(), prefix, workdir: path.join(tmp.dir, 'asker'), log: silentLogger });
    for (const p of promotions) {
      await asker.core.releases.add({ app: p.app, version: p.version, builtAt: new Date().toISOString(), images: { [p.app]: { repository: imageRepo(p.app), tag: p.version } } });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(spawned.map((s) => s.kill9()));
    await asker?.close();
    if (prefix) await wipePrefix(prefix);
    tmp?.remove();
  });

  it('all 20 are committed, each commit changes only its own file, git fsck is clean', { timeout: 240_000 }, async () => {
    const before = (await git(['rev-parse', 'main'], bare)).trim();
    const configDir = writeProcessConfig(path.join(tmp.dir, 'config'), LARGE_FILES_SPEC, bare, promotions);
    const env = processEnv({ configDir, redisUrl: redisUrl(), prefix });

    const t0 = performance.now();
    // all at once: each process boots, clones and asks; the branch lock and the push retry sort them out
    for (const p of promotions) {
      const s = spawnGantry(['shell', '--as', p.as], { cwd: path.join(tmp.dir, p.as), env, stdin: 'pipe' });
      spawned.push(s);
      s.child.stdin!.end(shellInput(p));
    }
    const codes = await Promise.all(spawned.map((s) => s.exited));
    const took = performance.now() - t0;
    promotions.forEach((p, i) => {
      expect(codes[i], `${p.as}: ${spawned[i]!.output().slice(-1000)}`).toBe(0);
      expect(spawned[i]!.stdout(), p.as).toMatch(promotedLine(p));
    });
    expect(await verifyProcessPromotions(bare, before, promotions)).toEqual([]);
    console.info(`concurrency-processes: ${promotions.length} processes promoted in ${Math.round(took)} ms`);
  });
});
