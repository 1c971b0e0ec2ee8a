import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dingtalkSign } from '../../src/chat/dingtalk/sign.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { run } from '../../src/util/exec.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { EXAMPLES } from '../support/harness.js';
import { spawnGantry, until, type Spawned } from '../support/processes.js';
import { startRecorder } from '../support/recorder.js';
import { credentialsEnv, notifierEnv, platforms, secretConfig, SECRETS } from '../support/secret-world.js';
import { clickBody, slashBody } from '../support/slack.js';

interface Forgery {
  route: string;
  what: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

const now = () => Math.floor(Date.now() / 1000);
const slackSig = (secret: string, ts: number, body: string) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
const ghSig = (secret: string, body: string, algo: 'sha256' | 'sha1' = 'sha256') => `${algo}=${createHmac(algo, secret).update(body).digest('hex')}`;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** Forged, stale, tampered and unauthenticated requests for every route `gantry web` serves with all faces on. */
function forgeries(recorderUrl: string): Forgery[] {
  const slash = slashBody({ command: '/gantry', text: 'rollback qa', user: 'U024BE7LH', responseUrl: `${recorderUrl}/response/x` });
  const click = clickBody({ user: 'U024BE7LH', actionId: 'gantry_approve', value: '1', messageTs: '1.0', responseUrl: `${recorderUrl}/response/x` });
  const mention = JSON.stringify({ type: 'event_callback', team_id: 'T0001', api_app_id: 'A0GANTRY', event_id: 'Ev1', event_time: now(), event: { type: 'app_mention', user: 'U024BE7LH', text: '<@UBOT> rollback qa', ts: '1.1', channel: 'C0DEPLOYS' } });
  const form = 'application/x-www-form-urlencoded';
  const slack = (what: string, body: string, headers: Record<string, string>, type = form): Forgery => ({ route: '/slack/events', what, headers: { 'content-type': type, ...headers }, body });
  const S = SECRETS.SLACK_SIGNING_SECRET;
  const dtBody = JSON.stringify({ msgtype: 'text', text: { content: '/rollback qa' }, senderStaffId: 'manager4220', conversationId: 'cid1', sessionWebhook: `${recorderUrl}/session/forged` });
  const dt = (what: string, headers: Record<string, string>): Forgery => ({ route: '/dingtalk/callback', what, headers: { 'content-type': 'application/json', ...headers }, body: dtBody });
  const ms = Date.now();
  const D = SECRETS.DINGTALK_APP_SECRET;
  const ghBody = JSON.stringify({ action: 'opened', number: 1, repository: { name: 'web', full_name: 'acme/web', owner: { login: 'acme' } }, installation: { id: 42 }, pull_request: { number: 1, head: { sha: 'a'.repeat(40), ref: 'x', repo: { full_name: 'acme/web', fork: false } }, base: { ref: 'main', repo: { full_name: 'acme/web' } } } });
  const gh = (what: string, headers: Record<string, string>, body = ghBody): Forgery => ({ route: '/api/github/webhooks', what, headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': `forged-${what.replace(/\W+/g, '-')}`, ...headers }, body });
  const G = SECRETS.GITHUB_WEBHOOK_SECRET;
  const release = JSON.stringify({ app: 'web', version: 'v6.6.6', images: { web: 'registry.example.com/acme/web:v6.6.6' } });
  const api = (what: string, headers: Record<string, string>): Forgery => ({ route: '/api/releases', what, headers: { 'content-type': 'application/json', ...headers }, body: release });
  const get = (route: string, what: string, headers: Record<string, string>): Forgery => ({ route, what, method: 'GET', headers });
  return [
    slack('slash, wrong secret', slash, { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': slackSig('wrong', now(), slash) }),
    slack('slash, stale', slash, { 'x-slack-request-timestamp': String(now() - 600), 'x-slack-signature': slackSig(S, now() - 600, slash) }),
    slack('slash, unsigned', slash, {}),
    slack('slash, signature of another body', slash.replace('rollback', 'promote'), { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': slackSig(S, now(), slash) }),
    slack('slash, v1 scheme', slash, { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': slackSig(S, now(), slash).replace('v0=', 'v1=') }),
    slack('slash, empty signature', slash, { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': '' }),
    slack('button, wrong secret', click, { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': slackSig('wrong', now(), click) }),
    slack('mention, stale', mention, { 'x-slack-request-timestamp': String(now() - 3600), 'x-slack-signature': slackSig(S, now() - 3600, mention) }, 'application/json'),
    dt('wrong secret', { timestamp: String(ms), sign: dingtalkSign(ms, 'wrong') }),
    dt('stale', { timestamp: String(ms - 2 * 3600_000), sign: dingtalkSign(ms - 2 * 3600_000, D) }),
    dt('from the future', { timestamp: String(ms + 2 * 3600_000), sign: dingtalkSign(ms + 2 * 3600_000, D) }),
    dt('unsigned', {}),
    dt('sign of another timestamp', { timestamp: String(ms), sign: dingtalkSign(ms - 1, D) }),
    dt('malformed timestamp', { timestamp: `${ms}abc`, sign: dingtalkSign(`${ms}abc`, D) }),
    gh('wrong secret', { 'x-hub-signature-256': ghSig('wrong', ghBody) }),
    gh('unsigned', {}),
    gh('sha1 only', { 'x-hub-signature': ghSig(G, ghBody, 'sha1') }),
    gh('signature of another body', { 'x-hub-signature-256': ghSig(G, ghBody) }, ghBody.replace('opened', 'synchronize')),
    gh('empty signature', { 'x-hub-signature-256': '' }),
    api('no credentials', {}),
    api('wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef01234' }),
    api('token plus a character', { authorization: `Bearer ${SECRETS.GANTRY_API_TOKEN}x` }),
    api('basic with the token', { authorization: basic('x', SECRETS.GANTRY_API_TOKEN) }),
    api('another token of gantry', { authorization: `Bearer ${SECRETS.GANTRY_ADMIN_TOKEN}` }),
    get('/api/status', 'no credentials', {}),
    get('/api/status', 'wrong token', { authorization: 'Bearer nope-nope-nope-nope-nope-nope' }),
    get('/admin/queues', 'no credentials', {}),
    get('/admin/queues', 'wrong basic', { authorization: basic('admin', 'wrong') }),
    get('/admin/queues', 'the API token', { authorization: `Bearer ${SECRETS.GANTRY_API_TOKEN}` }),
    { route: '/admin/queues/api/queues/deploy/retry/failed', what: 'queue action, no credentials', method: 'POST' as const, headers: {} },
    get('/metrics', 'no credentials', {}),
    get('/metrics', 'wrong token', { authorization: 'Bearer wrong-wrong-wrong-wrong-wrong' }),
  ];
}

/** Every key under a prefix and its serialized value: a change anywhere shows. */
async function snapshot(prefix: string): Promise<Map<string, string>> {
  const r = new Redis(redisUrl(), { maxRetriesPerRequest: 2 });
  const out = new Map<string, string>();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) out.set(k, (await r.dumpBuffer(k))?.toString('hex') ?? '');
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return out;
}

function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

describe('forged and stale requests on every inbound route', () => {
  let tmp: ReturnType<typeof tempDir>;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let web: Spawned;
  let base: string;
  const prefix = uniquePrefix('forged');
  let bare: string;
  beforeAll(async () => {
    tmp = tempDir('forged');
    recorder = await startRecorder(platforms);
    bare = path.join(tmp.dir, 'deploy.git');
    await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
    const conf = path.join(tmp.dir, 'config');
    mkdirSync(conf);
    writeFileSync(path.join(conf, 'default.yml'), stringify(secretConfig(bare, recorder.url)));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    web = spawnGantry(['web'], {
      cwd: path.join(tmp.dir, 'web'),
      env: {
        ...process.env,
        ...notifierEnv(recorder.url),
        GANTRY_CONFIG: conf,
        REDIS_URL: redisUrl(),
        GANTRY_REDIS_PREFIX: prefix,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        ...credentialsEnv(recorder.url),
      },
    });
    await until(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), () => `gantry web up: ${web.output()}`, 20_000);
  });
  afterAll(async () => {
    await web?.stop().catch(() => web.kill9());
    await recorder?.close();
    await wipePrefix(prefix);
    tmp?.remove();
  });

  it('each is refused with a 4xx, and nothing happens: no call out, no Redis write, no commit', { timeout: 60_000 }, async () => {
    const list = forgeries(recorder.url);
    // what the server does by itself (start-up calls, background writes) settles first
    await new Promise((r) => setTimeout(r, 1000));
    const calls = recorder.calls.length;
    const head = (await run('git', ['rev-parse', 'main'], { cwd: bare })).stdout;
    const before = await snapshot(prefix);
    const wrong: string[] = [];
    for (const f of list) {
      const res = await fetch(`${base}${f.route}`, { method: f.method ?? 'POST', headers: f.headers, ...(f.body !== undefined ? { body: f.body } : {}) });
      await res.text();
      if (res.status < 400 || res.status >= 500) wrong.push(`${f.route} (${f.what}): ${res.status}`);
    }
    expect(wrong).toEqual([]);
    // anything a forged request set off would show within this time
    await new Promise((r) => setTimeout(r, 1500));
    expect(recorder.calls.slice(calls).map((c) => `${c.method} ${c.path}`)).toEqual([]);
    expect(changed(before, await snapshot(prefix))).toEqual([]);
    expect((await run('git', ['rev-parse', 'main'], { cwd: bare })).stdout).toBe(head);
    console.info(`signatures: ${list.length} forged requests on ${new Set(list.map((f) => f.route.replace(/\/api\/queues.*/, ''))).size} routes, all refused`);
  });

  it('the same requests, signed properly, do get through (so the refusals above were about the signatures)', { timeout: 30_000 }, async () => {
    const slash = slashBody({ command: '/gantry', text: 'status qa', user: 'U024BE7LH', responseUrl: `${recorder.url}/response/ok` });
    const slack = await fetch(`${base}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now()), 'x-slack-signature': slackSig(SECRETS.SLACK_SIGNING_SECRET, now(), slash) }, body: slash });
    expect(slack.status).toBe(200);
    const ms = Date.now();
    const dtBody = JSON.stringify({ msgtype: 'text', text: { content: '/status qa' }, senderStaffId: 'carol01', conversationId: 'cid1', sessionWebhook: `${recorder.url}/session/ok` });
    const dt = await fetch(`${base}/dingtalk/callback`, { method: 'POST', headers: { 'content-type': 'application/json', timestamp: String(ms), sign: dingtalkSign(ms, SECRETS.DINGTALK_APP_SECRET) }, body: dtBody });
    expect(dt.status).toBe(200);
    const status = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${SECRETS.GANTRY_API_TOKEN}` } });
    expect(status.status, web.output().slice(-3000)).toBe(200);
    const admin = await fetch(`${base}/admin/queues`, { headers: { authorization: basic('admin', SECRETS.GANTRY_ADMIN_TOKEN) } });
    expect(admin.status).toBe(200);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SECRETS.GANTRY_METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    await recorder.waitFor((c) => c.path === '/session/ok', 'the DingTalk reply');
    await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^qa/.test(String(c.body.text ?? '')), 'the Slack reply');
  });
});
