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
      const t = parseDeployTrailers(e.message);
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
    const t = e && parseDeployTrailers(e.message);
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

  /**
   * Where `/rollback <env>` goes: the release that ran before the current one. History is
   * replayed as a stack, so a rollback pops what it rolled back from and a second rollback goes
   * one further back (v1 → v2 → v3, rollback → v2, rollback → v1), never forward to v3.
   */
  async rollbackTarget(app: string, env: string, current: string | undefined, depth = 200): Promise<Deployment | undefined> {
    const newestFirst = await this.deployments(app, env, depth);
    const stack: Deployment[] = [];
    for (const d of [...newestFirst].reverse()) {
      if (d.action === 'rollback') {
        const at = findLastIndex(stack, (s) => s.version === d.version);
        if (at >= 0) {
          stack.length = at; // drop what was rolled back from, keep the older entries
        }
      } else {
        const top = stack[stack.length - 1];
        if (top && top.version === d.version) stack.pop();
      }
      stack.push(d);
    }
    // files edited by hand may disagree with the last trailer: go below whatever runs now
    while (stack.length && current !== undefined && stack[stack.length - 1]!.version !== current) {
      const idx = findLastIndex(stack, (s) => s.version === current);
      if (idx < 0) break;
      stack.length = idx + 1;
    }
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i]!.version !== current) return stack[i];
    }
    return undefined;
  }
}

function findLastIndex<T>(arr: T[], pred: (t: T) => boolean): number {
  for (let i = arr.length - 1; i >= 0; i--) if (pred(arr[i]!)) return i;
  return -1;
}
