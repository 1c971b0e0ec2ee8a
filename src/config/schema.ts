import { z } from 'zod';
import { I18nSchema, SpeechSchema, TimeZoneSchema } from '../i18n/config.js';
import { record } from '../domain/record.js';
import { formatFields, schemaFragments } from '../gitops/updaters/schemas.js';
import { DingtalkSchema, EmailSchema, NotifyRuleSchema, PAGERDUTY_EVENTS, PagerDutySchema, WebhookSchema } from './notify-schema.js';
import { DurationSchema, IdentitySchema, NameSchema, PrincipalSchema, RepoPathSchema } from './primitives.js';
import { appRolloutFields, environmentRolloutFields, rolloutIssues } from '../rollout/config.js';
import { verifyIssues, VerifyListSchema } from '../rollout/verify-config.js';

/**
 * The schema of gantry's central config (config/*.yml). Every key is documented in
 * config/demo/gantry.yml; `npm run schema` writes config/gantry.schema.json from this file.
 */

export const FORMATS = ['kubernetes', 'kustomize', 'helm', 'marathon', 'compose', 'flux'] as const;
export const FormatSchema = z.enum(FORMATS);
export type Format = z.infer<typeof FormatSchema>;

export const DeployFileSchema = z
  .object({
    file: RepoPathSchema,
    format: FormatSchema,
    /** Which of the app's images this file carries (default: all of them). */
    images: z.array(z.string()).optional(),
    /** each format's own options (container, paths, policies): src/gitops/updaters/<format>/schema.ts */
    ...formatFields(),
  })
  .strict();
export type DeployFile = z.infer<typeof DeployFileSchema>;

export const FreezeSchema = z
  .object({
    cron: z.string().min(9).max(100),
    duration: DurationSchema,
    timezone: z.string().default('UTC'),
    reason: z.string().max(200).default('freeze window'),
  })
  .strict();
export type Freeze = z.infer<typeof FreezeSchema>;

/** How long an approval request stays open when `approvals.deadline` does not say (src/approvals/rules.ts). */
export const DEFAULT_APPROVAL_DEADLINE = '1h';

export const EnvironmentSchema = z
  .object({
    /**
     * A release must have been deployed to this environment before it may come here: `from: qa`,
     * or `from: { env: qa, verified: true }` when it must also have passed qa's `verify` checks.
     */
    from: z.union([NameSchema, z.object({ env: NameSchema, verified: z.boolean().default(false) }).strict()]).optional(),
    /** the environment's base URL: GitHub Deployments' environment_url, and GANTRY_URL for `verify` checks */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** which Argo CD application or Flux object shows this environment, and `timeout` (rolloutTimeout, default 10m) */
    ...environmentRolloutFields,
    /**
     * What gantry does when a deploy here fails to roll out, turns degraded within `failureWindow`
     * of going live, or fails its `verify` checks: `rollback` (as /rollback would, then tell people)
     * or `notify` (only tell them).
     */
    onFailure: z.enum(['rollback', 'notify']).default('notify'),
    failureWindow: DurationSchema.default('30m'),
    /** checks run once a deploy here is live (src/rollout/verify-config.ts); `from: { env, verified: true }` waits for them */
    verify: VerifyListSchema.default([]),
    /** push the deploy commit, or open a pull request in the deploy repo. */
    mode: z.enum(['push', 'pull-request']).optional(),
    approvals: z
      .object({
        required: z.number().int().min(0).max(10),
        from: z.array(PrincipalSchema).default(['*']),
        deadline: DurationSchema.default(DEFAULT_APPROVAL_DEADLINE),
      })
      .strict()
      .optional(),
    promote: z.array(PrincipalSchema).default(['*']),
    rollback: z.array(PrincipalSchema).default(['*']),
    /** who may /lock and /unlock (default: whoever may promote or roll back). */
    lock: z.array(PrincipalSchema).optional(),
    breakGlass: z.array(PrincipalSchema).default([]),
    /** rollbacks need approvals too (default: no, on-call acts alone). */
    rollbackApprovals: z.boolean().default(false),
    freeze: z.array(FreezeSchema).default([]),
    /** the time zone times about this environment are shown in, for readers without one of their own */
    timeZone: TimeZoneSchema.optional(),
    autoDeploy: z
      .object({
        branches: z.array(z.string()).default([]),
        tags: z.array(z.string()).default([]),
      })
      .strict()
      .optional(),
    pinDigest: z.boolean().optional(),
  })
  .strict();
export type Environment = z.infer<typeof EnvironmentSchema>;

/** The environment a release must have run in before it comes to `env`, and whether it must have passed verification there. */
export function fromOf(env: Pick<Environment, 'from'>): { env: string; verified: boolean } | undefined {
  if (env.from === undefined) return undefined;
  return typeof env.from === 'string' ? { env: env.from, verified: false } : env.from;
}

export const ImageSchema = z
  .object({
    repository: z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._\-/][a-z0-9]+)*)*$/, {
      message: 'must be an image repository such as registry.example.com/acme/web (no tag)',
    }),
    dockerfile: z.string().optional(),
    context: z.string().optional(),
  })
  .strict();
