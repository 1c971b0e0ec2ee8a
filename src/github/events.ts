import type { Context } from 'probot';

/**
 * Webhook payloads turned into the small, typed events gantry queues. Pure functions: no I/O.
 * An event gantry does not act on becomes `undefined` and is acknowledged without queueing.
 */
interface Base {
  installationId: number;
  owner: string;
  repo: string;
  /**
   * What the event does, the same however often it is delivered: the repository id, what it acts
   * on and, where a real repeat is possible, GitHub's timestamp of it. A signed payload replayed
   * under a new delivery id has the same one, and the inbox drops it (src/github/inbox.ts).
   */
  act: string;
}

export type RepoEvent =
  /** `relabel`: labeled or unlabeled, which only previews act on */
  | (Base & { type: 'pr'; action: 'build' | 'close' | 'relabel'; number: number; sha: string; headRef: string; baseRef: string; fork: boolean })
  /** `changedAt`: the pushed commit's own time (GitHub's head_commit.timestamp), when it has a valid one */
  | (Base & { type: 'push'; kind: 'branch' | 'tag'; name: string; sha: string; changedAt?: string })
  | (Base & { type: 'rerun-check'; sha: string; externalId: string })
  | (Base & { type: 'rerun-suite'; suiteId: number; sha: string })
  | (Base & { type: 'build-command'; number: number; login: string });

/** A queued event: the repo event plus the delivery it came in and the app it belongs to. */
export type EventJob = RepoEvent & { delivery: string; app: string; receivedAt: string };

type Payload<E extends 'pull_request' | 'push' | 'check_run' | 'check_suite' | 'issue_comment'> = Context<E>['payload'];

type BasePayload = { installation?: { id: number } | null; repository: { id: number; name: string; owner: { login: string } } };

function base(p: BasePayload, ...act: (string | number)[]): Base | undefined {
  if (!p.installation) return undefined;
  return { installationId: p.installation.id, owner: p.repository.owner.login, repo: p.repository.name, act: [p.repository.id, ...act].join('|') };
}

export function fromPullRequest(p: Payload<'pull_request'>): RepoEvent | undefined {
  const pr = p.pull_request;
  // updated_at: a pull request closed and reopened on the same head is built again, a replay is not
  const b = base(p, 'pr', pr.number, p.action, pr.head.sha, pr.updated_at);
  if (!b) return undefined;
  const action = p.action === 'closed' ? 'close' : ['opened', 'synchronize', 'reopened'].includes(p.action) ? 'build' : ['labeled', 'unlabeled'].includes(p.action) ? 'relabel' : undefined;
  if (!action) return undefined;
  // a fork's head repo differs from the base repo (or is gone when the fork was deleted)
  const fork = pr.head.repo?.full_name !== pr.base.repo.full_name;
  return { ...b, type: 'pr', action, number: pr.number, sha: pr.head.sha, headRef: pr.head.ref, baseRef: pr.base.ref, fork };
}

export function fromPush(p: Payload<'push'>): RepoEvent | undefined {
  const b = base(p as BasePayload, 'push', p.ref, p.after);
  if (!b || p.deleted) return undefined;
  const m = /^refs\/(heads|tags)\/(.+)$/.exec(p.ref);
  if (!m) return undefined;
  // an annotated tag's `after` is the tag object; head_commit is the commit it points at
  const sha = p.head_commit?.id ?? p.after;
  const ev: RepoEvent = { ...b, type: 'push', kind: m[1] === 'tags' ? 'tag' : 'branch', name: m[2]!, sha };
  // the start of a release's lead time (src/queries/stats.ts); a payload's text is checked, never trusted
  const changed = Date.parse(p.head_commit?.timestamp ?? '');
  if (Number.isFinite(changed)) ev.changedAt = new Date(changed).toISOString();
  return ev;
}

/** Only gantry's own check runs (app id) are rebuilt. */
export function fromCheckRun(p: Payload<'check_run'>, appId: number): RepoEvent | undefined {
  // a re-run creates a new check run: the next re-run request names that one
  const b = base(p as BasePayload, 'check_run', p.check_run.id);
  if (!b || p.action !== 'rerequested' || p.check_run.app?.id !== appId || !p.check_run.external_id) return undefined;
  return { ...b, type: 'rerun-check', sha: p.check_run.head_sha, externalId: p.check_run.external_id };
}

export function fromCheckSuite(p: Payload<'check_suite'>, appId: number): RepoEvent | undefined {
  const b = base(p as BasePayload, 'check_suite', p.check_suite.id, p.check_suite.updated_at ?? '');
  if (!b || p.action !== 'rerequested' || p.check_suite.app?.id !== appId) return undefined;
  return { ...b, type: 'rerun-suite', suiteId: p.check_suite.id, sha: p.check_suite.head_sha };
}

const BUILD_COMMAND = /^\/gantry\s+build\s*$/m;

/** `/gantry build` in a new comment on a pull request (issues are ignored). */
export function fromIssueComment(p: Payload<'issue_comment'>): RepoEvent | undefined {
  const b = base(p as BasePayload, 'comment', p.comment.id);
  if (!b || p.action !== 'created' || !p.issue.pull_request || !BUILD_COMMAND.test(p.comment.body)) return undefined;
  if (p.comment.user?.type === 'Bot') return undefined;
  return { ...b, type: 'build-command', number: p.issue.number, login: p.comment.user?.login ?? '' };
}
