import { run } from '../util/exec.js';

/**
 * Whether one deploy-repo commit is an ancestor of another, asked of the warm clone. A revision
 * the clone does not have (pushed by someone else, not fetched yet) is not known: that is
 * `RevisionUnknown`, never a guessed "no".
 */
export type IsAncestor = (ancestor: string, descendant: string) => Promise<boolean>;

export class RevisionUnknown extends Error {
  constructor(readonly sha: string) {
    super(`commit ${sha} is not in the deploy repo clone`);
    this.name = 'RevisionUnknown';
  }
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit a revision names, or undefined: a bare SHA (Argo CD's `sync.revision`), Flux's
 * `main@sha1:<sha>` or its older `main/<sha>`. Only full SHAs: a short one could name two commits.
 */
export function commitOf(revision: string): string | undefined {
  const m = /^(?:.*@sha(?:1|256):|.*\/)?([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)$/.exec(revision.trim());
  const sha = m?.[1]?.toLowerCase();
  return sha && SHA.test(sha) ? sha : undefined;
}

export interface AncestryOptions {
  /** the working clone of the deploy repo (GitRepo.dir) */
  dir: string;
  /**
   * Called once when a commit is not in the clone, before asking again (GitRepo.fetchIfOlder with
   * a floor, so a flood of unknown revisions cannot turn into a flood of fetches). Without it an
   * unknown commit stays unknown.
   */
  fetch?: () => Promise<void>;
}

/** `isAncestor` over `git merge-base --is-ancestor` in the clone. */
export function gitAncestry(o: AncestryOptions): IsAncestor {
  const git = (args: string[]) => run('git', ['-C', o.dir, ...args], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });
  const missing = async (shas: string[]) => {
    for (const sha of shas) {
      if ((await git(['cat-file', '-e', `${sha}^{commit}`])).code !== 0) return sha;
    }
    return undefined;
  };
  return async (ancestor, descendant) => {
    const shas = [ancestor, descendant].map((s) => {
      // only SHAs reach git's command line: a revision from a webhook is outside input
      if (!SHA.test(s)) throw new RevisionUnknown(s);
      return s;
    });
    let absent = await missing(shas);
    if (absent && o.fetch) {
      await o.fetch();
      absent = await missing(shas);
    }
    if (absent) throw new RevisionUnknown(absent);
    const r = await git(['merge-base', '--is-ancestor', ancestor, descendant]);
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new Error(`git merge-base --is-ancestor ${ancestor} ${descendant}: ${r.stderr.trim() || `exit ${r.code}`}`);
  };
}
