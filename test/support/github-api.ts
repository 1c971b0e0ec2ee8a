import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckRunState } from '../github/fake-github.js';

/**
 * GitHub's REST API for one repository, over real HTTP on 127.0.0.1, for spawned gantry
 * processes (nock only reaches the test's own process): the installation token, `.github/gantry.yml`
 * (absent: the defaults), the app's webhook deliveries (none failed), check runs (created,
 * updated and listed, every body recorded) and source tarballs behind codeload's redirect. Answers
 * can be held back, to kill their caller at the worst moment. A request nothing here answers gets
 * a 404 and is listed in `unexpected`, so a test can fail on it.
 *
 * Like GitHub, a completed check run keeps its status and conclusion: an update that tries to
 * change them is recorded in `history` and otherwise ignored (its output is still applied).
 */
export interface GithubApi {
  /** GITHUB_API_URL for the spawned processes */
  url: string;
  checkRuns: Map<number, CheckRunState>;
  runs(): CheckRunState[];
  /** `METHOD path` of every request nothing answered */
  unexpected: string[];
  /** serves `body` as the source tarball of `sha` */
  tarball(sha: string, body: Buffer): void;
  /**
   * Applies the next update that concludes a check run matching `match`, then holds its answer
   * back until `release()`: GitHub has the conclusion, the caller has not heard so. `held`
   * resolves with the check run once that happened.
   */
  holdNextConclusion(match: (run: CheckRunState) => boolean): { held: Promise<CheckRunState>; release(): void };
  /** the same for the next check run created that matches: GitHub has it, its creator has not heard back */
  holdNextCreate(match: (run: CheckRunState) => boolean): { held: Promise<CheckRunState>; release(): void };
  /** answers requests for the tarballs of matching commits only after `release()` */
  holdTarballs(match: (sha: string) => boolean): { release(): void };
  close(): Promise<void>;
}

