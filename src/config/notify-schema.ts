import { z } from 'zod';
import { SpeechSchema } from '../i18n/config.js';
import { record } from '../domain/record.js';
import { DurationSchema } from './primitives.js';

/** The config's notification part: which events go to which targets, and the targets' settings. */

/** Events that notification rules can name (src/notify/events.ts). */
export const EVENT_TYPES = [
  'deployed',
  'rolled-back',
  'deploy-failed',
  'rolled-out',
  'rollout-failed',
  'verified',
  'verify-failed',
  'approval-requested',
  'approval-approved',
  'approval-denied',
  'approval-expired',
  'locked',
  'unlocked',
  'frozen',
  'unfrozen',
  'blocked',
  'unblocked',
  'release-added',
  'release-built',
  'build-succeeded',
  'build-failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const TargetSchema = z
  .string()
  .regex(/^(slack:(#[a-z0-9._-]{1,80}|[CGD][A-Z0-9]{2,30})|dingtalk:[A-Za-z0-9_-]{1,64}|email:[^\s@]+@[^\s@]+|(webhook|pagerduty):[A-Za-z0-9_-]{1,64})$/, {
    message: 'must be slack:#channel, slack:<channel id>, dingtalk:<robot>, email:<address>, webhook:<name> or pagerduty:<service>',
  })
  .describe('where a notification goes: slack:#deploys or slack:C0123, dingtalk:<robot>, email:<address>, webhook:<name>, pagerduty:<service>');

/**
 * The events a `pagerduty:` target takes: failures open an incident, the next healthy rollout or
 * passed verification resolves it. Other events page no one (a failed deploy commit changed
 * nothing that runs, and its requester is told in chat).
 */
export const PAGERDUTY_EVENTS = ['rollout-failed', 'verify-failed', 'rolled-out', 'verified'] as const satisfies readonly EventType[];

export const NotifyRuleSchema = z
  .object({
    events: z.array(z.enum(EVENT_TYPES)).min(1).describe('the events this rule sends, e.g. [deployed, rolled-back, approval-requested]'),
    apps: z.array(z.string()).optional().describe('only events of these apps (default: all)'),
    environments: z.array(z.string()).optional().describe('only events of these environments (default: all)'),
    to: z
      .array(TargetSchema)
      .min(1)
      .describe('the targets; pagerduty: targets take only rollout-failed, verify-failed, rolled-out and verified'),
  })
  .strict()
  .describe('one notification rule: each delivery is retried with backoff for about an hour and never holds up a deployment');
export type NotifyRule = z.infer<typeof NotifyRuleSchema>;

/** The name of an environment variable holding a secret (the secret itself never sits in YAML). */
const EnvNameSchema = z.string().regex(/^[A-Z][A-Z0-9_]{0,127}$/, { message: 'must be the NAME of an environment variable' });

const DingtalkRobotSchema = z
  .object({
    urlEnv: EnvNameSchema.describe('the environment variable holding the robot\'s webhook URL (with its access_token), e.g. DINGTALK_OPS_URL'),
    secretEnv: EnvNameSchema.optional().describe('the environment variable holding the robot\'s 加签 (signing) secret, e.g. DINGTALK_OPS_SECRET'),
  })
  .strict()
  .describe('a DingTalk custom group robot; its URL and secret come from environment variables, never from this file');

export const DingtalkSchema = z
  .object({
    robots: record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), DingtalkRobotSchema)
      .prefault({})
      .describe('custom group robots for reports by name, the targets of dingtalk:<name>'),
    sessionWebhookHosts: z
      .array(z.string())
      .default(['oapi.dingtalk.com', 'api.dingtalk.com'])
      .describe("hosts a robot callback's sessionWebhook may point at, where replies go (default oapi.dingtalk.com, api.dingtalk.com)"),
  })
  .strict();

export const EmailSchema = z
  .object({
    from: z.string().min(3).describe('the From: address, e.g. "gantry <gantry@acme.example>"; the SMTP server comes from SMTP_URL'),
    approvers: z.boolean().default(true).describe("mail every approval request to the environment's approvers (their users' email; default true)"),
  })
  .strict();

export const WebhookSchema = z
  .object({
    url: z.string().url().optional().describe('where the events are POSTed; redirects are refused (exactly one of url and urlEnv)'),
    urlEnv: EnvNameSchema.optional().describe('or the environment variable holding the URL, when it carries a token'),
    secretEnv: EnvNameSchema.optional().describe(
      'the environment variable holding the HMAC-SHA256 key that signs the body in X-Gantry-Signature-256 ("sha256=<hex>")',
    ),
    timeout: DurationSchema.default('5s').describe('how long one POST may take (default 5s)'),
    // the language (and time zone) of the body's `text`; default: i18n's
    ...SpeechSchema.shape,
  })
  .strict()
  .describe("an outgoing webhook: a JSON event per POST; the body's text is said in its locale (default: i18n's)")
  .refine((w) => (w.url === undefined) !== (w.urlEnv === undefined), 'needs exactly one of url and urlEnv');

/** PagerDuty's Events API v2 in the US service region; `url` names another (EU) or a proxy. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';

export const PagerDutyServiceSchema = z
  .object({
    routingKeyEnv: EnvNameSchema.describe("the environment variable holding the service's Events API v2 integration (routing) key"),
    severity: z.enum(['critical', 'error', 'warning', 'info']).default('critical').describe('the severity of the incidents gantry opens (default critical)'),
    url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => u.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(u), 'must be https (plain http only to 127.0.0.1 or localhost)')
      .optional()
      .describe(
        `the Events API's base URL (…/v2/enqueue is appended; default ${PAGERDUTY_EVENTS_URL}): https://events.eu.pagerduty.com for the EU service region, or a proxy; plain http only to a proxy on this host`,
      ),
  })
  .strict()
  .describe('a PagerDuty service: a failed rollout or verification opens an incident per deploy; the next healthy one resolves it');

export const PagerDutySchema = z
  .object({
    services: record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), PagerDutyServiceSchema)
      .prefault({})
      .describe('PagerDuty services by name, the targets of pagerduty:<name>'),
  })
  .strict();
