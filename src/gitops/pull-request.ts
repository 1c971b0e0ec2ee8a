import type { Config } from '../config/schema.js';
import { GantryError } from '../domain/errors.js';

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
