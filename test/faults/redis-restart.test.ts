import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxKeys } from '../../src/github/inbox.js';
import { EVENT_QUEUE, eventJobId } from '../../src/github/ingest.js';
import { freePort, ping } from '../../src/runtime/redis-server.js';
import { Keys } from '../../src/store/redis.js';
import { makeWorld, spawnGantry, until, type Spawned, type World } from '../support/processes.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { privateKey } from '../support/secret-world.js';
import { ACME_WEB, prPayload, pushPayload } from '../support/github-payloads.js';

/**
 * Must-show: Redis restarted under webhook load loses no delivery. A real `gantry web` (the
 * webhook endpoint) and `gantry worker` (inbox pump + event worker) run against a private
 * redis-server with `appendonly yes` and `appendfsync always`; the test fires signed deliveries
 * from many concurrent senders, restarts Redis in the middle (once gracefully, once with kill -9)
 * and keeps firing through the outage. Every delivery answered 2xx must then be in Redis (as an
 * event job, which the worker completes); every other answer must be a 5xx (GitHub records it as
 * failed), and redelivering those gets each in exactly once. Neither gantry process is restarted.
 */

const SECRET = 'redis-restart-webhook-secret';
const SENDERS = 12;
/** bounded: no sender sends more than this many deliveries per round */
const PER_SENDER_CAP = 400;
/** how long Redis stays away: longer than the handler's 3 s wait, so deliveries meet a dead Redis */
const OUTAGE_MS = 4500;
/** the answer GitHub waits for before it gives up on a delivery */
const GITHUB_TIMEOUT_MS = 10_000;

interface Delivery {
  id: string;
  event: string;
  body: string;
  statuses: number[];
  /** how long each answer took (reported, not asserted) */
  ms: number[];
}

const acked = (s: number) => s >= 200 && s < 300;

/** A push to a branch nothing builds, or a pull request opened: both for acme/web, app `web`'s source. */
function makeDelivery(n: number): Delivery {
  const sha = n.toString(16).padStart(40, '0');
  const p = n % 2 === 0 ? pushPayload(ACME_WEB, { ref: `refs/heads/feature/load-${n}`, sha }) : prPayload(ACME_WEB, { action: 'opened', number: n, sha });
  return { id: randomUUID(), event: n % 2 === 0 ? 'push' : 'pull_request', body: JSON.stringify(p), statuses: [], ms: [] };
}

/** GitHub's side of a delivery: signed, answered within 10 s or counted as failed (status 0). */
async function deliver(url: string, d: Delivery): Promise<number> {
  const t0 = Date.now();
  const status = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': d.event,
      'x-github-delivery': d.id,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(d.body).digest('hex')}`,
    },
    body: d.body,
    signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS),
  }).then(
    async (r) => {
      await r.arrayBuffer();
      return r.status;
    },
    () => 0,
  );
  d.statuses.push(status);
  d.ms.push(Date.now() - t0);
  return status;
}

/** The fake GitHub API: an installation token, and a repo config that turns pull request builds off. */
function githubApi(r: Recorded): { status?: number; body: unknown } | undefined {
  if (/^\/github\/app\/installations\/\d+\/access_tokens$/.test(r.path)) {
    return { status: 201, body: { token: 'ghs_redisRestartToken', expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { checks: 'write' } } };
  }
  if (/^\/github\/repos\/acme\/web\/contents\//.test(r.path)) return { body: 'builds:\n  pullRequests: false\n' };
  return undefined;
}

/** A redis-server of this test's own, persistent, that it stops and starts again on the same port and data. */
class PrivateRedis {
  private child?: ChildProcess;
  private stderr = '';
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning'];
    args.push('--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '');
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child = child;
    // PING answers only once the append-only file is loaded
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited at start: ${this.stderr}`);
      return ping(this.url);
    }, `redis-server on ${this.port}`, 20_000, 50);
  }

  /** SIGTERM is Redis's graceful SHUTDOWN (fsync, then exit); SIGKILL is a crash. */
  async stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }
}

