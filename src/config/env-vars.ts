import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { BindAddress, BytesText, DurationText, HttpUrlText, IntText, RedisUrlText, TokenText } from './env-values.js';

/**
 * Every environment variable gantry reads, declared once: its type, what it does, its default,
 * whether it is a secret (secrets also come as NAME_FILE, src/config/env-files.ts) and other
 * names for it. The readers (src/config/env.ts, src/github/env.ts), the README's table and
 * `.env.example` (`npm run docs`) are made from this; a test fails on a read of an undeclared name.
 */

export const ENV_GROUPS = [
  'Core',
  'Redis',
  'Deploy repo',
  'GitHub App',
  'Builds',
  'Slack',
  'DingTalk',
  'E-mail',
  'HTTP and API',
  'Rollout',
  'Logging',
  'System',
] as const;
export type EnvGroup = (typeof ENV_GROUPS)[number];

export interface EnvVarSpec {
  group: EnvGroup;
  /** the value's type; readers add optional() or the default */
  schema: z.ZodType;
  description: string;
  /** the value used when unset, as it would be written in the environment */
  default?: string;
  /** the default, in words, where it depends on something else (the config, the command) */
  defaultNote?: string;
  /** also accepted as NAME_FILE, and never printed */
  secret?: true;
  /** other names for this variable (Probot's) */
  aliases?: readonly string[];
  /** other names for NAME_FILE (Probot's PRIVATE_KEY_PATH) */
  fileAliases?: readonly string[];
  /** a value to show in `.env.example` where there is no default */
  example?: string;
  /** the system sets it (PATH): `.env.example` describes it without a line that would override it */
  fromSystem?: true;
}

/** Keeps each entry's literal type, so readers know which variables have a default. */
const declare = <const T extends EnvVarSpec>(spec: T): T => spec;
const text = z.string();

