import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dingtalkModule } from '../../src/chat/dingtalk/module.js';
import { DingtalkNotifier } from '../../src/chat/dingtalk/notifier.js';
import { slackModule } from '../../src/chat/slack/module.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { EmailNotifier } from '../../src/notify/email.js';
import { WebhookNotifier } from '../../src/notify/webhook.js';
import { createGantry } from '../../src/runtime/gantry.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { run } from '../../src/util/exec.js';
import { createLogger } from '../../src/util/logger.js';
import { postCallback } from '../support/dingtalk.js';
import { ACME_WEB, prPayload } from '../support/github-payloads.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { serveGitHttp } from '../support/git-http.js';
import { EXAMPLES } from '../support/harness.js';
import { describeLeaks, readTree, scanText } from '../support/log-scan.js';
import { spawnGantry, until, type Spawned } from '../support/processes.js';
import { startRecorder } from '../support/recorder.js';
import { credentialsEnv, notifierEnv, platforms, redisSources, secretConfig, secretList, SECRETS, startAuthSmtp } from '../support/secret-world.js';
import { clickBody, faceDeps, postSlack, slashBody } from '../support/slack.js';

const CAROL = 'UCAROL01';
const ALICE = 'U024BE7LH';

/**
 * gantry run with every secret it can be given, at debug level, through its flows (promote and
 * approve from Slack and DingTalk, notifications by every channel, the API, webhooks, forged
 * requests, a deploy repo that fails); then every log byte, the job payloads in Redis, the chat
 * messages, mails and commits, and the warm clone on disk are searched for each secret.
 */
