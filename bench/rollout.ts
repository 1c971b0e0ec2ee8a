import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { webApi } from '@slack/bolt';
import { parse } from 'yaml';
import { shellActor } from '../src/chat/shell/shell.js';
import { SlackMessageStore } from '../src/chat/slack/messages.js';
import { slackModule } from '../src/chat/slack/module.js';
import { execute } from '../src/commands/execute.js';
import { followedRequest } from '../src/commands/replies.js';
import { ConfigSchema } from '../src/config/schema.js';
import { createHttpServer, listen, type Route } from '../src/http/server.js';
import { FLUX_PATH, rolloutRoutes } from '../src/rollout/routes.js';
import { createGantry, type Gantry } from '../src/runtime/gantry.js';
import { ensureLocalDeployRepo } from '../src/runtime/local.js';
import { Keys } from '../src/store/redis.js';
import { silentLogger } from '../src/util/logger.js';
import { startRecorder, type Recorded } from '../test/support/recorder.js';
import { faceDeps, SIGNING_SECRET, slackApi } from '../test/support/slack.js';
import { compare, envInt, round, summarize, type Benchmark, type Figure } from './report.js';
import { loadClient } from './slack-ack.js';

/**
 * Issue 12's figures, on real parts in one run:
 * - `rollout.receiver`: signed Flux events per second through POST /rollout/flux (HMAC check,
 *   parse, RolloutFollower.onEvent on the Redis RolloutStore: the steady "Reconciliation
 *   finished" Flux re-sends for the deploy that runs), next to a bare node:http server that reads
 *   the body, JSON-parses it and answers 200. Senders on a worker thread.
 * - `rollout.report-latency`: a Flux event for a followed deploy POSTed to gantry's web → the
 *   follow-up chat.postMessage in the command's thread arriving at a local Slack stand-in
 *   (receiver → store → bus → notify queue → notify worker → SlackNotifier), next to a bare
 *   server that forwards the event straight to the same stand-in with the same Slack WebClient.
 */
const DEPLOYS = envInt('BENCH_ROLLOUT_DEPLOYS', 40);
const WARMUP = 3;
const EVENTS = envInt('BENCH_ROLLOUT_EVENTS', 3000);
const CONCURRENCY = envInt('BENCH_ROLLOUT_CONCURRENCY', 16);
const ROUNDS = envInt('BENCH_ROLLOUT_ROUNDS', 3);
const SECRET = 'bench-flux-hmac-token-0123456789abcdef';
const CHANNEL = 'C0DEPLOYS';
const FLUX_OBJECT = { kind: 'Kustomization', namespace: 'flux-system', name: 'web-qa' };

