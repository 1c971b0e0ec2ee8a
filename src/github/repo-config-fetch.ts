import type { Config } from '../config/schema.js';
import { GantryError } from '../domain/errors.js';
import { defaultRepoConfig, parseRepoConfig, REPO_CONFIG_PATH, type RepoConfig } from '../images/repo-config.js';

/** The minimal Octokit surface used here (tests and workers pass Probot's). */
export interface ContentsApi {
  request(route: string, params: Record<string, unknown>): Promise<{ data: unknown; status: number }>;
}

/**
 * Reads `.github/gantry.yml` at `sha`. Missing file: the defaults. Invalid file: CONFIG_INVALID.
 * Other API errors propagate (they are infrastructure faults, retried by the queue).
 */
export async function fetchRepoConfig(octokit: ContentsApi, repo: { owner: string; name: string }, sha: string, config: Config, app: string): Promise<RepoConfig> {
  let text: string;
  try {
    const res = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: repo.owner,
      repo: repo.name,
      path: REPO_CONFIG_PATH,
      ref: sha,
      headers: { accept: 'application/vnd.github.raw+json' },
    });
    text = typeof res.data === 'string' ? res.data : Buffer.isBuffer(res.data) ? res.data.toString('utf8') : String(res.data ?? '');
  } catch (e) {
    if ((e as { status?: number }).status === 404) return defaultRepoConfig();
    throw e;
  }
  if (text.length > 256 * 1024) throw new GantryError('CONFIG_INVALID', `${REPO_CONFIG_PATH}: larger than 256 KiB`);
  return parseRepoConfig(text, config, app);
}
