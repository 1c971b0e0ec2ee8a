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

/** Where a notification goes: `slack:#deploys` or `slack:C0123`, `dingtalk:<robot>`, `email:<address>`, `webhook:<name>`, `pagerduty:<service>`. */
export const TargetSchema = z
  .string()
  .regex(/^(slack:(#[a-z0-9._-]{1,80}|[CGD][A-Z0-9]{2,30})|dingtalk:[A-Za-z0-9_-]{1,64}|email:[^\s@]+@[^\s@]+|(webhook|pagerduty):[A-Za-z0-9_-]{1,64})$/, {
    message: 'must be slack:#channel, slack:<channel id>, dingtalk:<robot>, email:<address>, webhook:<name> or pagerduty:<service>',
  });

/**
 * The events a `pagerduty:` target takes: failures open an incident, the next healthy rollout or
 * passed verification resolves it. Other events page no one (a failed deploy commit changed
 * nothing that runs, and its requester is told in chat).
 */
export const PAGERDUTY_EVENTS = ['rollout-failed', 'verify-failed', 'rolled-out', 'verified'] as const satisfies readonly EventType[];

export const NotifyRuleSchema = z
  .object({
    events: z.array(z.enum(EVENT_TYPES)).min(1),
    /** only these apps / environments (default: all) */
    apps: z.array(z.string()).optional(),
    environments: z.array(z.string()).optional(),
    to: z.array(TargetSchema).min(1),
  })
  .strict();
export type NotifyRule = z.infer<typeof NotifyRuleSchema>;

/** The name of an environment variable holding a secret (the secret itself never sits in YAML). */
const EnvNameSchema = z.string().regex(/^[A-Z][A-Z0-9_]{0,127}$/, { message: 'must be the NAME of an environment variable' });

export const DingtalkSchema = z
  .object({
    /** custom group robots for reports: the webhook URL (with its access_token) and the 加签 secret, from env vars */
    robots: record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), z.object({ urlEnv: EnvNameSchema, secretEnv: EnvNameSchema.optional() }).strict()).prefault({}),
    /** hosts a callback's sessionWebhook may point at (replies go there) */
    sessionWebhookHosts: z.array(z.string()).default(['oapi.dingtalk.com', 'api.dingtalk.com']),
  })
  .strict();

export const EmailSchema = z
  .object({
    /** the From: address; the SMTP server comes from SMTP_URL */
    from: z.string().min(3),
    /** mail approval requests to the approvers of the environment (their users' e-mail) */
    approvers: z.boolean().default(true),
  })
  .strict();

export const WebhookSchema = z
  .object({
    url: z.string().url().optional(),
    /** or the URL from an env var, when it carries a token */
    urlEnv: EnvNameSchema.optional(),
    /** HMAC-SHA256 key for the X-Gantry-Signature-256 header */
    secretEnv: EnvNameSchema.optional(),
    timeout: DurationSchema.default('5s'),
    /** the language (and time zone) of the body's `text`; default: i18n's */
    ...SpeechSchema.shape,
  })
  .strict()
  .refine((w) => (w.url === undefined) !== (w.urlEnv === undefined), 'needs exactly one of url and urlEnv');

/** PagerDuty's Events API v2 in the US service region; `url` names another (EU) or a proxy. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';

export const PagerDutyServiceSchema = z
  .object({
    /** the environment variable holding the service's Events API v2 integration (routing) key */
    routingKeyEnv: EnvNameSchema,
    /** the severity of the incidents gantry opens */
    severity: z.enum(['critical', 'error', 'warning', 'info']).default('critical'),
    /**
     * the Events API's base URL (…/v2/enqueue is appended): https://events.eu.pagerduty.com for the
     * EU service region, or a proxy; plain http only to a proxy on this host
     */
    url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => u.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(u), 'must be https (plain http only to 127.0.0.1 or localhost)')
      .optional(),
  })
  .strict();

export const PagerDutySchema = z
  .object({
    /** PagerDuty services, named by `pagerduty:<name>` targets */
    services: record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), PagerDutyServiceSchema).prefault({}),
  })
  .strict();
