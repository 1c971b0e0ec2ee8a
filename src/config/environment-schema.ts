import { z } from 'zod';
import { TimeZoneSchema } from '../i18n/config.js';
import { environmentRolloutFields } from '../rollout/config.js';
import { VerifyListSchema } from '../rollout/verify-config.js';
import { ShiftApprovalsSchema } from '../gitops/bluegreen/schema.js';
import { DurationSchema, NameSchema, PrincipalSchema } from './primitives.js';

/**
 * `environments.<env>` of the central config: a named target in the deploy repo and its policy.
 * The descriptions are what editors show on hover (config/gantry.schema.json).
 */

export const FreezeSchema = z
  .object({
    cron: z.string().min(9).max(100).describe('when each window starts: a 5-field cron, e.g. "0 18 * * 5" (Fridays 18:00)'),
    duration: DurationSchema.describe('how long each window lasts, e.g. 62h (Friday 18:00 to Monday 08:00)'),
    timezone: z.string().default('UTC').describe('IANA time zone the cron is read in, e.g. Asia/Shanghai (default UTC)'),
    reason: z.string().max(200).default('freeze window').describe('shown to whoever is refused, e.g. weekend (default "freeze window")'),
  })
  .strict()
  .describe('a freeze window: promotions wait while it is open, rollbacks pass');
export type Freeze = z.infer<typeof FreezeSchema>;

/** How long an approval request stays open when `approvals.deadline` does not say (src/approvals/rules.ts). */
export const DEFAULT_APPROVAL_DEADLINE = '1h';

const principals = (what: string) => z.array(PrincipalSchema).describe(`${what}: group names, user names, identities or * (anyone)`);

const FromEnvSchema = NameSchema.describe('the environment a release must have been deployed to first, e.g. qa');

const ApprovalsSchema = z
  .object({
    required: z.number().int().min(0).max(10).describe('how many approvers other than the requester a promotion needs (0 to 10)'),
    from: principals('who may approve (default: * — anyone gantry knows)').default(['*']),
    deadline: DurationSchema.default(DEFAULT_APPROVAL_DEADLINE).describe(
      `the request expires by itself after this and the requester is told, e.g. 4h (default ${DEFAULT_APPROVAL_DEADLINE})`,
    ),
    shift: ShiftApprovalsSchema,
  })
  .strict();

export const EnvironmentSchema = z
  .object({
    from: z
      .union([
        FromEnvSchema,
        z
          .object({
            env: FromEnvSchema,
            verified: z.boolean().default(false).describe("…and passed that environment's verify checks there (default false)"),
          })
          .strict(),
      ])
      .optional()
      .describe("promotion order: a release must have been deployed to this environment before it may come here: from: qa, or from: { env: qa, verified: true } when it must also have passed qa's verify checks"),
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("the environment's base URL, e.g. https://qa.acme.example: GitHub Deployments' environment_url, and ${GANTRY_URL} in verify checks"),
    ...environmentRolloutFields,
    onFailure: z
      .enum(['rollback', 'notify'])
      .default('notify')
      .describe(
        'what gantry does when a deploy here fails to roll out, turns degraded within failureWindow of going live, or fails its verify checks: rollback (queue /rollback as gantry, then tell people) or notify (only tell them; default)',
      ),
    failureWindow: DurationSchema.default('30m').describe('how long after going live a degraded rollout still counts as this deploy failing (default 30m)'),
    verify: VerifyListSchema.default([]).describe(
      'checks run once a deploy here is live, in order, stopping at the first failure; from: { env, verified: true } waits for them (default none)',
    ),
    mode: z.enum(['push', 'pull-request']).optional().describe('push the deploy commit, or open a pull request in the deploy repo (default: deployRepo.mode)'),
    approvals: ApprovalsSchema.optional().describe('promotions here wait for approvals (default: none needed)'),
    promote: principals('who may /promote here').default(['*']),
    rollback: principals('who may /rollback here (on-call rolls back without approval unless rollbackApprovals)').default(['*']),
    lock: principals('who may /lock and /unlock (default: whoever may promote or roll back)').optional(),
    shift: principals('who may /shift and /switch traffic of blue-green apps (default: whoever may promote)').optional(),
    breakGlass: principals('who may --force "reason" past a lock or freeze window (default: no one)').default([]),
    rollbackApprovals: z.boolean().default(false).describe('rollbacks need approvals too (default false: on-call acts alone)'),
    freeze: z.array(FreezeSchema).default([]).describe('freeze windows: they stop promotions, never rollbacks (default none)'),
    timeZone: TimeZoneSchema.optional().describe(
      'IANA time zone times about this environment are shown in, for readers without one of their own, e.g. Asia/Shanghai',
    ),
    autoDeploy: z
      .object({
        branches: z.array(z.string()).default([]).describe('pushes to these branches deploy here, e.g. [dev]'),
        tags: z.array(z.string()).default([]).describe('tags matching these patterns deploy here, e.g. ["v*"]'),
      })
      .strict()
      .optional()
      .describe("builds that deploy here by themselves (GitHub App); apps' .github/gantry.yml may add rules"),
    pinDigest: z.boolean().optional().describe('write image references as repo:tag@sha256:… here (default: deployRepo.pinDigest)'),
  })
  .strict()
  .describe('an environment: a set of files in the deploy repo (apps.<app>.deploy.<env>) and its policy');
export type Environment = z.infer<typeof EnvironmentSchema>;

/** The environment a release must have run in before it comes to `env`, and whether it must have passed verification there. */
export function fromOf(env: Pick<Environment, 'from'>): { env: string; verified: boolean } | undefined {
  if (env.from === undefined) return undefined;
  return typeof env.from === 'string' ? { env: env.from, verified: false } : env.from;
}
