import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { App, HTTPReceiver } from '@slack/bolt';
import type { RequestListener } from 'node:http';
import { slackModule } from '../src/chat/slack/module.js';
import { ConfigSchema } from '../src/config/schema.js';
import { createHttpServer, listen } from '../src/http/server.js';
import { createGantry } from '../src/runtime/gantry.js';
import { ensureLocalDeployRepo } from '../src/runtime/local.js';
import { silentLogger } from '../src/util/logger.js';
import { startRecorder } from '../test/support/recorder.js';
import { faceDeps, SIGNING_SECRET, slackApi, slackHeaders, slashBody } from '../test/support/slack.js';
import { parse } from 'yaml';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { summarize, type Benchmark, type Figure } from './report.js';

const CONCURRENT = 50;
const ROUNDS = 6;

/**
 * Slack slash-command acknowledgement latency with 50 commands in flight at once, through
 * gantry's HTTP server and Bolt receiver (signature check, ack, then the command runs in the
 * background), next to a bare Bolt app whose handler only acks, in the same run.
 */
export const slackAckBench: Benchmark = {
  name: 'slack-ack',
  async run(ctx) {
    const recorder = await startRecorder(slackApi);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-bench-slack-'));
    const prefix = `bench-slack-${process.pid}`;
    const data = parse(readFileSync(path.join(ctx.root, 'config', 'demo', 'gantry.yml'), 'utf8')) as Record<string, any>;
    data.deployRepo.url = path.join(tmp, 'deploy.git');
    data.deployRepo.workdir = path.join(tmp, 'work');
    data.environments.prod.freeze = [];
    await ensureLocalDeployRepo(data.deployRepo.url, 'main', path.join(ctx.root, 'config', 'examples', 'deploy'));
    const gantry = createGantry({ config: ConfigSchema.parse(data), redisUrl: await ctx.redisUrl(), prefix, log: silentLogger });
    gantry.startWorkers();
    try {
      const slack = await slackModule.create(faceDeps(gantry, silentLogger), { botToken: 'xoxb-bench', signingSecret: SIGNING_SECRET, apiUrl: `${recorder.url}/api/`, resolveByEmail: false });
      const bareReceiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events' });
      const bare = new App({ token: 'xoxb-bench', receiver: bareReceiver, clientOptions: { slackApiUrl: `${recorder.url}/api/` }, deferInitialization: true });
      await bare.init();
      bare.command(/.*/, async ({ ack }) => {
        await ack();
      });
      const gantryUrl = await serve(slack.routes[0]!.handler as RequestListener);
      const bareUrl = await serve(bareReceiver.requestListener);
      const samples = { gantry: [] as number[], bare: [] as number[] };
      const client = loadClient();
      for (let round = 0; round < ROUNDS; round++) {
        // alternate, so both see the same machine state
        for (const [which, url] of [['gantry', gantryUrl.url], ['bare', bareUrl.url]] as const) {
          const texts = ['status', 'history prod 3', 'releases', 'help'];
          const requests = Array.from({ length: CONCURRENT }, (_, i) => {
            const body = slashBody({ command: '/gantry', text: texts[i % texts.length]!, user: 'U0G9QF9C6', responseUrl: `${recorder.url}/response/b` });
            return { body, headers: slackHeaders(body) };
          });
          const { times } = await client.send(url, requests);
          if (round > 0) samples[which].push(...times); // round 0 warms both up
        }
      }
      await client.close();
      await gantryUrl.close();
      await bareUrl.close();
      const g = summarize(samples.gantry);
      const b = summarize(samples.bare);
      const p99 = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.ceil(0.99 * xs.length) - 1]!;
      const gp99 = p99(samples.gantry);
      const bp99 = p99(samples.bare);
      ctx.note(
        `### Slack ack latency, ${CONCURRENT} slash commands at once (${samples.gantry.length} samples each)\n\n` +
          `gantry p50 ${g.median.toFixed(1)} ms, p99 ${gp99.toFixed(1)} ms (target < 100 ms; Slack's limit is 3,000 ms); bare Bolt p50 ${b.median.toFixed(1)} ms, p99 ${bp99.toFixed(1)} ms.`,
      );
      const fig = (name: string, value: number, baseline: number): Figure => ({ name, unit: 'ms', value: round2(value), baseline: round2(baseline), ratio: round2(value / baseline) });
      return [fig('slack-ack.median', g.median, b.median), fig('slack-ack.p99', gp99, bp99)];
    } finally {
      await gantry.close();
      await ctx.wipePrefix(prefix);
      await recorder.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

async function serve(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer([{ method: 'POST', path: '/slack/events', handler }], silentLogger);
  const port = await listen(server, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/slack/events`, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * The senders run on a worker thread (./ack-client.ts): their event loop must not share time with
 * the server's. `send` answers each request's latency and the batch's time (ms).
 */
export function loadClient() {
  const worker = new Worker(new URL('./ack-client.js', import.meta.url));
  return {
    send: (url: string, requests: { body: string; headers: Record<string, string> }[], concurrency?: number) =>
      new Promise<{ times: number[]; elapsed: number }>((resolve, reject) => {
        worker.once('message', (m: { times?: number[]; elapsed?: number; error?: string }) =>
          m.times && m.elapsed !== undefined ? resolve({ times: m.times, elapsed: m.elapsed }) : reject(new Error(m.error)),
        );
        worker.postMessage({ url, requests, ...(concurrency ? { concurrency } : {}) });
      }),
    close: () => worker.terminate().then(() => undefined),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
