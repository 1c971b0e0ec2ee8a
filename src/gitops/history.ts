import { parseDeployTrailers, type DeployTrailers } from './trailers.js';
import type { GitRepo } from './git.js';

/** One deployment as the deploy repo's history records it. */
export interface Deployment extends DeployTrailers {
  sha: string;
  date: string;
  author: string;
}

/** Escapes a value for git's extended-regex --grep. */
function re(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Reads deployments back from commit trailers: the deploy repo is the audit log and the source of
 * truth, so all of this survives a wiped Redis.
 */
export class History {
  constructor(private readonly repo: GitRepo) {}

  /** The newest `max` deployments of an app to an environment, newest first. */
  async deployments(app: string, env: string, max = 20): Promise<Deployment[]> {
    const entries = await this.repo.log({
      grep: [`^Gantry-Environment: ${re(env)}$`, `^Gantry-App: ${re(app)}$`],
      max,
    });
    const out: Deployment[] = [];
    for (const e of entries) {
      const t = parseDeployTrailers(e.message, app);
      // --grep matched lines anywhere in the message; keep only real trailers of this app/env
      if (t && t.app === app && t.env === env) out.push({ ...t, sha: e.sha, date: e.date, author: e.author });
    }
    return out;
  }

  /** The commit that deployed `version` of `app` to `env` most recently, if any. */
  async findDeployment(app: string, env: string, version: string): Promise<Deployment | undefined> {
    const entries = await this.repo.log({
      grep: [`^Gantry-Environment: ${re(env)}$`, `^Gantry-App: ${re(app)}$`, `^Gantry-Version: ${re(version)}$`],
      max: 1,
    });
    const e = entries[0];
    const t = e && parseDeployTrailers(e.message, app);
    return e && t && t.version === version ? { ...t, sha: e.sha, date: e.date, author: e.author } : undefined;
  }

  /** A commit made for request `id` among the newest commits, for jobs that may have run before. */
  async findRequest(id: string, within = 200): Promise<Deployment | undefined> {
    const entries = await this.repo.log({ grep: [`^Gantry-Request: ${re(id)}$`], max: 1, range: `HEAD~${within}..HEAD` }).catch(() =>
      // a history shorter than `within` has no HEAD~within: search all of it
      this.repo.log({ grep: [`^Gantry-Request: ${re(id)}$`], max: 1 }),
    );
    const e = entries[0];
    const t = e && parseDeployTrailers(e.message);
    return e && t ? { ...t, sha: e.sha, date: e.date, author: e.author } : undefined;
  }
}
