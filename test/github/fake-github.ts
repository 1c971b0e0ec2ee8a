import nock from 'nock';

/**
 * GitHub's REST API for one repo, served by nock with responses shaped like recorded ones.
 * Every mock must be used (`assertDone`), and any request nothing matches fails (net connect is
 * off except for 127.0.0.1 and the dockerd unix socket).
 */
export const API = 'https://api.github.com';
export const CODELOAD = 'https://codeload.github.com';

export interface CheckRunState {
  id: number;
  name: string;
  head_sha: string;
  external_id: string;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string; annotations?: { path: string; start_line: number; message: string; annotation_level: string }[] };
  /** every body sent (create, then each update) */
  history: Record<string, any>[];
}

export function lockDownNetwork(): void {
  nock.disableNetConnect();
  // the test's own servers, Redis and the registry on 127.0.0.1; dockerode's unix socket shows up as localhost:80
  nock.enableNetConnect((host) => /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host));
}

export class FakeGithub {
  readonly checkRuns = new Map<number, CheckRunState>();
  readonly deployments: Record<string, any>[] = [];
  readonly deploymentStatuses: Record<string, any>[] = [];
  private nextId = 7_000_000;
  readonly api: nock.Scope;

  constructor(
    readonly owner = 'acme',
    readonly repo = 'web',
    readonly installationId = 42,
  ) {
    this.api = nock(API);
  }

  get base(): string {
    return `/repos/${this.owner}/${this.repo}`;
  }

  /** POST /app/installations/:id/access_tokens (once per Probot instance and installation) */
  installationToken(): this {
    this.api.post(`/app/installations/${this.installationId}/access_tokens`).reply(201, {
      token: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      permissions: { checks: 'write', contents: 'read', metadata: 'read', pull_requests: 'read' },
      repository_selection: 'selected',
    });
    return this;
  }

  /** GET .github/gantry.yml at `sha`: its text, or 404 when `text` is undefined */
  repoConfig(sha: string, text: string | undefined): this {
    const i = this.api.get(`${this.base}/contents/.github%2Fgantry.yml`).query({ ref: sha });
    if (text === undefined) i.reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content', status: '404' });
    else i.reply(200, text, { 'content-type': 'application/vnd.github.raw+json; charset=utf-8' });
    return this;
  }

  /** check run create and update, as often as they come (persisted; each must be used at least once) */
  checks(o: { updates?: boolean; creates?: boolean } = {}): this {
    // a scope of its own: persistence is per scope in nock
    const persisted = nock(API).persist();
    if (o.creates !== false) {
      persisted
        .post(`${this.base}/check-runs`)
        .reply(201, (_uri, body) => {
          const b = body as Record<string, any>;
          const id = this.nextId++;
          const state: CheckRunState = { id, name: b.name, head_sha: b.head_sha, external_id: b.external_id, status: b.status ?? 'queued', conclusion: b.conclusion ?? null, output: b.output ?? {}, history: [b] };
          this.checkRuns.set(id, state);
          return this.checkRunBody(state);
        });
    }
    if (o.updates !== false) {
      persisted
        .patch(new RegExp(`^${this.base}/check-runs/\\d+$`))
        .reply(200, (uri, body) => {
          const id = Number(uri.split('/').pop());
          const state = this.checkRuns.get(id);
          if (!state) return { message: 'Not Found' };
          const b = body as Record<string, any>;
          state.history.push(b);
          if (b.status) state.status = b.status;
          if (b.conclusion) state.conclusion = b.conclusion;
          if (b.output) state.output = b.output;
          return this.checkRunBody(state);
        });
    }
    return this;
  }

  private checkRunBody(s: CheckRunState) {
    return {
      id: s.id,
      node_id: `CR_kwDO${s.id}`,
      head_sha: s.head_sha,
      external_id: s.external_id,
      url: `${API}${this.base}/check-runs/${s.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/runs/${s.id}`,
      details_url: null,
      status: s.status,
      conclusion: s.conclusion,
      started_at: new Date().toISOString(),
      completed_at: s.conclusion ? new Date().toISOString() : null,
      output: { title: s.output.title ?? null, summary: s.output.summary ?? null, text: s.output.text ?? null, annotations_count: 0, annotations_url: `${API}${this.base}/check-runs/${s.id}/annotations` },
      name: s.name,
      check_suite: { id: 5 },
      app: { id: 1, slug: 'gantry', name: 'gantry' },
      pull_requests: [],
    };
  }

  /** GET /tarball/:sha → 302 to codeload → the gzip'd tarball, as GitHub serves it */
  tarball(sha: string, body: Buffer, o: { delayMs?: number } = {}): this {
    const path = `/${this.owner}/${this.repo}/legacy.tar.gz/${sha}`;
    this.api.get(`${this.base}/tarball/${sha}`).reply(302, '', { location: `${CODELOAD}${path}?token=GHSAT0AAAAAA`, 'content-length': '0' });
    const dl = nock(CODELOAD).get(path).query(true);
    (o.delayMs ? dl.delay(o.delayMs) : dl).reply(200, body, {
      'content-type': 'application/x-gzip',
      'content-disposition': `attachment; filename=${this.owner}-${this.repo}-${sha.slice(0, 7)}.tar.gz`,
    });
    return this;
  }

