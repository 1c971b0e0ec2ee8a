import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createNodeMiddleware, Probot } from 'probot';
import { loadConfig } from '../src/config/load.js';
import { readGithubEnv } from '../src/github/env.js';
import { githubRoutes, WEBHOOK_PATH } from '../src/github/server.js';
import { createHttpServer, listen, type Route } from '../src/http/server.js';
import { createGantry } from '../src/runtime/gantry.js';
import { silentLogger } from '../src/util/logger.js';
import { envInt, compare, round, type Benchmark, type BenchContext, type Figure } from './report.js';

/**
 * Webhook ingest: signed `pull_request.opened` deliveries per second that gantry's endpoint
 * verifies and durably queues (one atomic Redis script per delivery: delivery-id mark + inbox
 * entry, see src/github/inbox.ts; the run checks the inbox holds every one), next to a bare Probot app
 * with a no-op handler on the same HTTP stack (gantry's createHttpServer + Probot's
 * createNodeMiddleware), same payload, same senders, in the same run. Each server runs in a
 * child process of its own so the senders do not share its event loop; rounds alternate.
 */
const COUNT = envInt('BENCH_INGEST_COUNT', 3000);
const CONCURRENCY = envInt('BENCH_INGEST_CONCURRENCY', 32);
const ROUNDS = envInt('BENCH_INGEST_ROUNDS', 3);
const WARMUP = envInt('BENCH_INGEST_WARMUP', 1000);
/** throughput at least 0.8 × bare Probot ⇔ time per delivery at most 1.25 × */
const TARGET = 1.25;
const SECRET = 'bench-webhook-secret';
const EVENTS = ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.closed', 'push', 'check_run.rerequested', 'check_suite.rerequested', 'issue_comment.created'] as const;

type Kind = 'gantry' | 'bare';

export const ingestBench: Benchmark = { name: 'ingest', run: runIngest };

export async function runIngest(ctx: BenchContext): Promise<Figure[]> {
  const redisUrl = await ctx.redisUrl();
  const prefix = `bench-ingest-${randomUUID().slice(0, 8)}`;
  const env = { ...process.env, GITHUB_APP_ID: '1', GITHUB_PRIVATE_KEY: privateKey(), GITHUB_WEBHOOK_SECRET: SECRET, REDIS_URL: redisUrl, BENCH_PREFIX: prefix, BENCH_ROOT: ctx.root };
  const servers: Record<Kind, { child: ChildProcess; port: number }> = { gantry: await spawnServer('gantry', env), bare: await spawnServer('bare', env) };
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const rates: Record<Kind, number[]> = { gantry: [], bare: [] };
  const latencies: Record<Kind, number[]> = { gantry: [], bare: [] };
  let sent = 0;
  try {
    for (const kind of ['gantry', 'bare'] as const) await blast(servers[kind].port, signedDeliveries(WARMUP), agent);
    sent += WARMUP;
    ctx.log(`ingest: ${ROUNDS} rounds × ${COUNT} deliveries, ${CONCURRENCY} concurrent senders, gantry and bare Probot alternating`);
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of r % 2 ? (['bare', 'gantry'] as const) : (['gantry', 'bare'] as const)) {
        const res = await blast(servers[kind].port, signedDeliveries(COUNT), agent);
        rates[kind].push(res.rate);
        latencies[kind].push(...res.latencies);
        if (kind === 'gantry') sent += COUNT;
        ctx.log(`ingest round ${r + 1} ${kind}: ${res.rate.toFixed(0)} deliveries/s`);
      }
    }
    // every accepted delivery is in the inbox in Redis (no worker runs here to drain it)
    const { Redis } = await import('ioredis');
    const r = new Redis(redisUrl);
    const queued = await r.llen(`${prefix}:gh:inbox`);
    r.disconnect();
    if (queued !== sent) throw new Error(`gantry accepted ${sent} deliveries but ${queued} are in the inbox`);
    ctx.log(`ingest: ${queued} events in the Redis inbox for ${sent} deliveries`);
  } finally {
    agent.destroy();
    for (const s of Object.values(servers)) s.child.kill('SIGTERM');
    await ctx.wipePrefix(prefix);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const g = median(rates.gantry);
  const b = median(rates.bare);
  ctx.note(`ingest: ${ROUNDS} rounds of ${COUNT} signed pull_request.opened deliveries (${CONCURRENCY} concurrent keep-alive senders); rates gantry ${rates.gantry.map((x) => x.toFixed(0)).join(', ')} vs bare ${rates.bare.map((x) => x.toFixed(0)).join(', ')} deliveries/s. Target: gantry ≥ 0.8 × bare (time per delivery ≤ ${TARGET}×).`);
  return [
    { name: 'ingest.throughput', unit: 'deliveries/s', value: round(g, 0), baseline: round(b, 0), ratio: round(g / b, 3) },
    { name: 'ingest.time-per-delivery', unit: 'µs', value: round(1e6 / g, 1), baseline: round(1e6 / b, 1), ratio: round(b / g, 3), maxRatio: TARGET },
    ...compare('ingest.latency', 'ms', latencies.gantry, latencies.bare),
  ];
}