export type Image = z.infer<typeof ImageSchema>;

export const AppSchema = z
  .object({
    /** GitHub repository the app is built from (owner/name). */
    source: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/).optional(),
    images: record(NameSchema, ImageSchema).refine((v) => Object.keys(v).length > 0, 'needs at least one image'),
    deploy: record(NameSchema, z.array(DeployFileSchema).min(1)),
    /** chat channels bound to this app, e.g. slack:C0123 or dingtalk:cid...: commands there may omit the app. */
    channels: z.array(z.string()).default([]),
    /** per environment, the Argo CD application or Flux object that shows this app there (overrides the environment's) */
    ...appRolloutFields,
  })
  .strict();
export type App = z.infer<typeof AppSchema>;

export const UserSchema = z
  .object({
    ids: z.array(IdentitySchema).min(1),
    name: z.string().max(80).optional(),
    email: z.string().email().optional(),
    ...SpeechSchema.shape,
  })
  .strict();
export type User = z.infer<typeof UserSchema>;

export const DeployRepoSchema = z
  .object({
    /** a local path, file://, ssh or https URL. Credentials come from GANTRY_DEPLOY_TOKEN, never from here. */
    url: z.string().min(1),
    branch: z.string().regex(/^[A-Za-z0-9._/-]+$/).default('main'),
    mode: z.enum(['push', 'pull-request']).default('push'),
    pinDigest: z.boolean().default(false),
    /** where gantry keeps its warm working clone */
    workdir: z.string().default('.gantry/work'),
    author: z
      .object({ name: z.string().default('gantry'), email: z.string().default('gantry@localhost') })
      .strict()
      .default({ name: 'gantry', email: 'gantry@localhost' }),
    /** how often a push is retried after the remote moved */
    pushRetries: z.number().int().min(0).max(50).default(8),
    /** how often the warm clone is refreshed in the background (0 = only when needed) */
    refreshInterval: DurationSchema.default('30s'),
    /** web page of the repo, for commit links in chat (derived for https URLs of GitHub/GitLab) */
    webUrl: z.string().url().optional(),
    /** the deploy repo on GitHub (owner/name), for pull-request mode when the URL does not say */
    github: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/).optional(),
  })
  .strict();
export type DeployRepo = z.infer<typeof DeployRepoSchema>;

const LIMITED_PLATFORMS = ['slack', 'dingtalk', 'github', 'shell', 'email'] as const;
const commandLimitDefaults = () => ({ max: 20, window: '1m', platforms: ['slack', 'dingtalk', 'github'] as (typeof LIMITED_PLATFORMS)[number][], exempt: [] as string[] });

export const LimitsSchema = z
  .object({
    /** at most `max` commands in any `window` per identity (0: no limit); over it, nothing runs */
    commands: z
      .object({
        max: z.number().int().min(0).max(10_000).default(20),
        window: DurationSchema.refine((w) => !/^(0+(ms|s|m|h|d))+$/.test(w), 'must be longer than 0').default('1m'),
        /** which identities' platforms are limited: shell users are self-declared, so limiting them protects nothing */
        platforms: z.array(z.enum(LIMITED_PLATFORMS)).default(() => commandLimitDefaults().platforms),
        /** principals never limited (on-call in an incident) */
        exempt: z.array(PrincipalSchema).default(() => []),
      })
      .strict()
      .default(commandLimitDefaults),
  })
  .strict();

