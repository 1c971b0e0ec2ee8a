import { createHmac, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { slackModule } from '../../src/chat/slack/module.js';
import { spawnServer, writeTestConfig } from '../support/cli.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { ROOT } from '../support/harness.js';
import { startRecorder } from '../support/recorder.js';
import { postSlack, SIGNING_SECRET, slackApi, slashBody } from '../support/slack.js';


/** `gantry start` with Slack credentials: the HTTP face and the workers in one process. */
describe('gantry start with Slack credentials', () => {
  let tmp: ReturnType<typeof tempDir>;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  const prefix = uniquePrefix('serve');
  beforeAll(async () => {
    tmp = tempDir('serve');
    recorder = await startRecorder(slackApi);
  });
  afterAll(async () => {
    await recorder.close();
    await wipePrefix(prefix);
    tmp.remove();
  });

  it('answers a signed /status from Slack, and stops cleanly on SIGTERM', async () => {
    const conf = await writeTestConfig(tmp.dir, 'slack');
    const server = await spawnServer(['start'], {
      GANTRY_CONFIG: conf,
      REDIS_URL: redisUrl(),
      GANTRY_REDIS_PREFIX: prefix,
      SLACK_BOT_TOKEN: 'xoxb-serve-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: `${recorder.url}/api/`,
    }, tmp.dir);
    try {
      const ack = await postSlack(`${server.base}/slack/events`, slashBody({ command: '/gantry', text: 'status prod', user: 'U0G9QF9C6', responseUrl: `${recorder.url}/response/x` }), 'form');
      expect(ack.status).toBe(200);
      const reply = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^prod/.test(c.body.text ?? ''), 'status reply');
      // the seed commit was not made through gantry: its git author is shown (escaped for Slack)
      expect(reply.body.text).toMatch(/^prod\n {2}web v1\.0\.0 {2}registry\.example\.com\/acme\/web:v1\.0\.0, manual change by gantry &lt;gantry@localhost&gt; \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC$/);
      const ready = await fetch(`${server.base}/readyz`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      expect(metrics).toMatch(/^gantry_commands_total\{platform="slack",command="status",result="ok"\} 1$/m);
      expect(metrics).toMatch(/^gantry_queue_jobs\{queue="deploy",state="waiting"\} 0$/m);
    } finally {
      expect(await server.stop(), server.stderr()).toBe(0);
    }
  });

  it('gantry web with GitHub App credentials takes signed webhooks and refuses forged ones', async () => {
    const conf = await writeTestConfig(tmp.dir, 'github');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const server = await spawnServer(['web'], { GANTRY_CONFIG: conf, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, GITHUB_APP_ID: '12345', GITHUB_PRIVATE_KEY: privateKey, GITHUB_WEBHOOK_SECRET: 'gh-secret' }, tmp.dir);
    try {
      const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1, hook: { type: 'App', id: 1, events: [] } });
      const post = (secret: string, id: string) =>
        fetch(`${server.base}/api/github/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
          body,
        }).then((r) => r.status);
      expect(await post('gh-secret', 'd-1')).toBe(200);
      expect(await post('forged', 'd-2')).toBe(400);
    } finally {
      expect(await server.stop(), server.stderr()).toBe(0);
    }
  });

  it('the Slack app manifest declares commands gantry answers, at the route it serves', () => {
    const manifest = parse(readFileSync(path.join(ROOT, 'slack', 'manifest.yml'), 'utf8')) as any;
    for (const c of manifest.features.slash_commands) {
      expect(slackModule.commands()).toContain(c.command.slice(1));
      expect(new URL(c.url).pathname).toBe('/slack/events');
    }
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe('/slack/events');
  });
});
