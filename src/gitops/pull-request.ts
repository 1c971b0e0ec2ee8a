import type { Config } from '../config/schema.js';
import type { DeployRequest } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import type { Plan } from './deployer.js';
import type { GitRepo } from './git.js';

/** Opens a pull request in the deploy repo for environments that deploy by review. */
export interface PullRequestOpener {
  open(p: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string }>;
}

/** The deploy repo on GitHub, `owner/name`: `deployRepo.github`, or read from an https URL. */
export function githubRepoOf(config: Config): string | undefined {
  if (config.deployRepo.github) return config.deployRepo.github;
  return /^https:\/\/github\.com\/([^/]+\/[^/]+?)(\.git)?\/?$/.exec(config.deployRepo.url)?.[1];
}

/** GitHub's REST API with the deploy token (GANTRY_DEPLOY_TOKEN needs pull_requests: write). */
export class GitHubPullRequests implements PullRequestOpener {
  constructor(
    private readonly repo: string,
    private readonly token: string,
    private readonly apiUrl = 'https://api.github.com',
  ) {}

  async open(p: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string }> {
    const res = await fetch(`${this.apiUrl.replace(/\/$/, '')}/repos/${this.repo}/pulls`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'content-type': 'application/json',
        'user-agent': 'gantry',
      },
      body: JSON.stringify({ title: p.title, head: p.head, base: p.base, body: p.body, maintainer_can_modify: false }),
      signal: AbortSignal.timeout(15_000),
    });
    const data = (await res.json().catch(() => ({}))) as { number?: number; html_url?: string; message?: string };
    if (res.status !== 201 || !data.number || !data.html_url) {
      // 4xx will not change by retrying (permissions, a branch GitHub does not see); 5xx may
      const code = res.status >= 400 && res.status < 500 ? 'DEPLOY_REFUSED' : 'DEPLOY_REPO_UNREACHABLE';
      throw new GantryError(code, `GitHub did not open the pull request in ${this.repo}: HTTP ${res.status} ${data.message ?? ''}`.trim());
    }
    return { number: data.number, url: data.html_url };
  }
}

/**
 * Pull-request mode: the deploy commit pushed to a branch of its own (named after the request, so
 * a re-run finds it) and a pull request into the deploy branch. It deploys when merged.
 */
export async function openDeployPullRequest(
  d: { repo: GitRepo; opener: PullRequestOpener; base: string },
  { req, plan, message }: { req: DeployRequest; plan: Pick<Plan, 'version' | 'files' | 'changes'>; message: string },
): Promise<{ sha: string; pullRequest: { number: number; url: string; branch: string } }> {
  const branch = `gantry/${req.env}/${req.app}-${plan.version}-${req.id.replace(/[^A-Za-z0-9]/g, '').slice(-10)}`.replace(/[^A-Za-z0-9._/-]/g, '-');
  let pushed = await d.repo.commitAndPush(plan.files, message, branch);
  if (pushed === 'rejected') {
    // an earlier run of this request pushed the branch and then failed to open the pull request
    const existing = await d.repo.remoteBranchMessage(branch);
    if (!existing?.includes(`Gantry-Request: ${req.id}`)) throw new GantryError('DEPLOY_CONFLICT', `branch ${branch} already exists in the deploy repo`);
    pushed = { sha: existing.split('\n')[0]! };
  }
  const [subject, ...rest] = message.split('\n');
  const pr = await d.opener.open({
    head: branch,
    base: d.base,
    title: subject!,
    body: `${plan.changes.map((c) => `- \`${c.file}:${c.line}\` ${c.before} → ${c.after}`).join('\n')}\n\n\`\`\`\n${rest.join('\n').trim()}\n\`\`\``,
  });
  return { sha: pushed.sha, pullRequest: { ...pr, branch } };
}