export const ENV_VARS = {
  GANTRY_CONFIG: declare({
    group: 'Core', schema: text,
    description:
      'the config directory (`--config` overrides it); with platform credentials it must be given, ' +
      'here or as `./config` of the working directory, so the demo never reaches a real installation',
    defaultNote: '`./config` when it holds `*.yml`; else, in local mode only, the demo `config/demo/`',
  }),
  GANTRY_STATE_DIR: declare({
    group: 'Core', schema: text, default: '.gantry',
    description: 'local-mode state (Redis data, deploy repo, warm clone) and the shell\'s log',
  }),
  GANTRY_AS: declare({
    group: 'Core', schema: text.min(1),
    description: 'who `gantry shell` acts as (`--as` overrides it)',
    defaultNote: 'the login name',
  }),
  GANTRY_JOB_LOCK: declare({
    group: 'Core', schema: DurationText,
    description:
      'how long a worker\'s job lock lasts (5s to 10m): a dead worker\'s jobs move on after about twice this',
    defaultNote: '`30s` (`60s` for builds)',
  }),
  GANTRY_SHUTDOWN_GRACE: declare({
    group: 'Core', schema: DurationText, default: '20s',
    description:
      'on SIGTERM, how long running builds may go on before they go back to the queue (keep it under the ' +
      'orchestrator\'s grace, 30s in Kubernetes)',
  }),
  REDIS_URL: declare({
    group: 'Redis', schema: RedisUrlText, secret: true, example: 'redis://redis:6379',
    description:
      'the Redis to use: `redis://`, `redis+sentinel://`, `redis+cluster://` (`rediss…` for TLS; see Operations)',
    defaultNote: 'local mode starts a private `redis-server`',
  }),
  GANTRY_REDIS_PREFIX: declare({
    group: 'Redis', schema: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'must be 1 to 40 letters, digits, _ . or -'),
    default: 'gantry',
    description: 'key prefix, so installations can share one Redis (the hash tag `{prefix}` on a Cluster)',
  }),
  GANTRY_DEPLOY_TOKEN: declare({
    group: 'Deploy repo', schema: text, secret: true,
    description:
      'token for an https deploy repo (GitHub: contents:write); sent per command as a header, never written to disk',
  }),
  GANTRY_GITHUB_API_URL: declare({
    group: 'Deploy repo', schema: z.url(),
    description: 'GitHub API for pull-request mode (GitHub Enterprise: `https://ghe.example.com/api/v3`)',
    defaultNote: '`https://api.github.com`',
  }),
  GIT_SSL_CAINFO: declare({
    group: 'Deploy repo', schema: text,
    description: "the CA bundle for an https deploy repo, as for git itself (gantry's own push honours it too)",
    defaultNote: "the system's",
  }),
  GIT_SSH_COMMAND: declare({
    group: 'Deploy repo', schema: text,
    description: 'the ssh command git uses for an ssh deploy repo',
    defaultNote: 'ssh; the readiness check adds `-o BatchMode=yes` and a timeout',
  }),
  GANTRY_SIGNING_KEY: declare({
    group: 'Deploy repo', schema: text, secret: true,
    description:
      'signs every deploy commit: an OpenSSH private key (SSH signing) or an ASCII-armored OpenPGP secret key ' +
      '(GPG), without a passphrase for SSH; unset: commits are unsigned (README "Signed deploy commits")',
  }),
  GANTRY_SIGNING_PASSPHRASE: declare({
    group: 'Deploy repo', schema: text, secret: true,
    description: 'the passphrase of an OpenPGP GANTRY_SIGNING_KEY (given to gpg on a file descriptor, never an argument)',
  }),
  GITHUB_APP_ID: declare({
    group: 'GitHub App', schema: z.string().regex(/^\d+$/, 'must be the numeric app id'), aliases: ['APP_ID'],
    description: 'the GitHub App\'s id; set, it turns the GitHub face on (and local mode off)',
  }),
  GITHUB_PRIVATE_KEY: declare({
    group: 'GitHub App', schema: z.string().min(1), secret: true, aliases: ['PRIVATE_KEY'],
    fileAliases: ['PRIVATE_KEY_PATH'],
    description: 'the app\'s private key (PEM; `\\n` escapes of one-line env files become newlines)',
  }),
  GITHUB_WEBHOOK_SECRET: declare({
    group: 'GitHub App', schema: z.string().min(1), secret: true, aliases: ['WEBHOOK_SECRET'],
    description: 'the app\'s webhook secret',
  }),
  GITHUB_API_URL: declare({
    group: 'GitHub App', schema: z.url(),
    description: 'GitHub Enterprise Server\'s API URL',
    defaultNote: '`https://api.github.com`',
  }),
  GANTRY_REDELIVER_EVERY: declare({
    group: 'GitHub App',
    schema: z.union([z.literal('off'), DurationText.refine((t) => atLeast(t, 60_000), 'must be at least 1m, or off')]),
    default: '5m',
    description: 'how often a worker has GitHub redeliver failed deliveries (GitHub never retries); `off` stops it',
  }),
  GANTRY_EVENT_CONCURRENCY: declare({
    group: 'GitHub App', schema: IntText(1, 256), default: '16',
    description: 'webhook events a worker handles at once',
  }),
  DOCKER_HOST: declare({
    group: 'Builds', schema: text.min(1), default: 'unix:///var/run/docker.sock',
    description: 'the Docker Engine that builds images (`unix://…` or `tcp://host:port`)',
  }),
  DOCKER_TLS_VERIFY: declare({
    group: 'Builds', schema: z.enum(['0', '1']),
    description: 'as for the docker CLI: `1` speaks TLS to a `tcp://` DOCKER_HOST with the client certificate in DOCKER_CERT_PATH',
  }),
  DOCKER_CERT_PATH: declare({
    group: 'Builds', schema: text.min(1), example: '/run/secrets/docker-tls',
    description: 'the directory holding `ca.pem`, `cert.pem` and `key.pem` for DOCKER_TLS_VERIFY',
  }),
  GANTRY_REGISTRY: declare({
    group: 'Builds', schema: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be host[:port]'),
    example: '127.0.0.1:5000',
    description:
      'replaces the registry host of every image repository of the config when pushing ' +
      '(manifests keep the configured one)',
  }),
  GANTRY_REGISTRY_USERNAME: declare({ group: 'Builds', schema: text, description: 'registry user for pushes' }),
  GANTRY_REGISTRY_PASSWORD: declare({
    group: 'Builds', schema: text, secret: true,
    description: 'registry password for pushes',
  }),
  GANTRY_FORK_REGISTRY_USERNAME: declare({
    group: 'Builds', schema: text,
    description: 'registry user for fork PR builds only (scope it to pushing `pr-*` tags)',
  }),
  GANTRY_FORK_REGISTRY_PASSWORD: declare({
    group: 'Builds', schema: text, secret: true,
    description: 'registry password for fork PR builds only; none: fork builds push without credentials',
  }),
  GANTRY_BUILD_CONCURRENCY: declare({
    group: 'Builds', schema: IntText(1, 64), default: '2',
    description: 'builds a worker runs at once',
  }),
  GANTRY_BUILD_TIMEOUT: declare({
    group: 'Builds', schema: DurationText, default: '30m',
    description: 'a build running longer is stopped and fails',
  }),
  GANTRY_BUILD_ATTEMPTS: declare({
    group: 'Builds', schema: IntText(1, 10), default: '3',
    description:
      'attempts per build for infrastructure faults (Docker or the registry away); failing builds never retry',
  }),
  GANTRY_BUILD_MEMORY: declare({
    group: 'Builds', schema: BytesText, example: '2g',
    description: 'memory limit of a build (bytes, or with k, m, g)',
  }),
  GANTRY_BUILD_CPUS: declare({
    group: 'Builds', schema: z.coerce.number().positive().max(256), example: '1.5',
    description: 'CPU limit of a build',
  }),
  SLACK_BOT_TOKEN: declare({
    group: 'Slack', schema: text, secret: true,
    description: 'the bot token (`xoxb-…`); set, it turns the Slack face on',
  }),
  SLACK_SIGNING_SECRET: declare({
    group: 'Slack', schema: text, secret: true,
    description: 'verifies Slack\'s requests (HTTP mode)',
  }),
  SLACK_APP_TOKEN: declare({
    group: 'Slack', schema: text, secret: true,
    description: 'an app token (`xapp-…`) for Socket Mode, for teams without a public URL',
  }),
  SLACK_API_URL: declare({
    group: 'Slack', schema: z.url(),
    description: 'another Slack Web API base URL (an enterprise proxy; tests)',
    defaultNote: '`https://slack.com/api/`',
  }),
  SLACK_RESOLVE_BY_EMAIL: declare({
    group: 'Slack', schema: z.enum(['true', 'false']), default: 'false',
    description: 'match Slack users to config users by profile e-mail (needs the `users:read.email` scope)',
  }),
  DINGTALK_APP_SECRET: declare({
    group: 'DingTalk', schema: text, secret: true,
    description: 'the enterprise robot\'s app secret: verifies callbacks; set, it turns the DingTalk face on',
  }),
  DINGTALK_APP_KEY: declare({
    group: 'DingTalk', schema: text,
    description: 'the robot\'s app key: with it, Stream mode (no public URL) is used',
  }),
  SMTP_URL: declare({
    group: 'E-mail', schema: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL'), secret: true,
    description:
      'the mail server, nodemailer\'s URL form `smtp(s)://user:pass@host:port` (TLS options as query parameters)',
  }),
  PORT: declare({
    group: 'HTTP and API', schema: z.string().regex(/^\d{1,5}$/, 'must be a port number'),
    description: 'the HTTP server\'s port (`web`, `start`)',
    defaultNote: '`server.port` of the config (3000)',
  }),
  GANTRY_HOST: declare({
    group: 'HTTP and API', schema: BindAddress,
    description: 'the address the HTTP server binds (`0.0.0.0` in a container)',
    defaultNote: '`server.host` of the config (127.0.0.1)',
  }),
  GANTRY_PUBLIC_URL: declare({
    group: 'HTTP and API', schema: HttpUrlText, example: 'https://gantry.example.com',
    description: 'where people reach `gantry web`: links to verification logs, build pages (check runs\' Details, chat build reports), GitHub Deployments\' log_url',
  }),
  GANTRY_SESSION_SECRET: declare({
    group: 'HTTP and API', schema: TokenText, secret: true,
    description: 'the key that signs web sign-in cookies; changing it signs everyone out',
    defaultNote: 'a random key made once and kept in Redis, shared by every `gantry web`',
  }),
  GITHUB_CLIENT_ID: declare({
    group: 'HTTP and API', schema: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be the GitHub App\'s client id (Iv1.…)'),
    description: 'the GitHub App\'s OAuth client id: turns on "Sign in with GitHub" on the dashboard (with GITHUB_CLIENT_SECRET; `gantry setup github` writes both)',
  }),
  GITHUB_CLIENT_SECRET: declare({
    group: 'HTTP and API', schema: z.string().min(1), secret: true,
    description: 'the GitHub App\'s OAuth client secret, for "Sign in with GitHub"',
  }),
  GANTRY_API_TOKEN: declare({
    group: 'HTTP and API', schema: TokenText, secret: true,
    description: 'Bearer token for `POST /api/releases`, `GET /api/status` and `/api/bundles`; unset: no API',
  }),
  GANTRY_ADMIN_TOKEN: declare({
    group: 'HTTP and API', schema: TokenText, secret: true,
    description: 'the queue dashboard at `/admin/queues` (Bearer, or Basic with it as password); unset: none',
  }),
  GANTRY_METRICS_TOKEN: declare({
    group: 'HTTP and API', schema: TokenText, secret: true,
    description: 'when set, `/metrics` asks scrapers for it (Bearer); unset: open like `/healthz`',
  }),
  GANTRY_FLUX_WEBHOOK_SECRET: declare({
    group: 'Rollout', schema: TokenText, secret: true,
    description:
      'the `token` of the Flux Provider\'s secret (generic-hmac): `POST /rollout/flux` is served only with it',
  }),
  GANTRY_ARGOCD_WEBHOOK_TOKEN: declare({
    group: 'Rollout', schema: TokenText, secret: true,
    description: 'the bearer token Argo CD Notifications sends: `POST /rollout/argocd` is served only with it',
  }),
  GANTRY_ARGOCD_URL: declare({
    group: 'Rollout', schema: HttpUrlText, example: 'https://argocd.example.com',
    description: 'Argo CD\'s API, polled for followed deploys where Argo CD cannot send webhooks',
  }),
  GANTRY_ARGOCD_TOKEN: declare({
    group: 'Rollout', schema: text.min(1), secret: true,
    description: 'a token of an Argo CD account with `applications, get`, for the polling',
  }),
  GANTRY_ROLLOUT_WATCH: declare({
    group: 'Rollout', schema: DurationText, default: '15s',
    description: 'how often open rollouts are checked for their timeout (and Argo CD polled)',
  }),
  LOG_LEVEL: declare({
    group: 'Logging', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info',
    description: 'pino\'s level',
  }),
  GANTRY_LOG_FILE: declare({
    group: 'Logging', schema: text.min(1),
    description: 'where logs go: a file, or `-` for standard error',
    defaultNote:
      'standard error for `web`, `worker` and `start` with credentials; `<GANTRY_STATE_DIR>/gantry.log` for the ' +
      'shell, local mode and `release add`',
  }),
  PATH: declare({
    group: 'System', schema: text, fromSystem: true,
    description: 'where gantry finds `git`, and `redis-server` in local mode',
  }),
} as const satisfies Record<string, EnvVarSpec>;

export type EnvName = keyof typeof ENV_VARS;
export type EnvSpecOf<N extends EnvName> = (typeof ENV_VARS)[N];

/** Variables read by prefix: documented, not listed one by one. */
export const ENV_PATTERNS = [
  {
    group: 'Builds',
    pattern: 'GANTRY_BUILD_ARG_<NAME>',
    description:
      'a value a repo\'s `.github/gantry.yml` may pass as a build arg (`args: { X: { env: GANTRY_BUILD_ARG_X } }`)',
  },
] as const satisfies readonly { group: EnvGroup; pattern: string; description: string }[];

export const ENV_NAMES = Object.keys(ENV_VARS) as EnvName[];

/** A lookup keyed by outside input (an environment's names): never answered by Object.prototype. */
export function isEnvName(name: string): name is EnvName {
  return Object.hasOwn(ENV_VARS, name);
}

/** At least `ms`; a value DurationText refuses is reported there, not twice. */
function atLeast(t: string, ms: number): boolean {
  try {
    return parseDuration(t) >= ms;
  } catch {
    return true;
  }
}