describe('Redis restarted under webhook load: no delivery acknowledged and then lost', () => {
  let world: World;
  let redis: PrivateRedis;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let web: Spawned;
  let worker: Spawned;
  let hook: string;
  let reader: Redis;
  let events: Queue;
  let inbox: InboxKeys;
  let serial = 0;

  beforeAll(async () => {
    world = await makeWorld('redis-restart');
    redis = new PrivateRedis(await freePort(), path.join(world.dir, 'redis'));
    await redis.start();
    recorder = await startRecorder(githubApi);
    const port = await freePort();
    const env = (extra: Record<string, string>) =>
      world.env({
        REDIS_URL: redis.url,
        GITHUB_APP_ID: '1',
        GITHUB_PRIVATE_KEY: privateKey(),
        GITHUB_WEBHOOK_SECRET: SECRET,
        GITHUB_API_URL: `${recorder.url}/github`,
        ...extra,
      });
    web = spawnGantry(['web'], { cwd: path.join(world.dir, 'web'), env: env({ PORT: String(port) }) });
    // a job whose lock lapsed while Redis was away goes back to the queue after about twice this
    worker = spawnGantry(['worker'], { cwd: path.join(world.dir, 'worker'), env: env({ PORT: '0', GANTRY_JOB_LOCK: '5s' }) });
    const base = `http://127.0.0.1:${port}`;
    hook = `${base}/api/github/webhooks`;
    await until(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), () => `gantry web up:\n${web.output().slice(-2000)}`, 30_000);
    reader = new Redis(redis.url, { maxRetriesPerRequest: 2 });
    reader.on('error', () => undefined);
    events = new Queue(EVENT_QUEUE, { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: world.prefix });
    events.on('error', () => undefined);
    inbox = new InboxKeys(new Keys(world.prefix));
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([web?.stop().catch(() => web.kill9()), worker?.stop().catch(() => worker.kill9())]);
    await events?.close().catch(() => undefined);
    reader?.disconnect();
    await redis?.stop('SIGTERM');
    await recorder?.close();
    await world?.close();
  });

  /**
   * Fires deliveries from SENDERS concurrent loops; once `before` are acknowledged, restarts Redis
   * (`signal`, then OUTAGE_MS away) while the loops go on; stops once `after` deliveries sent after
   * Redis was back are acknowledged. Returns every delivery of the round.
   */
  async function round(signal: 'SIGTERM' | 'SIGKILL', before: number, after: number): Promise<{ all: Delivery[]; afterBack: Delivery[] }> {
    const all: Delivery[] = [];
    const afterBack: Delivery[] = [];
    let phase: 'before' | 'outage' | 'back' | 'stop' = 'before';
    const senders = Array.from({ length: SENDERS }, async () => {
      for (let i = 0; i < PER_SENDER_CAP && phase !== 'stop'; i++) {
        const d = makeDelivery(++serial);
        all.push(d);
        if (phase === 'back') afterBack.push(d);
        await deliver(hook, d);
      }
    });
    const ackedCount = (ds: Delivery[]) => ds.filter((d) => d.statuses.some(acked)).length;
    try {
      await until(() => ackedCount(all) >= before, () => `${before} deliveries acknowledged before the restart (${ackedCount(all)} of ${all.length})`, 30_000);
      phase = 'outage';
      await redis.stop(signal);
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await redis.start();
      phase = 'back';
      // gantry was not restarted: it must take deliveries again by itself
      await until(() => ackedCount(afterBack) >= after, () => `${after} deliveries acknowledged after Redis came back (${ackedCount(afterBack)} of ${afterBack.length}):\n${web.output().slice(-2000)}`, 30_000);
    } finally {
      phase = 'stop';
      await Promise.all(senders);
    }
    return { all, afterBack };
  }

  /** Redelivers each unacknowledged delivery until it is taken (bounded), as an operator's "Redeliver" or a redelivery script does: GitHub does not retry by itself. */
  async function redeliverFailed(ds: Delivery[]): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const failed = ds.filter((d) => !d.statuses.some(acked));
      if (!failed.length) return;
      for (let i = 0; i < failed.length; i += SENDERS) await Promise.all(failed.slice(i, i + SENDERS).map((d) => deliver(hook, d)));
    }
  }

  /** Waits (bounded) until nothing is left to do: inbox and `moving` empty, no event job waiting, delayed or running. */
  async function settle(): Promise<void> {
    const state = async () => `inbox ${await reader.llen(inbox.list)}, moving ${await reader.llen(inbox.moving)}, jobs ${JSON.stringify(await events.getJobCounts())}`;
    const idle = async () => {
      const lists = (await reader.llen(inbox.list)) + (await reader.llen(inbox.moving));
      const c = await events.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return lists + Object.values(c).reduce((a, b) => a + b, 0) === 0;
    };
    await until(idle, 'the inbox to drain and the event jobs to finish', 60_000, 250).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: ${await state()}\nworker:\n${worker.output().slice(-3000)}`);
    });
  }

  async function check(label: string, ds: Delivery[], afterBack: Delivery[], everAcked: Set<string>): Promise<void> {
    const answered = ds.flatMap((d) => d.statuses);
    const firstAcked = ds.filter((d) => acked(d.statuses[0]!)).length;
    const fiveXX = answered.filter((s) => s >= 500 && s < 600).length;
    const other = answered.filter((s) => !acked(s) && !(s >= 500 && s < 600));
    // (b) a good delivery is never refused with a 4xx, never left unanswered past GitHub's timeout
    expect(other, `${label}: answers other than 2xx and 5xx (0 = no answer within 10 s)`).toEqual([]);
    // every delivery got in, at the latest when redelivered
    const never = ds.filter((d) => !d.statuses.some(acked));
    expect(never.map((d) => d.statuses), `${label}: deliveries never acknowledged`).toEqual([]);
    // the outage was felt (else this round showed nothing): deliveries met a dead Redis, and later ones a live one again
    expect(fiveXX, `${label}: 5xx answers while Redis was away`).toBeGreaterThan(0);
    expect(afterBack.length, `${label}: deliveries after Redis came back`).toBeGreaterThan(0);

    await settle();
    // (a) + (c): each delivery has its marker and exactly one event job, carrying that delivery
    const lost: string[] = [];
    const wrong: string[] = [];
    for (const d of ds) {
      const [marker, job] = await Promise.all([reader.exists(inbox.delivery(d.id)), events.getJob(eventJobId(d.id))]);
      if (!marker || !job) lost.push(`${d.id} ${d.event} answers ${d.statuses.join(',')} marker ${marker} job ${job ? 'yes' : 'no'}`);
      else if (job.data.delivery !== d.id) wrong.push(`${d.id}: job carries ${String(job.data.delivery)}`);
      else if ((await job.getState()) !== 'completed') wrong.push(`${d.id}: job ${await job.getState()}`);
    }
    expect(lost, `${label}: deliveries lost`).toEqual([]);
    expect(wrong, `${label}: wrong event jobs`).toEqual([]);
    // no delivery queued twice: one job per delivery id, none besides them
    const counts = await events.getJobCounts();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total, `${label}: event jobs ${JSON.stringify(counts)}`).toBe(everAcked.size);

    process.stdout.write(
      `redis-restart ${label}: ${ds.length} deliveries sent, ${firstAcked} acknowledged at once, ${fiveXX} answers 5xx ` +
        `(${ds.length - firstAcked} redelivered), ${afterBack.length} sent after Redis was back, slowest answer ${Math.max(...ds.flatMap((d) => d.ms))} ms, lost 0, duplicated 0\n`,
    );
  }

  const everAcked = new Set<string>();
  const roundTrip = async (label: string, signal: 'SIGTERM' | 'SIGKILL') => {
    const { all, afterBack } = await round(signal, 300, 300);
    await redeliverFailed(all);
    for (const d of all) if (d.statuses.some(acked)) everAcked.add(d.id);
    // GitHub's "Redeliver" of deliveries already taken: acknowledged again, queued no second time
    const again = all.filter((d) => acked(d.statuses[0]!)).slice(0, 40);
    for (const d of again) expect(await deliver(hook, d), `${label}: redelivery of ${d.id}`).toBe(200);
    await check(label, all, afterBack, everAcked);
  };

  it('graceful restart (SIGTERM = SHUTDOWN) in the middle of the load', { timeout: 90_000 }, async () => {
    await roundTrip('graceful', 'SIGTERM');
  });

  it('kill -9 of redis-server (appendfsync always) in the middle of the load', { timeout: 90_000 }, async () => {
    await roundTrip('kill -9', 'SIGKILL');
  });
});