export async function startGithubApi(o: { owner?: string; repo?: string; installationId?: number } = {}): Promise<GithubApi> {
  const owner = o.owner ?? 'acme';
  const repo = o.repo ?? 'web';
  const installationId = o.installationId ?? 42;
  const base = `/repos/${owner}/${repo}`;
  const checkRuns = new Map<number, CheckRunState>();
  const tarballs = new Map<string, Buffer>();
  const unexpected: string[] = [];
  const releases: (() => void)[] = [];
  let tarballGate: { match: (sha: string) => boolean; released: Promise<void> } | undefined;
  type Hold = { match: (run: CheckRunState) => boolean; onHeld: (run: CheckRunState) => void; released: Promise<void> };
  const holds: { create?: Hold; conclusion?: Hold } = {};
  /** holds the answer about `run` when a hold of that kind matches it (once) */
  const maybeHold = async (kind: keyof typeof holds, run: CheckRunState) => {
    const h = holds[kind];
    if (!h || !h.match(run)) return;
    delete holds[kind];
    h.onHeld(run);
    await h.released;
  };
  const arm = (kind: keyof typeof holds, match: (run: CheckRunState) => boolean) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    releases.push(release);
    const held = new Promise<CheckRunState>((onHeld) => (holds[kind] = { match, onHeld, released }));
    return { held, release };
  };
  let nextId = 9_000_000;
  let url = '';

  const runBody = (s: CheckRunState) => ({
    id: s.id,
    node_id: `CR_kwDO${s.id}`,
    head_sha: s.head_sha,
    external_id: s.external_id,
    url: `${url}${base}/check-runs/${s.id}`,
    html_url: `https://github.com/${owner}/${repo}/runs/${s.id}`,
    details_url: null,
    status: s.status,
    conclusion: s.conclusion,
    started_at: new Date().toISOString(),
    completed_at: s.conclusion ? new Date().toISOString() : null,
    output: { title: s.output.title ?? null, summary: s.output.summary ?? null, text: s.output.text ?? null, annotations_count: 0, annotations_url: `${url}${base}/check-runs/${s.id}/annotations` },
    name: s.name,
    check_suite: { id: 5 },
    app: { id: 1, slug: 'gantry', name: 'gantry' },
    pull_requests: [],
  });

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(u.pathname);
    const method = req.method ?? 'GET';
    const body = raw ? (JSON.parse(raw) as Record<string, any>) : {};
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === `/app/installations/${installationId}/access_tokens`) {
      return json(res, 201, { token: 'ghs_fakeGithubApiInstallationToken01', expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { checks: 'write', contents: 'read' } });
    }
    if (method === 'GET' && path === '/app/hook/deliveries') {
      // the redelivery sweep: no failed delivery to ask for again
      return json(res, 200, []);
    }
    if (method === 'GET' && path === `${base}/contents/.github/gantry.yml`) {
      return json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content', status: '404' });
    }
    if (method === 'POST' && path === `${base}/check-runs`) {
      const id = nextId++;
      const s: CheckRunState = { id, name: body.name, head_sha: body.head_sha, external_id: body.external_id, status: body.status ?? 'queued', conclusion: body.conclusion ?? null, output: body.output ?? {}, history: [body] };
      checkRuns.set(id, s);
      await maybeHold('create', s);
      return json(res, 201, runBody(s));
    }
    if (method === 'PATCH' && (m = new RegExp(`^${base}/check-runs/(\\d+)$`).exec(path))) {
      const s = checkRuns.get(Number(m[1]));
      if (!s) return json(res, 404, { message: 'Not Found' });
      s.history.push(body);
      const wasCompleted = s.status === 'completed';
      if (!wasCompleted) {
        if (body.status) s.status = body.status;
        if (body.conclusion) {
          s.status = 'completed';
          s.conclusion = body.conclusion;
        }
      }
      if (body.output) s.output = body.output;
      if (body.conclusion && !wasCompleted) await maybeHold('conclusion', s);
      return json(res, 200, runBody(s));
    }
    if (method === 'GET' && (m = new RegExp(`^${base}/commits/([0-9a-f]{40})/check-runs$`).exec(path))) {
      const name = u.searchParams.get('check_name');
      const runs = [...checkRuns.values()].filter((r) => r.head_sha === m![1] && (!name || r.name === name));
      return json(res, 200, { total_count: runs.length, check_runs: runs.map(runBody) });
    }
    if (method === 'GET' && (m = new RegExp(`^${base}/tarball/([0-9a-f]{40})$`).exec(path)) && tarballs.has(m[1]!)) {
      if (tarballGate?.match(m[1]!)) await tarballGate.released;
      res.writeHead(302, { location: `${url}/codeload/${owner}/${repo}/legacy.tar.gz/${m[1]}`, 'content-length': '0' });
      return res.end();
    }
    if (method === 'GET' && (m = new RegExp(`^/codeload/${owner}/${repo}/legacy\\.tar\\.gz/([0-9a-f]{40})$`).exec(path)) && tarballs.has(m[1]!)) {
      const tar = tarballs.get(m[1]!)!;
      res.writeHead(200, { 'content-type': 'application/x-gzip', 'content-length': String(tar.length), 'content-disposition': `attachment; filename=${owner}-${repo}-${m[1]!.slice(0, 7)}.tar.gz` });
      return res.end(tar);
    }
    unexpected.push(`${method} ${path}`);
    return json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, { message: String(err) });
        else res.destroy();
      });
    });
  });
  // the caller of a held answer may be dead by now: its socket's errors are expected
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    checkRuns,
    runs: () => [...checkRuns.values()],
    unexpected,
    tarball: (sha, body) => void tarballs.set(sha, body),
    holdNextConclusion: (match) => arm('conclusion', match),
    holdNextCreate: (match) => arm('create', match),
    holdTarballs(match) {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      releases.push(release);
      tarballGate = { match, released };
      return { release };
    },
    async close() {
      delete holds.create;
      delete holds.conclusion;
      for (const r of releases) r();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
