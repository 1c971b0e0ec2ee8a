import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SLASH_COMMANDS } from '../../src/chat/slack/app.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { defaultConfigData, EXAMPLES, ROOT } from '../support/harness.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { startRecorder } from '../support/recorder.js';
import { postSlack, SIGNING_SECRET, slackApi, slashBody } from '../support/slack.js';

const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

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
    const bare = path.join(tmp.dir, 'deploy.git');
    await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
    const conf = path.join(tmp.dir, 'config');
    mkdirSync(conf);
    const data = defaultConfigData();
    data.deployRepo.url = bare;
    data.deployRepo.workdir = path.join(tmp.dir, 'work');
    writeFileSync(path.join(conf, 'default.yml'), stringify(data));
    const port = await freePort();
    const child = spawn('node', [MAIN, 'start'], {
      cwd: tmp.dir,
      env: {
        ...process.env,
        GANTRY_CONFIG: conf,
        REDIS_URL: redisUrl(),
        GANTRY_REDIS_PREFIX: prefix,
        SLACK_BOT_TOKEN: 'xoxb-serve-test',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: `${recorder.url}/api/`,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // bounded wait for the server
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up, stderr).toBe(true);
      const ack = await postSlack(`http://127.0.0.1:${port}/slack/events`, slashBody({ command: '/gantry', text: 'status prod', user: 'U0G9QF9C6', responseUrl: `${recorder.url}/response/x` }), 'form');
      expect(ack.status).toBe(200);
      const reply = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^prod/.test(c.body.text ?? ''), 'status reply');
      expect(reply.body.text).toMatch(/^prod\n {2}web v1\.0\.0 {2}registry\.example\.com\/acme\/web:v1\.0\.0$/);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, stderr).toBe(0);
  });

  it('gantry web with GitHub App credentials takes signed webhooks and refuses forged ones', async () => {
    const bare = path.join(tmp.dir, 'deploy-gh.git');
    await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
    const conf = path.join(tmp.dir, 'config-gh');
    mkdirSync(conf);
    const data = defaultConfigData();
    data.deployRepo.url = bare;
    data.deployRepo.workdir = path.join(tmp.dir, 'work-gh');
    writeFileSync(path.join(conf, 'default.yml'), stringify(data));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const port = await freePort();
    const child = spawn('node', [MAIN, 'web'], {
      cwd: tmp.dir,
      env: { ...process.env, GANTRY_CONFIG: conf, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, GITHUB_APP_ID: '12345', GITHUB_PRIVATE_KEY: privateKey, GITHUB_WEBHOOK_SECRET: 'gh-secret', PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up, stderr).toBe(true);
      const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1, hook: { type: 'App', id: 1, events: [] } });
      const post = (secret: string, id: string) =>
        fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
          body,
        }).then((r) => r.status);
      expect(await post('gh-secret', 'd-1')).toBe(200);
      expect(await post('forged', 'd-2')).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((r) => child.once('exit', r)), stderr).toBe(0);
  });

  it('the Slack app manifest declares commands gantry answers, at the route it serves', () => {
    const manifest = parse(readFileSync(path.join(ROOT, 'slack', 'manifest.yml'), 'utf8')) as any;
    for (const c of manifest.features.slash_commands) {
      expect(SLASH_COMMANDS).toContain(c.command.slice(1));
      expect(new URL(c.url).pathname).toBe('/slack/events');
    }
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe('/slack/events');
  });
});
