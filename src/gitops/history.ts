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
  constructor(
    private readonly repo: GitRepo,
    /**
     * The files of an app in an environment (undefined: unknown). A deployment changed them, so
     * only commits that touched them are read: with the commit-graph's Bloom filters a rarely
     * deployed app's lookup skips nearly every commit instead of reading every message.
     */
    private readonly pathsOf: (app: string, env: string) => readonly string[] | undefined = () => undefined,
  ) {}

  private paths(app: string, env: string): { paths?: string[] } {
    const paths = this.pathsOf(app, env);
    return paths?.length ? { paths: [...paths] } : {};
  }

  /** The newest `max` deployments of an app to an environment, newest first. */
  async deployments(app: string, env: string, max = 20): Promise<Deployment[]> {
    const entries = await this.repo.log({
      grep: [`^Gantry-Environment: ${re(env)}$`, `^Gantry-App: ${re(app)}$`],
      max,
      ...this.paths(app, env),
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
      ...this.paths(app, env),
    });
    const e = entries[0];
    const t = e && parseDeployTrailers(e.message, app);
    return e && t && t.version === version ? { ...t, sha: e.sha, date: e.date, author: e.author } : undefined;
  }

  /**
   * A commit made for request `id` among the newest commits, for jobs that may have run before;
   * `target` (the request's app and environment) limits the search to commits that touched its files.
   */
  async findRequest(id: string, within = 200, target?: { app: string; env: string }): Promise<Deployment | undefined> {
    const where = target ? this.paths(target.app, target.env) : {};
    const grep = [`^Gantry-Request: ${re(id)}$`];
    const entries = await this.repo.log({ grep, max: 1, range: `HEAD~${within}..HEAD`, ...where }).catch(() =>
      // a history shorter than `within` has no HEAD~within: search all of it
      this.repo.log({ grep, max: 1, ...where }),
    );
    const e = entries[0];
    const t = e && parseDeployTrailers(e.message);
    return e && t ? { ...t, sha: e.sha, date: e.date, author: e.author } : undefined;
  }
}
