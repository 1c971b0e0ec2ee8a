import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import type { Notifier } from '../notify/delivery.js';
import type { GantryEvent, StoredEvent } from '../notify/events.js';
import { commitUrl } from '../queries/links.js';
import { watchFor } from '../rollout/config.js';
import { reportOf } from '../rollout/follower.js';
import type { RolloutState } from '../rollout/state.js';
import type { RolloutStore } from '../rollout/store.js';
import type { ReleaseStore } from '../store/releases.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { Octokit } from './check-run.js';

export interface DeploymentHookDeps {
  config: Config;
  releases: ReleaseStore;
  /** an Octokit authenticated as the app itself (JWT), to find installations */
  appOctokit(): Promise<Octokit>;
  installationOctokit(installationId: number): Promise<Octokit>;
  /** where each Deployment is remembered, so its status can follow the rollout */
  redis: Redis;
  keys: Keys;
  /** the followed deploys: one that settled before its Deployment existed is told at once */
  rollouts?: Pick<RolloutStore, 'get'>;
  log: Logger;
}

/** `deployed web v1.2.3 to prod (deploy commit 1a2b3c4)`, within GitHub's 140 characters. */
export function deploymentDescription(result: DeployResult): string {
  const verb = result.action === 'rollback' ? 'rolled back' : 'deployed';
  return `${verb} ${result.app} ${result.version} to ${result.env} (deploy commit ${result.commit.slice(0, 7)})`.slice(0, 140);
}

/** A GitHub Deployment gantry made, as kept in Redis by the deploy it records. */
interface DeploymentRef {
  owner: string;
  repo: string;
  id: number;
  installation: number;
}

type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error';

const REF_TTL_S = 30 * 86_400;
/** the states a rollout-settling event (rolled-out, rollout-failed) reports */
const SETTLED: ReadonlySet<RolloutState> = new Set(['live', 'degraded', 'failed', 'timedOut']);

/**
 * GitHub Deployments in each app's source repo, so GitHub shows what runs where. The deploy
 * workers' `afterDeploy` hook creates one per promotion and rollback (ref = the release's commit);
 * its status is `success` at once when nothing follows the environment's rollout, else
 * `in_progress` until the follow-up (`notifier`) hears how it went (or at once, when Argo CD or
 * Flux settled it before GitHub created the Deployment): `success` when live and
 * healthy, `failure` when degraded, failed or failing its verification, `error` when it timed
 * out. The deploy itself is already in git: a failure here is logged and changes nothing.
 */
