import { z } from 'zod';
import { I18nSchema, SpeechSchema } from '../i18n/config.js';
import { record } from '../domain/record.js';
import { schemaFragments } from '../gitops/updaters/schemas.js';
import { AppSchema, WebSchema } from './app-schema.js';
import { BuildLogSchema } from './build-log-schema.js';
import { EnvironmentSchema, fromOf } from './environment-schema.js';
import { DingtalkSchema, EmailSchema, NotifyRuleSchema, PAGERDUTY_EVENTS, PagerDutySchema, WebhookSchema } from './notify-schema.js';
import { DurationSchema, IdentitySchema, NameSchema, PrincipalSchema } from './primitives.js';
import { rolloutIssues } from '../rollout/config.js';
import { verifyIssues } from '../rollout/verify-config.js';
import { blueGreenIssues, deployFileEntries } from '../gitops/bluegreen/target.js';
import { previewIssues } from './preview-schema.js';

/**
 * The schema of gantry's central config (the *.yml files of the config directory; the demo is
 * config/demo/gantry.yml); its parts live in app-schema.ts, environment-schema.ts, notify-schema.ts and the fragments they import. Each key's `.describe()`
 * is its documentation: `npm run schema` writes it into config/gantry.schema.json for editors.
 */

// the parts, re-exported so the rest of gantry imports the config's types from one place
export { AppSchema, DeployFileSchema, FORMATS, FormatSchema, ImageSchema, type App, type DeployFile, type DeployTarget, type BlueGreenDeploy, type Format, type Image } from './app-schema.js';
export { DEFAULT_APPROVAL_DEADLINE, EnvironmentSchema, FreezeSchema, fromOf, type Environment, type Freeze } from './environment-schema.js';

export const UserSchema = z
  .object({
    ids: z.array(IdentitySchema).min(1).describe('every identity this person has, one per platform account, e.g. [shell:alice, slack:U024BE7LH]'),
    name: z.string().max(80).optional().describe('the name replies and commit trailers show (default: the key)'),
    email: z.string().email().optional().describe('where approval requests are mailed when email.approvers is on'),
    ...SpeechSchema.shape,
  })
  .strict()
  .describe('a person: approvals count people, so one person\'s votes from several platforms are one vote');
export type User = z.infer<typeof UserSchema>;

const OwnerNameSchema = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);
const AUTHOR_DEFAULT = { name: 'gantry', email: 'gantry@localhost' };

export const DeployRepoSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .describe(
        'the deploy repo: a path (relative to the working directory), file://, ssh (git@host:org/repo.git) or https URL; for https, GANTRY_DEPLOY_TOKEN is the credential, never this file',
      ),
    branch: z.string().regex(/^[A-Za-z0-9._/-]+$/).default('main').describe('the branch Argo CD or Flux watch (default main)'),
    mode: z
      .enum(['push', 'pull-request'])
      .default('push')
      .describe('push: commit straight to the branch (default); pull-request: push a branch per deployment and open a pull request (needs GANTRY_DEPLOY_TOKEN and a GitHub repo)'),
    pinDigest: z.boolean().default(false).describe('write image references as repo:tag@sha256:… (needs releases with digests; default false)'),
    workdir: z.string().default('.gantry/work').describe("where gantry keeps its warm working clone of the deploy repo (default .gantry/work)"),
    author: z
      .object({
        name: z.string().default(AUTHOR_DEFAULT.name).describe(`commit author name (default ${AUTHOR_DEFAULT.name})`),
        email: z.string().default(AUTHOR_DEFAULT.email).describe(`commit author e-mail (default ${AUTHOR_DEFAULT.email})`),
      })
      .strict()
      .default(AUTHOR_DEFAULT)
      .describe('author of deploy commits; who asked is in the Gantry-Requested-By trailer'),
    pushRetries: z.number().int().min(0).max(50).default(8).describe('when the remote moved under a push: fetch, re-apply and push again at most this often (default 8)'),
    refreshInterval: DurationSchema.default('30s').describe('reads (/status, /history, /diff) fetch first when the clone is older than this (default 30s)'),
    webUrl: z.string().url().optional().describe('web page of the deploy repo, for commit links in chat and mail (derived for https GitHub/GitLab URLs), e.g. https://github.com/acme/deploy'),
    github: OwnerNameSchema.optional().describe('the deploy repo on GitHub (owner/name) when the URL does not say, for pull-request mode, e.g. acme/deploy'),
  })
  .strict()
  .describe('the git repository gantry commits promotions and rollbacks to');
export type DeployRepo = z.infer<typeof DeployRepoSchema>;

const LIMITED_PLATFORMS = ['slack', 'dingtalk', 'github', 'shell', 'email'] as const;
const commandLimitDefaults = () => ({ max: 20, window: '1m', platforms: ['slack', 'dingtalk', 'github'] as (typeof LIMITED_PLATFORMS)[number][], exempt: [] as string[] });

