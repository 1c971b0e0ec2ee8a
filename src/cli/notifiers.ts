import { faceNotifiers } from '../chat/registry.js';
import type { Env } from '../config/env.js';
import type { Notifier } from '../notify/delivery.js';
import { EmailNotifier } from '../notify/email.js';
import { PagerDutyNotifier } from '../notify/pagerduty.js';
import { WebhookNotifier } from '../notify/webhook.js';
import type { Gantry } from '../runtime/gantry.js';
import { faceDepsOf } from '../runtime/services.js';
import { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';

/**
 * Every platform this process can deliver notifications to: each chat face's notifier from the
 * registry (Slack with a bot token; DingTalk robots need only their config), e-mail with
 * SMTP_URL, webhooks and PagerDuty services from the config. `close` releases what they hold
 * (the SMTP pool).
 */
export async function buildNotifiers(gantry: Gantry, env: Env, log: Logger): Promise<{ notifiers: Notifier[]; close(): void }> {
  const { services } = gantry;
  const keys = new Keys(gantry.prefix);
  const deps = faceDepsOf(services, gantry.redis, keys, log);
  const notifiers: Notifier[] = [...(await faceNotifiers(deps, env)), new WebhookNotifier(services.config)];
  // PagerDuty keeps the incidents it opened in Redis, to resolve them after the next healthy rollout
  notifiers.push(new PagerDutyNotifier(services.config, gantry.redis, keys));
  let email: EmailNotifier | undefined;
  if (env.SMTP_URL) {
    email = new EmailNotifier({ config: services.config, releases: services.queries.releases, approval: services.approval, approversOf: services.approversOf }, env.SMTP_URL);
    notifiers.push(email);
  }
  return { notifiers, close: () => email?.close() };
}
