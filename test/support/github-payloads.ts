import { createRequire } from 'node:module';

/**
 * Webhook payloads as GitHub sends them: recorded examples from @octokit/webhooks-examples,
 * pointed at the test repository. No nock here: spawned-process tests use these too.
 */

/** The repository and installation a payload is for (a FakeGithub is one). */
export interface RepoRef {
  owner: string;
  repo: string;
  installationId: number;
}

/** acme/web, installation 42: the repo the test configs build `web` from */
export const ACME_WEB: RepoRef = { owner: 'acme', repo: 'web', installationId: 42 };

/**
 * GitHub stamps every real event: a new comment has a new id, a pull request event a new
 * `updated_at`. Builders take a fresh stamp per call, so two calls are two events and sending one
 * payload twice is a replay (which gantry drops whatever its delivery id).
 */
let stamp = Date.parse('2026-01-01T00:00:00Z') / 1000;
const nextStamp = () => ++stamp;

/** A payload from @octokit/webhooks-examples, deep-copied. */
export function example(name: string, match: (e: any) => boolean): any {
  const require = createRequire(import.meta.url);
  const all = require('@octokit/webhooks-examples/api.github.com/index.json') as { name: string; examples: any[] }[];
  const found = all.find((e) => e.name === name)?.examples.find(match);
  if (!found) throw new Error(`no ${name} example matches`);
  return structuredClone(found);
}

/** Points a recorded payload at acme/web and the test installation. */
export function adapt(p: any, gh: RepoRef): any {
  p.installation = { id: gh.installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=' };
  p.repository.name = gh.repo;
  p.repository.full_name = `${gh.owner}/${gh.repo}`;
  p.repository.owner.login = gh.owner;
  return p;
}

export function prPayload(gh: RepoRef, o: { action: string; number: number; sha: string; headRef?: string; fork?: boolean; label?: string }): any {
  const recorded = ['synchronize', 'closed', 'labeled', 'unlabeled'].includes(o.action) ? o.action : 'opened';
  const p = adapt(example('pull_request', (e) => e.action === recorded), gh);
  if (o.label !== undefined && p.label) p.label.name = o.label;
  p.action = o.action;
  p.number = o.number;
  const pr = p.pull_request;
  pr.number = o.number;
  pr.updated_at = new Date(nextStamp() * 1000).toISOString().replace('.000Z', 'Z');
  pr.head.sha = o.sha;
  pr.head.ref = o.headRef ?? 'feature';
  pr.base.ref = 'main';
  pr.base.repo.full_name = `${gh.owner}/${gh.repo}`;
  pr.base.repo.name = gh.repo;
  pr.head.repo.full_name = o.fork ? `octocat/${gh.repo}` : `${gh.owner}/${gh.repo}`;
  pr.head.repo.fork = !!o.fork;
  return p;
}

export function pushPayload(gh: RepoRef, o: { ref: string; sha: string }): any {
  const p = adapt(example('push', (e) => e.ref === 'refs/heads/master' && e.installation), gh);
  p.ref = o.ref;
  p.after = o.sha;
  p.head_commit.id = o.sha;
  p.created = true;
  p.deleted = false;
  return p;
}

export function commentPayload(gh: RepoRef, o: { number: number; login: string; body: string }): any {
  const p = adapt(example('issue_comment', (e) => e.action === 'created'), gh);
  p.issue.number = o.number;
  p.issue.pull_request = { url: `https://api.github.com/repos/${gh.owner}/${gh.repo}/pulls/${o.number}`, html_url: `https://github.com/${gh.owner}/${gh.repo}/pull/${o.number}` };
  p.comment.id = nextStamp();
  p.comment.body = o.body;
  p.comment.user.login = o.login;
  p.comment.user.type = 'User';
  return p;
}