  /** GET /collaborators/:login/permission */
  permission(login: string, permission: 'admin' | 'write' | 'read' | 'none'): this {
    this.api.get(`${this.base}/collaborators/${login}/permission`).reply(200, {
      permission,
      role_name: permission === 'none' ? 'none' : permission,
      user: { login, id: 1000 + login.length, type: 'User', site_admin: false },
    });
    return this;
  }

  /** GET /pulls/:n (`labels`, `user`, `merged`: what previews read) */
  pull(number: number, o: { sha: string; headRef: string; fork: boolean; state?: 'open' | 'closed'; labels?: string[]; user?: string; merged?: boolean }): this {
    this.api.get(`${this.base}/pulls/${number}`).reply(200, {
      number,
      state: o.state ?? 'open',
      user: { login: o.user ?? 'octocat', id: 583231, type: 'User' },
      labels: (o.labels ?? []).map((name, i) => ({ id: 208045946 + i, node_id: `MDU6TGFiZWwyMDgwNDU5NDY${i}`, name, color: 'f29513', default: false, description: null })),
      merged_at: o.merged ? '2026-01-02T00:00:00Z' : null,
      head: { ref: o.headRef, sha: o.sha, repo: { full_name: o.fork ? `octocat/${this.repo}` : `${this.owner}/${this.repo}`, fork: o.fork } },
      base: { ref: 'main', sha: 'f'.repeat(40), repo: { full_name: `${this.owner}/${this.repo}`, fork: false } },
    });
    return this;
  }

  /** the app JWT route and the deployment routes of the hook */
  deploymentsApi(): this {
    this.api.get(`${this.base}/installation`).reply(200, { id: this.installationId, app_id: 1, target_type: 'Organization', account: { login: this.owner } });
    this.api.post(`${this.base}/deployments`).reply(201, (_uri, body) => {
      this.deployments.push(body as Record<string, any>);
      return { id: 100 + this.deployments.length, url: `${API}${this.base}/deployments/${100 + this.deployments.length}`, ...(body as object) };
    });
    this.api.post(new RegExp(`^${this.base}/deployments/\\d+/statuses$`)).reply(201, (_uri, body) => {
      this.deploymentStatuses.push(body as Record<string, any>);
      return { id: 1, state: (body as { state: string }).state };
    });
    return this;
  }

  /** GET /check-runs/:id, as often as asked (persisted: used at least once) */
  checkRunReads(): this {
    nock(API)
      .persist()
      .get(new RegExp(`^${this.base}/check-runs/\\d+$`))
      .reply((uri) => {
        const state = this.checkRuns.get(Number(uri.split('/').pop()));
        return state ? [200, this.checkRunBody(state)] : [404, { message: 'Not Found' }];
      });
    return this;
  }

  /** bodies of the pull-request comments, by comment id, each edit appended */
  readonly comments = new Map<number, string[]>();

  /** POST /issues/:n/comments, once */
  commentCreate(number: number): this {
    this.api.post(`${this.base}/issues/${number}/comments`).reply(201, (_uri, body) => {
      const id = 1_500_000_000 + this.comments.size;
      this.comments.set(id, [(body as { body: string }).body]);
      return { id, node_id: 'IC_kwDOABCD', html_url: `https://github.com/${this.owner}/${this.repo}/pull/${number}#issuecomment-${id}`, body: (body as { body: string }).body, user: { login: 'gantry[bot]', type: 'Bot' } };
    });
    return this;
  }

  /** PATCH /issues/comments/:id, once */
  commentEdit(): this {
    this.api.patch(new RegExp(`^${this.base}/issues/comments/\\d+$`)).reply(200, (uri, body) => {
      const id = Number(uri.split('/').pop());
      this.comments.get(id)?.push((body as { body: string }).body);
      return { id, body: (body as { body: string }).body };
    });
    return this;
  }

  /** a check run as an earlier build left it (completed, success), without a request */
  seedCheckRun(sha: string, summary: string): number {
    const id = this.nextId++;
    this.checkRuns.set(id, { id, name: 'gantry / build (web)', head_sha: sha, external_id: 'web|pr|1', status: 'completed', conclusion: 'success', output: { title: 'image built', summary }, history: [] });
    return id;
  }

  runs(): CheckRunState[] {
    return [...this.checkRuns.values()];
  }

  run(name: string, sha?: string): CheckRunState | undefined {
    return this.runs().filter((r) => r.name === name && (!sha || r.head_sha === sha)).pop();
  }

  /** fails when a mock was never used */
  assertDone(): void {
    const pending = nock.pendingMocks();
    if (pending.length) throw new Error(`GitHub API mocks never used: ${pending.join(', ')}`);
  }
}

export { adapt, commentPayload, example, prPayload, pushPayload } from '../support/github-payloads.js';
