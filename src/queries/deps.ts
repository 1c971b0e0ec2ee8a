import type { Approvals } from '../approvals/service.js';
import type { Config } from '../config/schema.js';
import type { Deployer } from '../gitops/deployer.js';
import type { GitRepo } from '../gitops/git.js';
import type { EnvLockStore } from '../store/env-locks.js';
import type { ReleaseStore } from '../store/releases.js';
import type { RolloutStore } from '../rollout/store.js';
import type { Verifier } from '../rollout/verifier.js';

/** What the read models read: the deploy repo (through the deployer), locks, releases, open approvals. */
export interface QueryDeps {
  config: Config;
  /** `bytes` and `tracking`: the dashboard's overview reads the deploy branch's commit and what changed since */
  repo: Pick<GitRepo, 'refreshIfOlder' | 'bytes' | 'tracking' | 'dir'>;
  deployer: Pick<Deployer, 'currentImages' | 'timeline' | 'blueGreenState'>;
  envLocks: Pick<EnvLockStore, 'get'>;
  releases: Pick<ReleaseStore, 'get' | 'list' | 'allBlocked'>;
  approvals: Pick<Approvals, 'pending'>;
  rollouts: Pick<RolloutStore, 'latest' | 'history'>;
  /** how a version's verification in an environment went (src/rollout/verifier.ts) */
  verifier: Pick<Verifier, 'gate' | 'checksOf'>;
  now(): Date;
  /** how stale the warm clone may be for reads (ms) */
  readFreshnessMs: number;
}