export const rolloutBench: Benchmark = {
  name: 'rollout',
  async run(ctx) {
    const template = JSON.parse(readFileSync(path.join(ctx.root, 'test', 'fixtures', 'rollout', 'flux-kustomization-succeeded.json'), 'utf8')) as Record<string, unknown>;
    const arrivals = new Map<string, (at: number, text: string) => void>();
    // the stand-in for Slack's Web API notes when each threaded message arrives
    const slack = await startRecorder((r: Recorded) => {
      if (r.path === '/api/chat.postMessage' && typeof r.body.thread_ts === 'string') arrivals.get(r.body.thread_ts)?.(performance.now(), String(r.body.text));
      return slackApi(r);
    });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-rollout-'));
    const prefix = `bench-rollout-${randomUUID().slice(0, 8)}`;
    const data = parse(readFileSync(path.join(ctx.root, 'config', 'demo', 'gantry.yml'), 'utf8')) as Record<string, any>;
    data.deployRepo.url = path.join(tmp, 'deploy.git');
    data.deployRepo.workdir = path.join(tmp, 'work');
    data.environments.qa.rollout = { flux: FLUX_OBJECT };
    await ensureLocalDeployRepo(data.deployRepo.url, 'main', path.join(ctx.root, 'config', 'examples', 'deploy'));
    const gantry = createGantry({ config: ConfigSchema.parse(data), redisUrl: await ctx.redisUrl(), prefix, log: silentLogger });
    const notifier = slackModule.notifier(faceDeps(gantry, silentLogger), { botToken: 'xoxb-bench', signingSecret: SIGNING_SECRET, apiUrl: `${slack.url}/api/`, resolveByEmail: false });
    gantry.startWorkers(undefined, { notifiers: [notifier!] });
    const client = loadClient();
    const servers: { close(): Promise<void> }[] = [];
    try {
      // gantry web's receiver, wired as src/cli/serve.ts wires it
      const [flux] = rolloutRoutes({ flux: { secret: SECRET }, onEvent: async (e) => void (await gantry.rollout.onEvent(e)), log: silentLogger });
      /** how long the last request took in gantry's receiver, from its arrival to the answer (event stored, report queued) */
      let handled = 0;
      const web = await serve([
        {
          ...flux!,
          handler: (req, res) => {
            const t = performance.now();
            res.once('finish', () => (handled = performance.now() - t));
            return flux!.handler(req, res);
          },
        },
      ]);
      const slackClient = new webApi.WebClient('xoxb-bench', { slackApiUrl: `${slack.url}/api/` });
      /** the bare bot's whole state: which thread each deploy commit is told in */
      const bareThreads = new Map<string, string>();
      const forward = bareHandler(async (event) => {
        const thread = bareThreads.get(revisionOf(event));
        if (thread) await slackClient.chat.postMessage({ channel: CHANNEL, thread_ts: thread, text: `web rolled out: ${String(event.message)}` });
      });
      const plain = bareHandler();
      const bare = await serveBare((req, res) => (req.url === '/forward' ? forward : plain)(req, res));
      // the same route with a no-op onEvent: splits gantry's time between the route and the store
      const routeOnly = await serve(rolloutRoutes({ flux: { secret: SECRET }, onEvent: async () => undefined, log: silentLogger }));
      servers.push(web, bare, routeOnly);
      const body = (revision: string) => fluxBody(template, revision);

      ctx.log(`rollout: ${DEPLOYS} deploys, each followed and reported (gantry and bare alternating)`);
      const cards = new SlackMessageStore(gantry.redis, new Keys(gantry.prefix));
      const latency = { gantry: [] as number[], bare: [] as number[] };
      const answered: number[] = [];
      let commit = '';
      for (let i = 0; i < DEPLOYS + WARMUP; i++) {
        ({ commit } = await promote(gantry, cards, `1.0.${i}`, threadOf(i, 'g')));
        bareThreads.set(commit, threadOf(i, 'b'));
        const order = i % 2 ? (['bare', 'gantry'] as const) : (['gantry', 'bare'] as const);
        for (const which of order) {
          const url = which === 'gantry' ? `${web.url}${FLUX_PATH}` : `${bare.url}/forward`;
          // gantry's message must be the report of this deploy, not any message in the thread
          const ms = await timeReport(arrivals, threadOf(i, which === 'gantry' ? 'g' : 'b'), url, body(commit), which === 'gantry' ? `1.0.${i}` : 'rolled out');
          if (i < WARMUP) continue;
          latency[which].push(ms);
          if (which === 'gantry') answered.push(handled);
        }
      }

      // the deploy that runs now is reported live; Flux says so again on every interval
      const requests = (n: number) => Array.from({ length: n }, () => signed(body(commit)));
      await client.send(`${web.url}${FLUX_PATH}`, requests(500), CONCURRENCY);
      await client.send(`${bare.url}${FLUX_PATH}`, requests(500), CONCURRENCY);
      await client.send(`${routeOnly.url}${FLUX_PATH}`, requests(500), CONCURRENCY);
      const rates = { gantry: [] as number[], bare: [] as number[], route: [] as number[] };
      const urls = { gantry: web.url, bare: bare.url, route: routeOnly.url };
      const before = await redisCalls(gantry);
      for (let r = 0; r < ROUNDS; r++) {
        for (const which of r % 2 ? (['bare', 'route', 'gantry'] as const) : (['gantry', 'route', 'bare'] as const)) {
          const { elapsed } = await client.send(`${urls[which]}${FLUX_PATH}`, requests(EVENTS), CONCURRENCY);
          rates[which].push(EVENTS / (elapsed / 1000));
          ctx.log(`rollout receiver round ${r + 1} ${which}: ${rates[which].at(-1)!.toFixed(0)} events/s`);
        }
      }
      const after = await redisCalls(gantry);
      // idle workers poll too: a small overcount
      const perEvent = (k: 'all' | 'eval') => ((after[k] - before[k]) / (EVENTS * ROUNDS)).toFixed(2);
      const deploy = await gantry.core.rollouts.latest('web', 'qa');
      if (deploy?.commit !== commit || deploy.state !== 'live') throw new Error(`the last deploy is ${deploy?.state ?? 'not followed'}, not live at ${commit}`);

      const g = summarize(rates.gantry).median;
      const b = summarize(rates.bare).median;
      const gl = summarize(latency.gantry);
      const bl = summarize(latency.bare);
      ctx.note(
        `### rollout: Flux event → chat report, and receiver throughput\n\n` +
          `report latency over ${DEPLOYS} deploys (each \`/promote web <v> qa\`, thread stored as the Slack face stores it): gantry median ${gl.median.toFixed(1)} ms, p95 ${gl.p95.toFixed(1)} ms ` +
          `(POST /rollout/flux → RolloutStore → bus → notify queue → worker → chat.postMessage in the thread; of this, the receiver took a median ${summarize(answered).median.toFixed(1)} ms from the request's arrival to its answer: event stored, report queued, verification queued); a bare server forwarding the event with the same Slack WebClient median ${bl.median.toFixed(1)} ms, p95 ${bl.p95.toFixed(1)} ms.\n\n` +
          `receiver: ${ROUNDS} rounds of ${EVENTS} signed Flux events, ${CONCURRENCY} concurrent keep-alive senders on a worker thread; gantry ${fmt(rates.gantry)} vs bare node:http (read, JSON.parse, 200) ${fmt(rates.bare)} events/s; the same route with a no-op onEvent (signature, schema, no Redis) ${fmt(rates.route)} events/s. Redis commands per event: ${perEvent('all')} (of them compare-and-set scripts: ${perEvent('eval')}).`,
      );
      return [
        { name: 'rollout.receiver.throughput', unit: 'events/s', value: round(g, 0), baseline: round(b, 0), ratio: round(g / b, 3) },
        ...compare('rollout.report-latency', 'ms', latency.gantry, latency.bare),
      ] satisfies Figure[];
    } finally {
      await client.close();
      for (const s of servers) await s.close();
      await gantry.close();
      await ctx.wipePrefix(prefix);
      await slack.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

/** Commands Redis has run so far (INFO commandstats), in all and scripts. */
async function redisCalls(gantry: Gantry): Promise<{ all: number; eval: number }> {
  const info = await gantry.redis.info('commandstats');
  let all = 0;
  let evals = 0;
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    all += Number(m[2]);
    if (m[1]!.startsWith('eval')) evals += Number(m[2]);
  }
  return { all, eval: evals };
}

/** A thread root's ts, one per deploy and side, as Slack would have answered the command's post. */
const threadOf = (i: number, side: 'g' | 'b') => `${1_760_000_000 + i}.${side === 'g' ? '000100' : '000200'}`;

/** `/promote web <version> qa`, as the Slack face runs it: the reply, then the thread kept for the follow-up. */
async function promote(gantry: Gantry, cards: SlackMessageStore, version: string, thread: string): Promise<{ commit: string }> {
  await gantry.core.releases.add({ app: 'web', version, builtAt: new Date().toISOString(), images: { web: { repository: 'registry.example.com/acme/web', tag: version } } });
  const reply = await execute(gantry.core, `/promote web ${version} qa`, { actor: shellActor(gantry.core, 'alice'), channel: `slack:${CHANNEL}` });
  const requestId = followedRequest(reply);
  if (!reply.ok || reply.kind !== 'deployed' || !requestId) throw new Error(`promote ${version}: ${JSON.stringify(reply)}`);
  await cards.setThread(requestId, { channel: CHANNEL, ts: thread });
  return { commit: reply.result.commit };
}

/** POSTs one event and waits for the message in `thread` (saying `mustSay`) to reach the Slack stand-in; ms. */
async function timeReport(arrivals: Map<string, (at: number, text: string) => void>, thread: string, url: string, body: string, mustSay: string): Promise<number> {
  const arrived = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no report in thread ${thread} within 10 s`)), 10_000);
    arrivals.set(thread, (at, text) => {
      clearTimeout(timer);
      if (text.includes(mustSay)) resolve(at);
      else reject(new Error(`thread ${thread} got "${text}", not a report saying ${mustSay}`));
    });
  });
  const { headers } = signed(body);
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  const at = await arrived;
  arrivals.delete(thread);
  return at - t0;
}

/** The recorded Kustomization event for `revision`, stamped now (a stale timestamp is refused). */
function fluxBody(template: Record<string, unknown>, revision: string): string {
  return JSON.stringify({
    ...template,
    involvedObject: { ...(template.involvedObject as object), ...FLUX_OBJECT },
    timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    metadata: { commit_status: 'update', revision: `main@sha1:${revision}` },
  });
}

/** The headers notification-controller's generic-hmac Provider sends. */
function signed(body: string): { body: string; headers: Record<string, string> } {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/json', 'gotk-component': 'kustomize-controller', 'x-signature': signature } };
}

/** The least a receiver does: read the body, parse it, (forward it), answer 200. */
function bareHandler(forward?: (event: Record<string, unknown>) => Promise<void>): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      void (forward ? forward(event) : Promise.resolve()).then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"accepted":true}');
      });
    });
  };
}

function revisionOf(event: Record<string, unknown>): string {
  const revision = (event.metadata as Record<string, string> | undefined)?.revision ?? '';
  return revision.slice(revision.lastIndexOf(':') + 1);
}

/** A bare node:http server, no router, no limits. */
async function serveBare(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer({ keepAlive: true }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function serve(routes: Route[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer(routes, silentLogger);
  const port = await listen(server, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
