import os from 'node:os';
import path from 'node:path';
import { appName, type DeployRepoSpec } from './deploy-repo.js';

/**
 * The generated deploy repos the benchmarks and the large-repo tests use. The cache key hashes
 * each spec's JSON: keep the keys in this order, or the cached repos are generated again (the
 * large one takes about 13 minutes).
 */
const ENVS = ['dev', 'qa', 'staging', 'prod'] as const;

/** `npm run bench -- promote`: 2,000 manifests, 10,000 commits */
export const PROMOTE_SPEC: DeployRepoSpec = {
  apps: 500,
  envs: ENVS,
  commits: 10_000,
  deployShare: 0.7,
  hot: { app: appName(1), env: 'prod', every: 150 },
  seed: 42,
};

/** `npm run bench -- promote-large`: 20,000 manifests, 100,000 commits (issue 16) */
export const LARGE_SPEC: DeployRepoSpec = { ...PROMOTE_SPEC, apps: 5000, commits: 100_000 };

/**
 * The test suite's large repo: the 20,000 manifests of LARGE_SPEC with a short history, so it
 * generates in seconds (about 20 s here on a busy machine) and is cached between runs.
 */
export const LARGE_FILES_SPEC: DeployRepoSpec = { ...LARGE_SPEC, commits: 2_000 };

/** Where the tests keep generated repos between runs: beside .ci/run's other caches. */
export function testCacheDir(): string {
  return path.join(process.env.GANTRY_CACHE_DIR || path.join(os.homedir(), '.cache', 'gantry'), 'bench');
}
