import { webApi } from '@slack/bolt';
import { DingtalkNotifier } from '../chat/dingtalk/notifier.js';
import type { SlackMessageStore } from '../chat/slack/messages.js';
import { SlackNotifier } from '../chat/slack/notifier.js';
import type { Core } from '../commands/context.js';
import { slackSettings, type Env } from '../config/env.js';
import type { Notifier } from '../notify/delivery.js';
import { EmailNotifier } from '../notify/email.js';
import { WebhookNotifier } from '../notify/webhook.js';

/**
 * Every platform this process can deliver notifications to, from the env: Slack with a bot
 * token, e-mail with SMTP_URL; DingTalk robots and webhooks need only their config. `close`
 * releases what they hold (the SMTP pool).
 */
export function buildNotifiers(core: Core, env: Env, slack: { messages: SlackMessageStore; client?: webApi.WebClient }): { notifiers: Notifier[]; close(): void } {
  const notifiers: Notifier[] = [new DingtalkNotifier(core), new WebhookNotifier(core.config)];
  const s = slackSettings(env);
  if (s) {
    const client = slack.client ?? new webApi.WebClient(s.botToken, s.apiUrl ? { slackApiUrl: s.apiUrl } : {});
    notifiers.push(new SlackNotifier(core, client, slack.messages));
  }
  let email: EmailNotifier | undefined;
  if (env.SMTP_URL) {
    email = new EmailNotifier(core, env.SMTP_URL);
    notifiers.push(email);
  }
  return { notifiers, close: () => email?.close() };
}
