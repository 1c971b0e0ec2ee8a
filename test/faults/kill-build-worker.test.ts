import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Queue, type Job } from 'bullmq';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_QUEUE, buildJobId, type BuildJobData, type BuildJobResult } from '../../src/images/build-queue.js';
import { EventBus, type StoredEvent } from '../../src/notify/events.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { Keys } from '../../src/store/redis.js';
import type { CheckRunState } from '../github/fake-github.js';
import { busyboxContext, dockerClient, dockerServices, fetchManifest, type TestDockerServices } from '../support/docker.js';
import { redisUrl } from '../support/env.js';
import { startGithubApi, type GithubApi } from '../support/github-api.js';
import { ACME_WEB, prPayload } from '../support/github-payloads.js';
import { makeWorld, spawnGantry, until, type Spawned, type World } from '../support/processes.js';
import { privateKey } from '../support/secret-world.js';

const N = 6;
const NAME = 'gantry / build (web)';
const WEBHOOK_SECRET = 'kill-build-webhook-secret';
/** a dead worker's build is handed on after about twice this (see src/store/job-lock.ts) */
const JOB_LOCK = '5s';
const RECOVERY_MS = 120_000;

interface Pr {
  number: number;
  sha: string;
  jobId: string;
}

/**
 * Pull requests build on the real engine and registry (through a spawned `gantry web` and two
 * `gantry worker` machines with two build slots each, GitHub's API served over HTTP), while every
 * machine dies (kill -9 of its process group) at bad moments and fresh ones start. Every build must
 * end exactly once: one check run per commit, concluded success once (a repeat must say the same,
 * nothing may reopen it), the digest the pushed tags name the one reported and returned by the
 * job, one build-succeeded event per commit.
 */