/** A regular expression in the config, checked when the config loads rather than when first used. */
const RegexText = z.string().min(1).max(200).refine((p) => {
  try {
    new RegExp(p, 'u');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

const ReleasesSchema = z
  .object({
    /** how many releases per app the catalog keeps */
    keep: z.number().int().min(1).default(200),
    /**
     * versions `gantry release add` and POST /api/releases accept besides semver (v1.2.3, 1.2.3-rc.1):
     * a regular expression the whole version must match, e.g. `[a-z0-9-]+-[0-9a-f]{7}` for branch builds
     */
    versionPattern: RegexText.optional().describe(
      'versions that release add and POST /api/releases accept besides semver (v1.2.3, 1.2.3-rc.1): a regular expression the whole version must match, e.g. [a-z0-9-]+-[0-9a-f]{7} for branch builds',
    ),
  })
  .strict();

export const ConfigSchema = z
  .object({
    deployRepo: DeployRepoSchema,
    environments: record(NameSchema, EnvironmentSchema).refine((v) => Object.keys(v).length > 0, 'needs at least one environment'),
    apps: record(NameSchema, AppSchema).refine((v) => Object.keys(v).length > 0, 'needs at least one app'),
    users: record(NameSchema, UserSchema).prefault({}),
    groups: record(NameSchema, z.array(PrincipalSchema)).prefault({}),
    /** who may /block and /unblock releases, and register them with `gantry release add` from chat */
    block: z.array(PrincipalSchema).default(['*']),
    server: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(3000) })
      .strict()
      .default({ host: '127.0.0.1', port: 3000 }),
    releases: ReleasesSchema.default({ keep: 200 }),
    /** which events go where: each rule maps events × apps × environments to targets */
    notify: z.array(NotifyRuleSchema).default([]),
    dingtalk: DingtalkSchema.prefault({}),
    email: EmailSchema.optional(),
    webhooks: record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), WebhookSchema).prefault({}),
    /** PagerDuty services that rollout and verification failures page (Events API v2) */
    pagerduty: PagerDutySchema.prefault({}),
    /** per-user limits on chat commands */
    limits: LimitsSchema.default(() => ({ commands: commandLimitDefaults() })),
    /** languages and time zones (src/i18n/config.ts) */
    i18n: I18nSchema.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const envs = Object.keys(cfg.environments);
    const known = new Set<string>(['*', ...Object.keys(cfg.groups), ...Object.keys(cfg.users)]);
    const checkPrincipals = (list: string[] | undefined, path: (string | number)[]) => {
      list?.forEach((p, i) => {
        if (!known.has(p) && !IdentitySchema.safeParse(p).success) {
          ctx.addIssue({ code: 'custom', path: [...path, i], message: `"${p}" is neither a group, a user, an identity nor *` });
        }
      });
    };
    for (const [name, env] of Object.entries(cfg.environments)) {
      const from = fromOf(env);
      if (from !== undefined && !envs.includes(from.env)) {
        ctx.addIssue({ code: 'custom', path: ['environments', name, 'from'], message: `environment "${from.env}" is not defined` });
      }
      if (from?.env === name) {
        ctx.addIssue({ code: 'custom', path: ['environments', name, 'from'], message: 'an environment cannot come from itself' });
      }
      for (const key of ['promote', 'rollback', 'lock', 'breakGlass'] as const) {
        checkPrincipals(env[key], ['environments', name, key]);
      }
      checkPrincipals(env.approvals?.from, ['environments', name, 'approvals', 'from']);
      env.freeze.forEach((f, i) => {
        if (!isValidTimezone(f.timezone)) {
          ctx.addIssue({ code: 'custom', path: ['environments', name, 'freeze', i, 'timezone'], message: `unknown time zone "${f.timezone}"` });
        }
      });
    }
    for (const [group, members] of Object.entries(cfg.groups)) checkPrincipals(members, ['groups', group]);
    cfg.notify.forEach((rule, i) => {
      rule.to.forEach((t, j) => {
        const [kind, name = ''] = [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)];
        if (kind === 'dingtalk' && !(name in cfg.dingtalk.robots)) ctx.addIssue({ code: 'custom', path: ['notify', i, 'to', j], message: `no dingtalk.robots.${name} is defined` });
        if (kind === 'webhook' && !(name in cfg.webhooks)) ctx.addIssue({ code: 'custom', path: ['notify', i, 'to', j], message: `no webhooks.${name} is defined` });
        if (kind === 'email' && !cfg.email) ctx.addIssue({ code: 'custom', path: ['notify', i, 'to', j], message: 'e-mail targets need email.from (and SMTP_URL in the environment)' });
        if (kind === 'pagerduty' && !Object.hasOwn(cfg.pagerduty.services, name)) ctx.addIssue({ code: 'custom', path: ['notify', i, 'to', j], message: `no pagerduty.services.${name} is defined` });
      });
      const pager = rule.to.find((t) => t.startsWith('pagerduty:'));
      rule.events.forEach((ev, k) => {
        if (pager && !(PAGERDUTY_EVENTS as readonly string[]).includes(ev)) {
          ctx.addIssue({ code: 'custom', path: ['notify', i, 'events', k], message: `${pager} takes only ${PAGERDUTY_EVENTS.join(', ')}, not ${ev}` });
        }
      });
      rule.apps?.forEach((a, j) => {
        if (!(a in cfg.apps)) ctx.addIssue({ code: 'custom', path: ['notify', i, 'apps', j], message: `app "${a}" is not defined` });
      });
      rule.environments?.forEach((e, j) => {
        if (!envs.includes(e)) ctx.addIssue({ code: 'custom', path: ['notify', i, 'environments', j], message: `environment "${e}" is not defined` });
      });
    });
    for (const issue of rolloutIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of verifyIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
    checkPrincipals(cfg.block, ['block']);
    checkPrincipals(cfg.limits.commands.exempt, ['limits', 'commands', 'exempt']);
    for (const [appName, app] of Object.entries(cfg.apps)) {
      for (const [envName, files] of Object.entries(app.deploy)) {
        if (!envs.includes(envName)) {
          ctx.addIssue({ code: 'custom', path: ['apps', appName, 'deploy', envName], message: `environment "${envName}" is not defined` });
        }
        files.forEach((f, i) => {
          f.images?.forEach((img, j) => {
            if (!(img in app.images)) {
              ctx.addIssue({ code: 'custom', path: ['apps', appName, 'deploy', envName, i, 'images', j], message: `image "${img}" is not one of app ${appName}'s images` });
            }
          });
          for (const issue of schemaFragments[f.format].check?.(f, Object.keys(app.images)) ?? []) {
            ctx.addIssue({ code: 'custom', path: ['apps', appName, 'deploy', envName, i, ...issue.path], message: issue.message });
          }
        });
      }
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