export function githubDeployments(d: DeploymentHookDeps): { afterDeploy: (result: DeployResult, request: DeployRequest) => Promise<void>; notifier: Notifier } {
  const installations = new Map<string, number>();
  const installationFor = async (owner: string, repo: string): Promise<number> => {
    const key = `${owner}/${repo}`.toLowerCase();
    const known = installations.get(key);
    if (known !== undefined) return known;
    const app = await d.appOctokit();
    const { data } = await app.rest.apps.getRepoInstallation({ owner, repo });
    installations.set(key, data.id);
    return data.id;
  };
  const refKey = (deploy: string) => d.keys.k('github', 'deployment', deploy);
  const urls = (env: string, log: string | undefined) => {
    const environmentUrl = d.config.environments[env]?.url;
    return { ...(environmentUrl ? { environment_url: environmentUrl } : {}), ...(log ? { log_url: log } : {}) };
  };

  const moveStatus = async (ref: DeploymentRef, s: NonNullable<ReturnType<typeof statusOf>>): Promise<void> => {
    const octokit = await d.installationOctokit(ref.installation);
    await octokit.rest.repos.createDeploymentStatus({
      owner: ref.owner,
      repo: ref.repo,
      deployment_id: ref.id,
      state: s.state,
      description: s.description.slice(0, 140),
      ...urls(s.env, s.log ?? commitUrl(d.config, s.commit)),
      auto_inactive: s.state === 'success',
    });
    d.log.info({ deploy: s.deploy, deployment: ref.id, state: s.state }, 'GitHub deployment status follows the rollout');
  };

  const afterDeploy = async (result: DeployResult, request: DeployRequest): Promise<void> => {
    const source = d.config.apps[result.app]?.source;
    if (!source) return;
    const [owner, repo] = source.split('/') as [string, string];
    const release = await d.releases.get(result.app, result.version);
    // a release registered by hand may lack its commit; the version is then the ref (a tag)
    const ref = release?.commit ?? result.version;
    const installation = await installationFor(owner, repo);
    const octokit = await d.installationOctokit(installation);
    const { data: deployment } = await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref,
      environment: result.env,
      task: 'deploy',
      auto_merge: false,
      required_contexts: [],
      description: deploymentDescription(result),
      payload: { app: result.app, version: result.version, commit: ref, deployCommit: result.commit, action: result.action, requestId: request.id },
      production_environment: result.env === 'prod' || result.env === 'production',
    });
    if (!('id' in deployment)) throw new Error(`GitHub did not create the deployment: ${deployment.message ?? 'no id'}`);
    const followed = !result.pullRequest && watchFor(d.config, result.app, result.env) !== undefined;
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deployment.id,
      state: followed ? 'in_progress' : 'success',
      description: deploymentDescription(result),
      ...urls(result.env, commitUrl(d.config, result.commit)),
      auto_inactive: true,
    });
    if (followed) {
      // kept only after in_progress is posted, so no follow-up's status can come before it
      const deploy = `${result.app}:${result.env}:${result.commit}`;
      const kept: DeploymentRef = { owner, repo, id: deployment.id, installation };
      await d.redis.set(refKey(deploy), JSON.stringify(kept), 'EX', REF_TTL_S);
      // Argo CD or Flux may have been faster than GitHub: a rollout that settled before the ref
      // was kept had its follow-up find no Deployment to move, so it is told here (twice is harmless)
      const now = await d.rollouts?.get(deploy);
      const last = now?.history.at(-1);
      if (now && last && SETTLED.has(now.state)) {
        const s = statusOf({ type: now.state === 'live' ? 'rolled-out' : 'rollout-failed', rollout: reportOf(now, last) });
        if (s) await moveStatus(kept, s);
      }
    }
    d.log.info({ app: result.app, env: result.env, version: result.version, deployment: deployment.id, followed }, 'GitHub deployment recorded');
  };

  const notifier: Notifier = {
    platform: 'github',
    // routed targets never name github; this notifier only follows up on deploys it recorded
    async send() {},
    async followUp(_where, e: StoredEvent) {
      const s = statusOf(e);
      if (!s) return;
      const raw = await d.redis.get(refKey(s.deploy));
      if (!raw) return;
      await moveStatus(JSON.parse(raw) as DeploymentRef, s);
    },
  };
  return { afterDeploy, notifier };
}

/** The Deployment status an event means, for the deploy it is about. */
function statusOf(e: GantryEvent): { deploy: string; env: string; commit: string; state: DeploymentState; description: string; log?: string } | undefined {
  if (e.type === 'rolled-out' || e.type === 'rollout-failed') {
    const r = e.rollout;
    const state: DeploymentState = r.state === 'live' ? 'success' : r.state === 'timedOut' ? 'error' : 'failure';
    const said = r.state === 'live' ? 'live and healthy' : r.state === 'timedOut' ? 'not live before the rollout timeout' : `${r.state}${r.message ? `: ${r.message}` : ''}`;
    return { deploy: r.deploy, env: r.env, commit: r.commit, state, description: `${r.app} ${r.version ?? ''} ${said}`.replace(/\s+/g, ' ') };
  }
  if (e.type === 'verify-failed' && e.verification.commit) {
    const v = e.verification;
    const description = `${v.app} ${v.version} failed verification: ${v.message}`;
    return { deploy: `${v.app}:${v.env}:${v.commit}`, env: v.env, commit: v.commit!, state: 'failure', description, ...(v.logUrl ? { log: v.logUrl } : {}) };
  }
  return undefined;
}
