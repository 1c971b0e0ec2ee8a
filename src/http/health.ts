import type { IncomingMessage, ServerResponse } from 'node:http';
import { redact } from '../gitops/git.js';
import { run } from '../util/exec.js';
import type { Logger } from '../util/logger.js';
import { refuseBody } from './auth.js';
import { sendJson, type Route } from './server.js';

export interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
  /** when a cached result is served: when it was measured */
  checkedAt?: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** the checks that failed */
  down: string[];
  checks: Record<string, CheckResult>;
}

/** What the deploy-repo probe needs: the same URL, branch and token the deployer uses. */
export interface DeployRepoTarget {
  url: string;
  branch: string;
  token?: string;
}

export interface ReadinessOptions {
  redis: { ping(): Promise<unknown> };
  repo: DeployRepoTarget;
  /** the builds' Docker engine (dockerode), when this process runs builds */
  docker?: { ping(): Promise<unknown> };
  log: Logger;
  /** how long a deploy-repo or Docker result is reused (default 5 s): probes come every few seconds */
  cacheMs?: number;
  /** per check (default 5 s for git, 2 s for Redis and Docker) */
  gitTimeoutMs?: number;
  timeoutMs?: number;
}

/**
 * `/readyz`: Redis answers PING, the deploy repo answers `git ls-remote` for its branch, and the
 * Docker engine answers when this process builds. Slow checks are cached briefly and shared by
 * concurrent probes, so a probe every second costs at most one `git` process per cache period.
 */
export class Readiness {
  private readonly cache = new Map<string, { at: number; result: CheckResult }>();
  private readonly inflight = new Map<string, Promise<CheckResult>>();

  constructor(private readonly o: ReadinessOptions) {}

  async check(): Promise<ReadinessReport> {
    const t = this.o.timeoutMs ?? 2000;
    const checks: [string, () => Promise<CheckResult>][] = [
      ['redis', () => timed(() => this.o.redis.ping(), t)],
      ['deployRepo', () => this.cached('deployRepo', () => timed(() => lsRemote(this.o.repo, this.o.gitTimeoutMs ?? 5000), (this.o.gitTimeoutMs ?? 5000) + 500))],
    ];
    const docker = this.o.docker;
    if (docker) checks.push(['docker', () => this.cached('docker', () => timed(() => docker.ping(), t))]);
    const results = await Promise.all(checks.map(async ([name, f]) => [name, await f()] as const));
    const down = results.filter(([, r]) => !r.ok).map(([n]) => n);
    if (down.length) this.o.log.warn({ down, errors: Object.fromEntries(results.filter(([, r]) => !r.ok).map(([n, r]) => [n, r.error])) }, 'not ready');
    return { ready: down.length === 0, down, checks: Object.fromEntries(results) };
  }

  private cached(name: string, f: () => Promise<CheckResult>): Promise<CheckResult> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < (this.o.cacheMs ?? 5000)) return Promise.resolve({ ...hit.result, checkedAt: new Date(hit.at).toISOString() });
    let p = this.inflight.get(name);
    if (!p) {
      p = f().then((result) => {
        this.cache.set(name, { at: Date.now(), result });
        this.inflight.delete(name);
        return result;
      });
      this.inflight.set(name, p);
    }
    return p;
  }
}

/** Runs a probe with a deadline; any failure becomes a short, credential-free message. */
async function timed(probe: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const running = probe();
  running.catch(() => undefined); // a late failure after the deadline is not an unhandled rejection
  try {
    await Promise.race([running, deadline]);
    return { ok: true, ms: Date.now() - start };
  } catch (e) {
    const msg = redact(e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
    return { ok: false, ms: Date.now() - start, error: msg };
  } finally {
    clearTimeout(timer);
  }
}

/** `git ls-remote` of the deploy branch: proves the remote answers and the branch exists. */
async function lsRemote(repo: DeployRepoTarget, timeoutMs: number): Promise<void> {
  const pre: string[] = [];
  if (repo.token && /^https?:/.test(repo.url)) {
    // as GitRepo does: the token travels as a header of this one command, never in the URL
    const basic = Buffer.from(`x-access-token:${repo.token}`).toString('base64');
    pre.push('-c', `http.extraHeader=Authorization: Basic ${basic}`);
  }
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    // ssh must not wait for a password or a host-key prompt nobody will answer
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? `ssh -o BatchMode=yes -o ConnectTimeout=${Math.ceil(timeoutMs / 1000)}`,
  };
  const r = await run('git', [...pre, 'ls-remote', '--heads', repo.url, `refs/heads/${repo.branch}`], { env, timeoutMs });
  if (r.stderr.includes('killed by SIGKILL')) throw new Error(`git ls-remote took longer than ${timeoutMs} ms`);
  if (r.code !== 0) {
    const line = r.stderr.split('\n').map((l) => l.trim()).find(Boolean);
    throw new Error(`git ls-remote ${redact(repo.url)}: ${line ?? `exit ${r.code}`}`);
  }
  if (!r.stdout.includes(`\trefs/heads/${repo.branch}`)) throw new Error(`branch ${repo.branch} not found in ${redact(repo.url)}`);
}

/** `/healthz` (alive: always 200 while the process runs) and `/readyz` (200 or 503 naming what is down). */
export function healthRoutes(readiness: Readiness): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      // no body check: alive means 200, whatever the request carries (it is never read)
      handler: (_req: IncomingMessage, res: ServerResponse) => sendJson(res, 200, { ok: true }),
    },
    {
      method: 'GET',
      path: '/readyz',
      async handler(req: IncomingMessage, res: ServerResponse) {
        if (refuseBody(req, res, 0)) return;
        const report = await readiness.check();
        res.setHeader('cache-control', 'no-store');
        sendJson(res, report.ready ? 200 : 503, report.ready ? { ok: true, checks: report.checks } : { ok: false, down: report.down, checks: report.checks });
      },
    },
  ];
}
