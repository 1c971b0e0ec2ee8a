import { z } from 'zod';
import { GantryError } from '../domain/errors.js';
import { parseRedisUrl } from '../store/redis-url.js';

function checkRedisUrl(url: string, ctx: z.RefinementCtx): void {
  try {
    parseRedisUrl(url);
  } catch (e) {
    // the parser's messages name no password
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
  }
}

/** A shared secret someone must send: long enough that guessing it over HTTP is hopeless. */
const TokenSchema = z.string().min(24, 'must be at least 24 characters (e.g. openssl rand -hex 24)').max(512).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** Environment variables: the only place secrets come from. */
export const EnvSchema = z.object({
  GANTRY_CONFIG: z.string().optional(),
  /** local-mode state (Redis data, deploy repo, warm clone); default .gantry in the working directory */
  GANTRY_STATE_DIR: z.string().optional(),
  /**
   * the Redis gantry uses; unset: local mode starts a private one. One server, Sentinel or Cluster:
   *   redis://[user:pass@]host[:port][/db]
   *   redis+sentinel://[user:pass@]host1:26379[,host2:26379…]/<master-name>[/<db>][?sentinel_password=…&sentinel_username=…]
   *   redis+cluster://[user:pass@]host1:6379[,host2:6379…]      (seed nodes; keys go under the hash tag {prefix})
   * and rediss… for TLS to every server named (src/store/redis-url.ts)
   */
  REDIS_URL: z.string().superRefine(checkRedisUrl).optional(),
  /** key prefix (default gantry), so installations can share a Redis; in Cluster mode used as the hash tag {prefix} */
  GANTRY_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/).optional(),
  /** token for an https deploy repo (GitHub: a token with contents:write) */
  GANTRY_DEPLOY_TOKEN: z.string().optional(),
  /** GitHub API for pull-request mode (GitHub Enterprise: https://ghe.example.com/api/v3) */
  GANTRY_GITHUB_API_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /**
   * where logs go: a file path, or `-` for standard error. Unset: standard error for the servers
   * (`web`, `worker`, `start` with credentials); `<GANTRY_STATE_DIR>/gantry.log` for the commands
   * a person talks to (the shell, local-mode `start`, `release add`), so no log line lands in the
   * conversation
   */
  GANTRY_LOG_FILE: z.string().min(1).optional(),
  // platform credentials: any of these turns local mode off
  GITHUB_APP_ID: z.string().optional(),
  /** Slack: the bot token (xoxb-…), and the signing secret (HTTP mode) or an app token xapp-… (Socket Mode) */
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  /** another Slack Web API base URL (an enterprise proxy; tests) */
  SLACK_API_URL: z.string().url().optional(),
  /** match Slack users to config users by profile e-mail (needs the users:read.email scope) */
  SLACK_RESOLVE_BY_EMAIL: z.enum(['true', 'false']).optional(),
  /** DingTalk enterprise robot: the app secret verifies callbacks; with the app key too, Stream mode is used */
  DINGTALK_APP_SECRET: z.string().optional(),
  DINGTALK_APP_KEY: z.string().optional(),
  /** e-mail: smtp(s)://user:pass@host:port, nodemailer's URL form (TLS options as query parameters) */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  /** Bearer token for `POST /api/releases` and `GET /api/status`; unset: the API is not served */
  GANTRY_API_TOKEN: TokenSchema.optional(),
  /** the queue dashboard at /admin/queues (Bearer, or Basic with it as password); unset: not served */
  GANTRY_ADMIN_TOKEN: TokenSchema.optional(),
  /** when set, /metrics asks scrapers for it (Bearer); unset: /metrics is open like /healthz */
  GANTRY_METRICS_TOKEN: TokenSchema.optional(),
  /** the `token` of the Flux Provider's secret (type generic-hmac): POST /rollout/flux is served only with it */
  GANTRY_FLUX_WEBHOOK_SECRET: TokenSchema.optional(),
  /** the bearer token Argo CD Notifications' webhook service sends: POST /rollout/argocd is served only with it */
  GANTRY_ARGOCD_WEBHOOK_TOKEN: TokenSchema.optional(),
  /** Argo CD's API (https://argocd.example.com) and a token of an account with `applications, get`: gantry polls it for deploys it follows */
  GANTRY_ARGOCD_URL: z.url({ protocol: /^https?$/ }).optional(),
  GANTRY_ARGOCD_TOKEN: z.string().min(1).optional(),
  /** how often open rollouts are checked for their timeout (and Argo CD polled); default 15s */
  GANTRY_ROLLOUT_WATCH: z.string().regex(/^(\d+(ms|s|m|h) ?)+$/, 'must be a duration such as 15s or 1m').optional(),
  /** the URL people reach gantry web at (https://gantry.example.com): links to verification logs, GitHub Deployments' log_url */
  GANTRY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** HTTP server address for `gantry web`/`start` (overrides server.host/port of the config) */
  PORT: z.string().regex(/^\d{1,5}$/).optional(),
  /** the address the HTTP server binds (0.0.0.0 in a container; default server.host, 127.0.0.1) */
  GANTRY_HOST: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')], { error: 'must be an IP address to bind, such as 0.0.0.0 or ::' }).optional(),
  /** how long a worker's job lock lasts (default 30s): a dead worker's jobs move on after about twice this (src/store/job-lock.ts) */
  GANTRY_JOB_LOCK: z.string().regex(/^(\d+(ms|s|m|h) ?)+$/, 'must be a duration such as 10s or 1m').optional(),
});
export type Env = z.infer<typeof EnvSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const r = EnvSchema.safeParse(env);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  // never echo a value: it may be a secret
  throw new GantryError('CONFIG_INVALID', `environment variable ${issue.path.join('.')}: ${issue.message}`);
}

/** Local mode: no platform credentials at all. */
export function isLocalMode(env: Env): boolean {
  return !env.GITHUB_APP_ID && !env.SLACK_BOT_TOKEN && !env.DINGTALK_APP_SECRET;
}