export const LimitsSchema = z
  .object({
    commands: z
      .object({
        max: z.number().int().min(0).max(10_000).default(20).describe('at most this many commands per identity in any window (default 20; 0 turns the limit off)'),
        window: DurationSchema.refine((w) => !/^(0+(ms|s|m|h|d))+$/.test(w), 'must be longer than 0')
          .default('1m')
          .describe('the sliding window, kept in Redis and shared by every gantry process (default 1m)'),
        platforms: z
          .array(z.enum(LIMITED_PLATFORMS))
          .default(() => commandLimitDefaults().platforms)
          .describe('whose identities are limited (default slack, dingtalk, github): shell users are self-declared, so limiting them protects nothing'),
        exempt: z
          .array(PrincipalSchema)
          .default(() => [])
          .describe('principals never limited, e.g. [oncall] so an incident is never slowed'),
      })
      .strict()
      .default(commandLimitDefaults)
      .describe('over the limit, the user is told to slow down and nothing runs'),
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
    keep: z.number().int().min(1).default(200).describe('how many releases per app the catalog keeps (default 200)'),
    versionPattern: RegexText.optional().describe(
      'versions that release add and POST /api/releases accept besides semver (v1.2.3, 1.2.3-rc.1): a regular expression the whole version must match, e.g. [a-z0-9-]+-[0-9a-f]{7} for branch builds',
    ),
  })
  .strict();

const SERVER_DEFAULT = { host: '127.0.0.1', port: 3000 };

export const ConfigSchema = z
  .object({
    deployRepo: DeployRepoSchema,
    environments: record(NameSchema, EnvironmentSchema)
      .refine((v) => Object.keys(v).length > 0, 'needs at least one environment')
      .describe('environments by name, in promotion order (at least one)'),
    apps: record(NameSchema, AppSchema)
      .refine((v) => Object.keys(v).length > 0, 'needs at least one app')
      .describe('apps by name (at least one)'),
    users: record(NameSchema, UserSchema).prefault({}).describe('people by name, with every identity they have on each platform'),
    groups: record(NameSchema, z.array(PrincipalSchema).describe('the members: user names, identities or other groups'))
      .prefault({})
      .describe('groups of people by name, e.g. leads: [alice, dave]'),
    block: z
      .array(PrincipalSchema)
      .default(['*'])
      .describe('who may /block and /unblock releases, and register them with gantry release add from chat (default: * — anyone)'),
    server: z
      .object({
        host: z.string().default(SERVER_DEFAULT.host).describe(`the address the HTTP server binds (default ${SERVER_DEFAULT.host}; GANTRY_HOST overrides it)`),
        port: z.number().int().min(0).max(65535).default(SERVER_DEFAULT.port).describe(`the HTTP server's port (default ${SERVER_DEFAULT.port}; PORT overrides it)`),
      })
      .strict()
      .default(SERVER_DEFAULT)
      .describe('the HTTP server: webhooks, chat callbacks, health, metrics'),
    releases: ReleasesSchema.default({ keep: 200 }).describe('the release catalog'),
    builds: BuildLogSchema.prefault({}).describe('build logs: the pages at /builds/<id> that check runs link to'),
    notify: z.array(NotifyRuleSchema).default([]).describe('who hears of what: each rule maps events × apps × environments to targets (default none)'),
    dingtalk: DingtalkSchema.prefault({}).describe('DingTalk robots for reports, and where callbacks may reply'),
    email: EmailSchema.optional().describe('e-mail notifications and approval requests (the SMTP server is SMTP_URL in the environment)'),
    webhooks: record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), WebhookSchema)
      .prefault({})
      .describe('outgoing webhooks by name, the targets of webhook:<name>: a JSON event per POST, signed when secretEnv is set'),
    pagerduty: PagerDutySchema.prefault({}).describe('PagerDuty services that rollout and verification failures page (Events API v2)'),
    limits: LimitsSchema.default(() => ({ commands: commandLimitDefaults() })).describe('per-user limits on chat commands'),
    web: WebSchema.prefault({}).describe('the web dashboard and its sign-in'),
    i18n: I18nSchema.prefault({}).describe("languages and time zones of replies and notifications: a user's, then the channel's, the environment's, the platform's, then these"),
  })
  .strict()
  .describe("gantry's central configuration: the deploy repo, environments and their policy, apps, people, notifications")
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
    for (const issue of previewIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
    checkPrincipals(cfg.block, ['block']);
    checkPrincipals(cfg.limits.commands.exempt, ['limits', 'commands', 'exempt']);
    for (const [appName, app] of Object.entries(cfg.apps)) {
      for (const [envName, target] of Object.entries(app.deploy)) {
        if (!envs.includes(envName)) {
          ctx.addIssue({ code: 'custom', path: ['apps', appName, 'deploy', envName], message: `environment "${envName}" is not defined` });
        }
        deployFileEntries(target).forEach(({ file: f, path: i }) => {
          f.images?.forEach((img, j) => {
            if (!(img in app.images)) {
              ctx.addIssue({ code: 'custom', path: ['apps', appName, 'deploy', envName, ...i, 'images', j], message: `image "${img}" is not one of app ${appName}'s images` });
            }
          });
          for (const issue of schemaFragments[f.format].check?.(f, Object.keys(app.images)) ?? []) {
            ctx.addIssue({ code: 'custom', path: ['apps', appName, 'deploy', envName, ...i, ...issue.path], message: issue.message });
          }
        });
        for (const issue of blueGreenIssues(target)) ctx.addIssue({ code: 'custom', path: ['apps', appName, 'deploy', envName, ...issue.path], message: issue.message });
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