describe('kill -9 of every build worker in the middle of docker builds', () => {
  let services: TestDockerServices;
  let docker: Docker;
  let world: World;
  let api: GithubApi;
  let builds: Queue<BuildJobData, BuildJobResult>;
  let base: string;
  const procs: Spawned[] = [];
  let machines: Spawned[] = [];
  let machineCount = 0;
  const events: StoredEvent[] = [];
  let unsubscribe: (() => Promise<void>) | undefined;
  let busRedis: Redis | undefined;

  const githubEnv = () => ({ GITHUB_APP_ID: '1', GITHUB_PRIVATE_KEY: privateKey(), GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET, GITHUB_API_URL: api.url });
  const said = () => procs.map((p) => p.output().slice(-800)).join('\n---\n');
  /** kills the machines running (if any), then starts two fresh ones, each in a directory of its own */
  const restartMachines = async () => {
    await Promise.all(machines.map((w) => w.kill9()));
    machines = [0, 1].map(() => {
      const w = spawnGantry(['worker'], {
        cwd: path.join(world.dir, `machine-${++machineCount}`),
        env: world.env({ ...githubEnv(), DOCKER_HOST: services.dockerHost, GANTRY_REGISTRY: services.registry, GANTRY_JOB_LOCK: JOB_LOCK, GANTRY_BUILD_CONCURRENCY: '2' }),
      });
      procs.push(w);
      return w;
    });
  };
  const killMachines = () => Promise.all(machines.map((w) => w.kill9()));
  /** a pull request whose source GitHub serves; its Dockerfile names the commit, so no layer cache is shared between commits and docker shows which build sleeps */
  const pullRequest = async (number: number): Promise<Pr> => {
    const sha = randomBytes(20).toString('hex');
    const dockerfile = `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nRUN echo "building ${sha}" && sleep 4\nCOPY . /app\n`;
    api.tarball(sha, await busyboxContext('hello', { top: `acme-web-${sha.slice(0, 7)}`, extra: { Dockerfile: dockerfile } }));
    return { number, sha, jobId: buildJobId({ source: { owner: 'acme', repo: 'web', installationId: 42, sha }, image: 'web', trigger: { kind: 'pr', number, headRef: 'feature', baseRef: 'main', fork: false } }) };
  };
  const open = async (pr: Pr) => {
    const res = await deliver(base, 'pull_request', prPayload(ACME_WEB, { action: 'opened', number: pr.number, sha: pr.sha }));
    expect(res.status, await res.text()).toBe(200);
  };
  /** head SHAs whose `RUN … sleep` step runs in a build container right now */
  const sleeping = async () => {
    const shas = (await docker.listContainers()).map((c) => /building ([0-9a-f]{40})\b.*\bsleep\b/.exec(c.Command)?.[1]);
    return new Set(shas.filter((s): s is string => !!s));
  };
  const runsOf = (sha: string) => api.runs().filter((r) => r.head_sha === sha);
  /** waits until every job has ended (completed or failed): a check run not concluded then never will be */
  const ended = (prs: Pr[]) =>
    until(
      async () => {
        // the state first, then the job: a job read before it ended has no return value yet, even if its state read after says completed
        const all = await Promise.all(
          prs.map(async (pr) => {
            const state = await builds.getJobState(pr.jobId);
            return { pr, state, job: await builds.getJob(pr.jobId) };
          }),
        );
        return all.every((j) => j.state === 'completed' || j.state === 'failed') ? all : undefined;
      },
      () => `every build job to end (jobs: ${prs.map((p) => p.jobId).join(', ')}; check runs: ${describeRuns(api.runs())}; workers said: ${said()})`,
      RECOVERY_MS,
      250,
    );
  /** one check run, concluded success once; the job's result, the registry's tags and the report name one digest */
  const builtOnce = async (pr: Pr, job: Job<BuildJobData, BuildJobResult> | undefined, state: string) => {
    const runs = runsOf(pr.sha);
    expect(runs.map((r) => r.name), `check runs of ${pr.sha}: ${describeRuns(runs)}`).toEqual([NAME]);
    const run = runs[0]!;
    expect(state, `build job ${pr.jobId}: ${job?.failedReason}`).toBe('completed');
    expect([run.status, run.conclusion], run.output.summary).toEqual(['completed', 'success']);
    const digest = digestOf(run.output);
    expect(digest, run.output.summary).toBeDefined();
    const first = run.history.findIndex((b) => b.conclusion);
    const after = run.history.slice(first);
    expect(after.map((b) => [b.status ?? null, b.conclusion ?? null, digestOf(b)]), `updates of check run ${run.id} from its conclusion on`).toEqual(after.map(() => ['completed', 'success', digest]));
    expect(job!.returnvalue).toMatchObject({ ok: true, digest });
    for (const tag of [`pr-${pr.number}-${pr.sha.slice(0, 7)}`, `sha-${pr.sha.slice(0, 7)}`]) {
      expect((await fetchManifest(services.registry, 'acme/web', tag)).digestHeader, `${tag} in the registry`).toBe(digest);
    }
    expect((await fetchManifest(services.registry, 'acme/web', digest!)).status).toBe(200);
    return digest!;
  };
  /** exactly one build-succeeded event for the commit, with that digest */
  const announcedOnce = async (pr: Pr, digest: string) => {
    const of = () => events.filter((e): e is Extract<StoredEvent, { type: 'build-succeeded' }> => e.type === 'build-succeeded' && e.build.sha === pr.sha);
    await until(() => of().length > 0, `the build-succeeded event of ${pr.sha}`, 10_000);
    expect(of().map((e) => e.build.digest), `build-succeeded events of ${pr.sha}`).toEqual([digest]);
  };

  beforeAll(async () => {
    services = await dockerServices();
    docker = dockerClient(services.dockerHost);
    world = await makeWorld('kill-build');
    api = await startGithubApi();
    builds = new Queue(BUILD_QUEUE, { connection: { url: redisUrl() }, prefix: world.prefix });
    busRedis = new Redis(redisUrl());
    unsubscribe = await new EventBus(busRedis, new Keys(world.prefix)).subscribe(new Redis(redisUrl()), (e) => events.push(e));
    const port = await freePort();
    procs.push(spawnGantry(['web'], { cwd: path.join(world.dir, 'web'), env: world.env({ ...githubEnv(), PORT: String(port) }) }));
    base = `http://127.0.0.1:${port}`;
    await until(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), () => `gantry web up: ${said()}`, 30_000);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill9()));
    await unsubscribe?.();
    busRedis?.disconnect();
    await builds?.close();
    await api?.close();
    await world?.close();
    await services?.stop();
  });

  it(`${N} builds: killed mid-step, then again with a conclusion in flight; each ends exactly once`, { timeout: 180_000 }, async () => {
    const prs: Pr[] = [];
    for (let i = 0; i < N; i++) prs.push(await pullRequest(201 + i));
    await restartMachines();
    for (const pr of prs) await open(pr);

    // kill 1: every machine while builds sleep in their RUN step, every build queued by then and
    // another one still to conclude (kill 2 holds its conclusion)
    const killed1 = await until(async () => {
      const s = await sleeping();
      if (s.size < 2 || !api.runs().some((r) => r.status !== 'completed' && !s.has(r.head_sha))) return undefined;
      const queued = await Promise.all(prs.map((p) => builds.getJob(p.jobId)));
      return queued.every(Boolean) ? s : undefined;
    }, () => `${N} builds queued, two in their sleep step and another not concluded (check runs: ${describeRuns(api.runs())}; workers said: ${said()})`, 90_000, 50);
    await killMachines();
    for (const sha of killed1) expect(runsOf(sha).map((r) => r.status), `check run of ${sha} when its worker died`).toEqual(['in_progress']);

    // kill 2: one build's conclusion reached GitHub and its worker has not heard back, while a build
    // killed before runs its sleep step again (their sources are handed out only once that conclusion is held)
    const hold = api.holdNextConclusion((run) => !killed1.has(run.head_sha));
    const gate = api.holdTarballs((sha) => killed1.has(sha));
    let held: CheckRunState | undefined;
    void hold.held.then((r) => {
      held = structuredClone(r);
      gate.release();
    });
    await restartMachines();
    const killed2 = await until(async () => {
      if (!held) return undefined;
      const again = [...(await sleeping())].filter((s) => killed1.has(s));
      return again.length ? new Set(again) : undefined;
    }, () => `a held conclusion (${held ? 'got it' : 'none yet'}) and a build killed before in its sleep step again (check runs: ${describeRuns(api.runs())}; workers said: ${said()})`, 90_000, 50);
    await killMachines();
    hold.release();
    const tKill2 = Date.now();

    await restartMachines();
    const jobs = await ended(prs);
    const recoveredMs = Date.now() - tKill2;

    expect(describeRuns(api.runs().filter((r) => r.status !== 'completed')), 'check runs never concluded').toBe('');
    for (const { pr, job, state } of jobs) await announcedOnce(pr, await builtOnce(pr, job, state));
    // the builds killed twice were taken over twice, and still ended once
    for (const sha of killed2) {
      const pr = prs.find((p) => p.sha === sha)!;
      expect((await builds.getJob(pr.jobId))!.stalledCounter, `stalls of ${pr.jobId}`).toBe(2);
    }
    // the build whose conclusion landed as its machine died was not built again: the digest is the one concluded then
    const heldPr = prs.find((p) => p.sha === held!.head_sha)!;
    expect(digestOf(runsOf(heldPr.sha)[0]!.output)).toBe(digestOf(held!.output));
    expect((await builds.getJob(heldPr.jobId))!.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e.type === 'build-failed')).toEqual([]);
    expect(api.unexpected, 'GitHub API requests nothing answered').toEqual([]);
    // no build of a dead worker goes on in the engine
    await until(async () => (await sleeping()).size === 0, 'no build container left', 15_000);
    console.info(`kill-build-worker: ${killed1.size} builds killed mid-step, ${killed2.size} of them again with one conclusion in flight; all ${N} ended ${(recoveredMs / 1000).toFixed(1)} s after the second restart`);
  });

  it('SIGTERM mid-build: builds still running after the grace go back to the queue at once, and the next worker builds them', { timeout: 120_000 }, async () => {
    const prs = [await pullRequest(401), await pullRequest(402)];
    await killMachines();
    const stopping = spawnGantry(['worker'], {
      cwd: path.join(world.dir, `machine-${++machineCount}`),
      env: world.env({ ...githubEnv(), DOCKER_HOST: services.dockerHost, GANTRY_REGISTRY: services.registry, GANTRY_JOB_LOCK: JOB_LOCK, GANTRY_BUILD_CONCURRENCY: '2', GANTRY_SHUTDOWN_GRACE: '1s' }),
    });
    procs.push(stopping);
    machines = [stopping];
    for (const pr of prs) await open(pr);
    await until(async () => (await sleeping()).size === 2, () => `both builds in their sleep step (check runs: ${describeRuns(api.runs())}; worker said: ${said()})`, 60_000, 50);

    stopping.child.kill('SIGTERM');
    const code = await Promise.race([stopping.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    expect(code, stopping.output().slice(-2000)).toBe(0);
    for (const pr of prs) {
      // back in the queue, not stalled, not failed: no lock has to run out before another worker starts it
      expect(await builds.getJobState(pr.jobId)).toBe('waiting');
      expect((await builds.getJob(pr.jobId))!.stalledCounter ?? 0).toBe(0);
      expect(runsOf(pr.sha).map((r) => [r.status, r.output.title]), `check run of ${pr.sha}`).toEqual([['queued', 'requeued: its worker is stopping']]);
    }
    await until(async () => (await sleeping()).size === 0, 'the stopped builds gone from the engine', 15_000);

    await restartMachines();
    const jobs = await ended(prs);
    for (const { pr, job, state } of jobs) await announcedOnce(pr, await builtOnce(pr, job, state));
    expect(api.unexpected, 'GitHub API requests nothing answered').toEqual([]);
  });

  it('killed while the check run is being created: the retried event takes that run over, no second one', { timeout: 120_000 }, async () => {
    const pr = await pullRequest(301);
    if (!machines.length) await restartMachines();
    const hold = api.holdNextCreate((run) => run.head_sha === pr.sha);
    let held = false;
    void hold.held.then(() => (held = true));
    await open(pr);
    await until(() => held, () => `the check run of ${pr.sha} created (workers said: ${said()})`, 30_000);
    await killMachines();
    hold.release();
    expect(await builds.getJob(pr.jobId), 'no build queued before the kill').toBeUndefined();

    await restartMachines();
    const [end] = await ended([pr]);
    await announcedOnce(pr, await builtOnce(pr, end!.job, end!.state));
    expect(api.unexpected, 'GitHub API requests nothing answered').toEqual([]);
  });
});

function digestOf(b: Record<string, any>): string | undefined {
  const text = typeof b.summary === 'string' ? b.summary : typeof b.output?.summary === 'string' ? b.output.summary : '';
  return /`(sha256:[0-9a-f]{64})`/.exec(text)?.[1];
}

function describeRuns(runs: CheckRunState[]): string {
  return runs.map((r) => `${r.id} ${r.head_sha.slice(0, 7)} ${r.status}/${r.conclusion ?? '-'} "${r.output.title ?? ''}"`).join('; ');
}


/** A signed delivery, as GitHub sends it. */
function deliver(base: string, event: string, payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${base}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
    },
    body,
  });
}
