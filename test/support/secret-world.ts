import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Redis } from 'ioredis';
import { APP_SECRET } from './dingtalk.js';
import { defaultConfigData } from './harness.js';
import type { Secret } from './log-scan.js';
import type { Recorded } from './recorder.js';
import { SIGNING_SECRET, slackApi } from './slack.js';

/**
 * Every secret gantry can be given, with values that cannot turn up by chance, for tests that
 * run gantry with all of them and then look for them where they must never be.
 */
export const SECRETS = {
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_BOT_TOKEN: 'xoxb-logscan-7f3e9a1c2b5d',
  DINGTALK_APP_SECRET: APP_SECRET,
  DINGTALK_ROBOT_SECRET: 'SEClogscan-robot-secret-0a9b',
  DINGTALK_ROBOT_TOKEN: 'logscan-robot-access-token-4c1d',
  WEBHOOK_SECRET: 'logscan-webhook-secret-5e2f',
  SMTP_PASSWORD: 'logscan-smtp-password-8d7c',
  GANTRY_DEPLOY_TOKEN: 'ghp_logscanDeployToken9f8e7d6c',
  GITHUB_WEBHOOK_SECRET: 'logscan-github-webhook-secret-3b4a',
  GITHUB_INSTALLATION_TOKEN: 'ghs_logscanInstallationToken5a6b7c',
  GANTRY_API_TOKEN: 'logscan-api-token-0123456789abcdef',
  GANTRY_ADMIN_TOKEN: 'logscan-admin-token-0123456789abcdef',
  GANTRY_METRICS_TOKEN: 'logscan-metrics-token-0123456789abcdef',
} as const;

let pem: string | undefined;
/** The GitHub App key (made once per test file). */
export function privateKey(): string {
  pem ??= generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
  return pem;
}

/** The secrets to scan for; the private key by a line of its body (any leak of the key carries one). */
export function secretList(): Secret[] {
  const body = privateKey().split('\n').filter((l) => l && !l.startsWith('-----'));
  return [...Object.entries(SECRETS).map(([name, value]) => ({ name, value })), { name: 'GITHUB_PRIVATE_KEY', value: body[3]! }];
}

/**
 * Answers every platform gantry talks to: the Slack Web API under /api/, DingTalk session
 * webhooks and the ops robot, the outgoing webhook, and a GitHub API under /github that hands
 * out an installation token, lists no failed webhook deliveries and knows nothing else.
 */
export function platforms(r: Recorded): { status?: number; body: unknown } | undefined {
  if (r.path.startsWith('/api/') || r.path.startsWith('/response/')) return slackApi(r);
  if (r.path === '/robot/send') return { body: { errcode: 0, errmsg: 'ok' } };
  if (r.path.startsWith('/session/')) return { body: { errcode: 0 } };
  if (r.path === '/hooks/incidents') return { body: { ok: true } };
  if (/^\/github\/app\/installations\/\d+\/access_tokens$/.test(r.path)) {
    return { status: 201, body: { token: SECRETS.GITHUB_INSTALLATION_TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { checks: 'write' } } };
  }
  // the failed-delivery sweep of a worker: nothing failed
  if (r.path === '/github/app/hook/deliveries') return { body: [] };
  if (r.path.startsWith('/github/')) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
  return undefined;
}

/** The config data for a gantry that notifies through every channel, the deploy repo at `deployUrl`. */
export function secretConfig(deployUrl: string, recorderUrl: string): Record<string, any> {
  const d = defaultConfigData();
  d.deployRepo.url = deployUrl;
  d.deployRepo.webUrl = 'https://github.com/acme/deploy';
  d.users.carol.ids.push('slack:UCAROL01', 'dingtalk:carol01');
  d.dingtalk = { robots: { ops: { urlEnv: 'LOGSCAN_DT_URL', secretEnv: 'LOGSCAN_DT_SECRET' } }, sessionWebhookHosts: [new URL(recorderUrl).host] };
  d.email = { from: 'gantry <gantry@acme.example>' };
  d.webhooks = { incidents: { url: `${recorderUrl}/hooks/incidents`, secretEnv: 'LOGSCAN_HOOK_SECRET' } };
  d.notify = [{ events: ['deployed', 'rolled-back', 'approval-requested', 'locked', 'unlocked', 'release-added'], to: ['slack:#deploys', 'dingtalk:ops', 'email:leads@acme.example', 'webhook:incidents'] }];
  return d;
}

/** The variables the config's urlEnv/secretEnv names point at. */
export function notifierEnv(recorderUrl: string): Record<string, string> {
  return {
    LOGSCAN_DT_URL: `${recorderUrl}/robot/send?access_token=${SECRETS.DINGTALK_ROBOT_TOKEN}`,
    LOGSCAN_DT_SECRET: SECRETS.DINGTALK_ROBOT_SECRET,
    LOGSCAN_HOOK_SECRET: SECRETS.WEBHOOK_SECRET,
  };
}

/** An SMTP server that wants a password (so nodemailer really sends SMTP_URL's credentials). */
export async function startAuthSmtp(): Promise<{ url: string; mails: string[]; close(): Promise<void> }> {
  const mails: string[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'gantry' && auth.password === SECRETS.SMTP_PASSWORD) cb(null, { user: 'gantry' });
      else cb(new Error('bad credentials'));
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString('utf8'));
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://gantry:${SECRETS.SMTP_PASSWORD}@127.0.0.1:${port}`, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Every value stored under a Redis prefix (job payloads included), one source per key. */
export async function redisSources(url: string, prefix: string): Promise<{ name: string; text: string }[]> {
  const r = new Redis(url, { maxRetriesPerRequest: 2 });
  const out: { name: string; text: string }[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await r.type(key);
        const value =
          type === 'string' ? await r.get(key)
          : type === 'hash' ? await r.hgetall(key)
          : type === 'list' ? await r.lrange(key, 0, -1)
          : type === 'set' ? await r.smembers(key)
          : type === 'zset' ? await r.zrange(key, '0', '-1')
          : type === 'stream' ? await r.xrange(key, '-', '+', 'COUNT', '100000')
          : null;
        out.push({ name: `redis ${key}`, text: JSON.stringify(value) });
      }
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return out;
}

/** Every platform credential gantry reads, pointed at the recorder: a process with all faces on. */
export function credentialsEnv(recorderUrl: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
    SLACK_API_URL: `${recorderUrl}/api/`,
    DINGTALK_APP_SECRET: SECRETS.DINGTALK_APP_SECRET,
    GITHUB_APP_ID: '1',
    GITHUB_PRIVATE_KEY: privateKey(),
    GITHUB_WEBHOOK_SECRET: SECRETS.GITHUB_WEBHOOK_SECRET,
    GITHUB_API_URL: `${recorderUrl}/github`,
    GANTRY_API_TOKEN: SECRETS.GANTRY_API_TOKEN,
    GANTRY_ADMIN_TOKEN: SECRETS.GANTRY_ADMIN_TOKEN,
    GANTRY_METRICS_TOKEN: SECRETS.GANTRY_METRICS_TOKEN,
  };
}