interface Signed {
  body: string;
  signature: string;
}

let opened = 0;
/**
 * Distinct pull_request.opened events (each its own pull request), signed, made before the clock
 * starts: one body sent many times would be a replay, which gantry drops without queueing.
 */
function signedDeliveries(count: number): Signed[] {
  const template = payload() as { number: number; pull_request: { number: number } };
  return Array.from({ length: count }, () => {
    template.number = template.pull_request.number = ++opened;
    const body = JSON.stringify(template);
    return { body, signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
  });
}

/** Sends the deliveries with CONCURRENCY senders; every answer must be 200. */
async function blast(port: number, deliveries: Signed[], agent: http.Agent): Promise<{ rate: number; latencies: number[] }> {
  const count = deliveries.length;
  let next = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  const sender = async () => {
    while (next < count) {
      const { body, signature } = deliveries[next++]!;
      const t = performance.now();
      const status = await post(port, body, signature, agent);
      if (status !== 200) throw new Error(`delivery answered ${status}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, sender));
  return { rate: count / ((performance.now() - t0) / 1000), latencies };
}

function post(port: number, body: string, signature: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: WEBHOOK_PATH,
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-github-event': 'pull_request',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
          'user-agent': 'GitHub-Hookshot/bench',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('delivery timed out')));
    req.end(body);
  });
}

function spawnServer(kind: Kind, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const profile = process.env.BENCH_INGEST_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_INGEST_PROFILE}`, `--cpu-prof-name=${kind}.cpuprofile`] : [];
    const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: profile });
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** The child: one server, gantry's or the bare Probot's, on 127.0.0.1. */
async function serve(kind: Kind): Promise<void> {
  const settings = readGithubEnv(process.env);
  let routes: Route[];
  if (kind === 'gantry') {
    const { config } = loadConfig(path.join(process.env.BENCH_ROOT!, 'config', 'demo'));
    const gantry = createGantry({ config, redisUrl: process.env.REDIS_URL!, prefix: process.env.BENCH_PREFIX!, workdir: path.join(os.tmpdir(), 'gantry-bench-ingest'), log: silentLogger });
    routes = (await githubRoutes({ core: gantry.core, redisUrl: gantry.redisUrl, prefix: gantry.prefix, settings, log: silentLogger })).routes;
    await new Promise((r) => setTimeout(r, 200));
  } else {
    const probot = new Probot({ appId: settings.appId, privateKey: settings.privateKey, secret: settings.webhookSecret, log: silentLogger });
    const middleware = await createNodeMiddleware((app) => app.on([...EVENTS], async () => undefined), { probot, webhooksPath: WEBHOOK_PATH });
    routes = [{ method: 'POST', path: WEBHOOK_PATH, handler: async (req, res) => void (await middleware(req, res)) }];
  }
  const port = await listen(createHttpServer(routes, silentLogger), 0, '127.0.0.1');
  // SIGTERM ends the process normally, so a --cpu-prof profile gets written
  process.on('SIGTERM', () => process.exit(0));
  process.send!({ port });
}

function payload(): unknown {
  const require = createRequire(import.meta.url);
  const all = require('@octokit/webhooks-examples/api.github.com/index.json') as { name: string; examples: any[] }[];
  const p = structuredClone(all.find((e) => e.name === 'pull_request')!.examples.find((e) => e.action === 'opened'));
  p.installation = { id: 42 };
  Object.assign(p.repository, { name: 'web', full_name: 'acme/web' });
  p.repository.owner.login = 'acme';
  p.pull_request.head.sha = '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213';
  return p;
}

function privateKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
}


if (process.argv[2] === '--serve') {
  serve(process.argv[3] as Kind).catch((e: unknown) => {
    process.stderr.write(`ingest bench server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