describe('secrets never reach a log line, a job payload, a message or the disk', () => {
  let tmp: ReturnType<typeof tempDir>;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let smtp: Awaited<ReturnType<typeof startAuthSmtp>>;
  let git: Awaited<ReturnType<typeof serveGitHttp>>;
  let bare: string;
  const prefixes: string[] = [];
  beforeAll(async () => {
    tmp = tempDir('logscan');
    recorder = await startRecorder(platforms);
    smtp = await startAuthSmtp();
    bare = path.join(tmp.dir, 'deploy.git');
    await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
    git = await serveGitHttp(bare, SECRETS.GANTRY_DEPLOY_TOKEN);
  });
  afterAll(async () => {
    await git?.close();
    await smtp?.close();
    await recorder?.close();
    for (const p of prefixes) await wipePrefix(p);
    tmp?.remove();
  });

  /** Everything that must stay clean, besides the logs: payloads sent out, mails, commits, Redis. */
  const otherSources = async (prefix: string) => [
    // what gantry said to people and systems; Slack API calls carry the bot token to Slack by design, so only their message
    ...recorder.calls.map((c, i) => ({ name: `outgoing ${i} ${c.method} ${c.path}`, text: c.path.startsWith('/api/') ? JSON.stringify([c.body.text, c.body.blocks, c.body.attachments]) : c.raw })),
    ...smtp.mails.map((m, i) => ({ name: `mail ${i}`, text: m })),
    { name: 'deploy repo commit messages', text: (await run('git', ['log', '--format=%B', 'main'], { cwd: bare })).stdout },
    ...(await redisSources(redisUrl(), prefix)),
  ];

  it('in-process faces and workers, pino at debug into a file', { timeout: 90_000 }, async () => {
    const prefix = uniquePrefix('logscan');
    prefixes.push(prefix);
    const logFile = path.join(tmp.dir, 'gantry.log');
    const log = createLogger({ level: 'debug', destination: logFile });
    const config = ConfigSchema.parse(secretConfig(git.url, recorder.url));
    const workdir = path.join(tmp.dir, 'work-inproc');
    const gantry = createGantry({ config, redisUrl: redisUrl(), prefix, workdir, log, deployToken: SECRETS.GANTRY_DEPLOY_TOKEN });
    const deps = faceDeps(gantry, log);
    const slackSettings = { botToken: SECRETS.SLACK_BOT_TOKEN, signingSecret: SECRETS.SLACK_SIGNING_SECRET, apiUrl: `${recorder.url}/api/`, resolveByEmail: false };
    const slack = await slackModule.create(deps, slackSettings);
    const dingtalk = await dingtalkModule.create(deps, { appSecret: SECRETS.DINGTALK_APP_SECRET });
    const env = notifierEnv(recorder.url);
    const email = new EmailNotifier({ config, releases: gantry.core.releases, approval: deps.approval }, smtp.url);
    gantry.startWorkers(undefined, { notifiers: [slackModule.notifier(deps, slackSettings)!, new DingtalkNotifier(deps, undefined, env), email, new WebhookNotifier(config, env)] });
    const server = createHttpServer([...slack.routes, ...dingtalk.routes], log);
    const base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    const slash = (user: string, text: string, secret?: string) =>
      postSlack(`${base}/slack/events`, slashBody({ command: '/gantry', text, user, responseUrl: `${recorder.url}/response/${user}` }), 'form', secret ? { secret } : {});
    const say = (staffId: string, nick: string, text: string, secret?: string) =>
      postCallback(`${base}/dingtalk/callback`, { staffId, nick, text, sessionWebhook: `${recorder.url}/session/${nick}` }, secret ? { secret } : {});
    const posted = (re: RegExp, what: string) =>
      recorder.waitFor((c) => c.path === '/api/chat.postMessage' && re.test(String(c.body.text ?? '')), what).catch((e: unknown) => {
        throw new Error(`${String(e)}\nposted: ${recorder.calls.filter((c) => c.path === '/api/chat.postMessage').map((c) => c.body.text).join(' | ')}`);
      });
    try {
      await gantry.core.releases.add({ app: 'web', version: 'v1.2.3', builtAt: new Date().toISOString(), images: { web: { repository: 'registry.example.com/acme/web', tag: 'v1.2.3' } } });
      for (const env of ['qa', 'staging']) {
        expect((await slash(CAROL, `promote v1.2.3 ${env}`)).status).toBe(200);
        await posted(new RegExp(`^promoted web v1\\.2\\.3 to ${env}`), `promotion to ${env}`);
      }
      // prod needs an approval: asked from Slack, granted with the button
      await slash(CAROL, 'promote v1.2.3 prod');
      const ask = await posted(/^Approval \d+: promote web/, 'approval request');
      const id = /^Approval (\d+)/.exec(ask.body.text)![1]!;
      await postSlack(`${base}/slack/events`, clickBody({ user: ALICE, actionId: 'gantry_approve', value: id, messageTs: '1.0', responseUrl: `${recorder.url}/response/click` }), 'form');
      await recorder.waitFor((c) => c.path === '/api/chat.update' && /deployed/.test(JSON.stringify(c.body.blocks ?? [])), 'approval completed');
      // DingTalk: a lock and an unlock by a lead, a status by a dev
      expect(await say('manager4220', 'alice', '@gantry /lock staging maintenance')).toBe(200);
      // DingTalk answers in Chinese by default
      await recorder.waitFor((c) => c.path === '/session/alice' && /staging 已被 alice 锁定/.test(JSON.stringify(c.body)), 'lock reply');
      await say('manager4220', 'alice', '@gantry /unlock staging');
      await say('carol01', 'carol', '@gantry /status');
      await recorder.waitFor((c) => c.path === '/session/carol', 'status reply');
      // forged requests are refused (and logged as such)
      expect((await slash(CAROL, 'rollback qa', 'forged-secret-x')).status).toBe(401);
      expect(await say('manager4220', 'alice', '@gantry /rollback qa', 'forged-secret-y')).toBe(401);
      // the deploy repo away while a promotion runs: git's error reaches the log, the user and the notifications
      await gantry.core.releases.add({ app: 'web', version: 'v1.2.4', builtAt: new Date().toISOString(), images: { web: { repository: 'registry.example.com/acme/web', tag: 'v1.2.4' } } });
      git.setBroken(true);
      await slash(CAROL, 'promote v1.2.4 qa');
      try {
        await posted(/^:x: .*deploy repo/, 'the deploy repo error');
      } finally {
        git.setBroken(false);
      }
      // every channel delivered (so their code paths ran): robot, mail, webhook, #deploys
      await recorder.waitFor((c) => c.path === '/robot/send', 'robot delivery');
      await recorder.waitFor((c) => c.path === '/hooks/incidents', 'webhook delivery');
      await until(() => smtp.mails.length > 0, 'a mail', 15_000);
      expect(git.served).toBeGreaterThan(0); // the token really was used on the deploy repo
    } finally {
      await new Promise((r) => server.close(r));
      await slack.stop();
      email.close();
      await gantry.close();
      await new Promise<void>((r) => log.flush(() => r()));
    }
    const logText = readFileSync(logFile, 'utf8');
    expect(logText.split('\n').length).toBeGreaterThan(20); // debug logging really happened
    const leaks = scanText([{ name: logFile, text: logText }, ...readTree(workdir), ...(await otherSources(prefix))], secretList());
    expect(leaks, describeLeaks(leaks)).toEqual([]);
  });

  it('spawned gantry web + worker with every credential, LOG_LEVEL=debug, stderr captured', { timeout: 120_000 }, async () => {
    const prefix = uniquePrefix('logscan-cli');
    prefixes.push(prefix);
    const conf = path.join(tmp.dir, 'config');
    mkdirSync(conf, { recursive: true });
    writeFileSync(path.join(conf, 'default.yml'), stringify(secretConfig(git.url, recorder.url)));
    const port = await freePort();
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
      ...process.env,
      ...notifierEnv(recorder.url),
      GANTRY_CONFIG: conf,
      REDIS_URL: redisUrl(),
      GANTRY_REDIS_PREFIX: prefix,
      LOG_LEVEL: 'debug',
      ...credentialsEnv(recorder.url),
      SMTP_URL: smtp.url,
      GANTRY_DEPLOY_TOKEN: SECRETS.GANTRY_DEPLOY_TOKEN,
      ...extra,
    });
    const procs: Spawned[] = [
      spawnGantry(['web'], { cwd: path.join(tmp.dir, 'web'), env: env({ PORT: String(port) }) }),
      spawnGantry(['worker'], { cwd: path.join(tmp.dir, 'worker'), env: env({ PORT: '0' }) }),
    ];
    const base = `http://127.0.0.1:${port}`;
    const said = () => procs.map((p) => p.output().slice(-1500)).join('\n---\n');
    try {
      await until(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), () => `gantry web up: ${said()}`, 20_000);
      const api = (token: string, body: unknown) =>
        fetch(`${base}/api/releases`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const release = { app: 'web', version: 'v1.3.0', images: { web: 'registry.example.com/acme/web:v1.3.0' } };
      expect((await api('wrong-token-0123456789abcdef0123', release)).status).toBe(401);
      expect((await api(SECRETS.GANTRY_API_TOKEN, release)).status).toBe(201);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SECRETS.GANTRY_METRICS_TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${base}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from('x:wrong').toString('base64')}` } })).status).toBe(401);

      const slash = (text: string, secret?: string) =>
        postSlack(`${base}/slack/events`, slashBody({ command: '/gantry', text, user: CAROL, responseUrl: `${recorder.url}/response/cli` }), 'form', secret ? { secret } : {});
      expect((await slash('promote v1.3.0 qa')).status).toBe(200);
      await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^promoted web v1\.3\.0 to qa/.test(String(c.body.text ?? '')), 'promotion reply', 30_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\nposted: ${recorder.calls.filter((c) => c.path === '/api/chat.postMessage').map((c) => c.body.text).join(' | ')}\n${said()}`);
      });
      expect((await slash('rollback qa', 'forged-secret-z')).status).toBe(401);
      await postCallback(`${base}/dingtalk/callback`, { staffId: 'carol01', nick: 'carol-cli', text: '@gantry /status qa', sessionWebhook: `${recorder.url}/session/carol-cli` });
      await postCallback(`${base}/dingtalk/callback`, { staffId: 'carol01', nick: 'carol-cli', text: '@gantry /status qa', sessionWebhook: `${recorder.url}/session/carol-cli` }, { secret: 'forged' });
      await recorder.waitFor((c) => c.path === '/session/carol-cli', 'dingtalk reply');

      // GitHub: a forged delivery, then a real one the worker takes to the (mostly absent) GitHub API
      const payload = prPayload(ACME_WEB, { action: 'opened', number: 2, sha: '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213' });
      const body = JSON.stringify(payload);
      const gh = (secret: string, delivery: string) =>
        fetch(`${base}/api/github/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': delivery, 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
          body,
        });
      expect((await gh('forged', 'logscan-forged')).status).toBeGreaterThanOrEqual(400);
      expect((await gh(SECRETS.GITHUB_WEBHOOK_SECRET, 'logscan-1')).status).toBe(200);
      await recorder.waitFor((c) => /^\/github\/app\/installations\/\d+\/access_tokens$/.test(c.path), 'installation token request', 30_000);
      await recorder.waitFor((c) => c.path.startsWith('/github/repos/'), 'a GitHub API call with the installation token', 30_000);
      await recorder.waitFor((c) => c.path === '/robot/send', 'robot delivery', 30_000);
    } finally {
      for (const p of procs) await p.stop().catch(() => p.kill9());
    }
    const sources = procs.map((p, i) => ({ name: `${['web', 'worker'][i]} stderr+stdout`, text: p.output() }));
    for (const s of sources) expect(s.text, `${s.name}: debug lines`).toContain('"level":20');
    const leaks = scanText([...sources, ...readTree(path.join(tmp.dir, 'web', '.gantry')), ...readTree(path.join(tmp.dir, 'worker', '.gantry')), ...(await otherSources(prefix))], secretList());
    expect(leaks, describeLeaks(leaks)).toEqual([]);
  });
});


describe('the log scanner', () => {
  it('finds a secret in each form it leaks in, and names it and the line without repeating it', () => {
    const secret = { name: 'GANTRY_DEPLOY_TOKEN', value: 'ghp_scannerSelfTest0123' };
    const text = [
      'nothing here',
      `{"msg":"token ${secret.value}"}`,
      `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${secret.value}`).toString('base64')}`,
      `https://example.com/?t=${encodeURIComponent(`${secret.value}/x`).slice(0, -4)}`,
      `Authorization: Basic ${Buffer.from(secret.value).toString('base64')}`,
    ].join('\n');
    const leaks = scanText([{ name: 'sample.log', text }], [secret]);
    expect(leaks.map((l) => [l.line, l.form])).toEqual([
      [2, 'as is'],
      [3, 'base64'], // "x-access-token:" is 15 bytes, so the token's own base64 sits inside the credential's
      [3, 'base64 x-access-token credential'],
      [4, 'as is'],
      [5, 'base64'],
    ]);
    expect(describeLeaks(leaks)).toContain('GANTRY_DEPLOY_TOKEN (as is) in sample.log line 2: {"msg":"token [SECRET]"}');
    expect(describeLeaks(leaks)).not.toContain(secret.value);
  });
});
