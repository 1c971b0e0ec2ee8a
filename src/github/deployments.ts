import type { Config } from '../config/schema.js';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import type { ReleaseStore } from '../store/releases.js';
import type { Logger } from '../util/logger.js';
import type { Octokit } from './check-run.js';

export interface DeploymentHookDeps {
  config: Config;
  releases: ReleaseStore;
  /** an Octokit authenticated as the app itself (JWT), to find installations */
  appOctokit(): Promise<Octokit>;
  installationOctokit(installationId: number): Promise<Octokit>;
  log: Logger;
}

/** `deployed web v1.2.3 to prod (deploy commit 1a2b3c4)`, within GitHub's 140 characters. */
export function deploymentDescription(result: DeployResult): string {
  const verb = result.action === 'rollback' ? 'rolled back' : 'deployed';
  return `${verb} ${result.app} ${result.version} to ${result.env} (deploy commit ${result.commit.slice(0, 7)})`.slice(0, 140);
}

/**
 * The deploy queue's `afterDeploy` hook: a GitHub Deployment (ref = the release's commit) and a
 * `success` status in the app's source repo, so GitHub shows what runs where. The deploy itself
 * is already in git; a failure here is logged by the deploy worker and changes nothing.
 */
export function githubDeploymentHook(d: DeploymentHookDeps): (result: DeployResult, request: DeployRequest) => Promise<void> {
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

  return async (result, request) => {
    const source = d.config.apps[result.app]?.source;
    if (!source) return;
    const [owner, repo] = source.split('/') as [string, string];
    const release = await d.releases.get(result.app, result.version);
    // a release registered by hand may lack its commit; the version is then the ref (a tag)
    const ref = release?.commit ?? result.version;
    const octokit = await d.installationOctokit(await installationFor(owner, repo));
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
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deployment.id,
      state: 'success',
      description: deploymentDescription(result),
      auto_inactive: true,
    });
    d.log.info({ app: result.app, env: result.env, version: result.version, deployment: deployment.id }, 'GitHub deployment recorded');
  };
}
