import type { webApi } from '@slack/bolt';
import type { Core } from '../../commands/context.js';
import { approvalView, commitUrl } from '../../commands/presentation.js';
import type { Notifier } from '../../notify/delivery.js';
import type { StoredEvent } from '../../notify/events.js';
import type { Approval } from '../../approvals/store.js';
import { approvalMessage, esc, eventMessage } from './blocks.js';
import type { SlackMessageStore } from './messages.js';

type WebClient = webApi.WebClient;

/**
 * Reports in Slack channels (`slack:#deploys`, `slack:C0123`), and the in-place update of an
 * approval request's message wherever it was asked. A Slack API error throws, so the delivery is
 * retried by the notification queue.
 */
export class SlackNotifier implements Notifier {
  readonly platform = 'slack' as const;

  constructor(
    private readonly core: Core,
    private readonly client: WebClient,
    private readonly messages: SlackMessageStore,
  ) {}

  async send(target: string, e: StoredEvent): Promise<void> {
    const commit = e.type === 'deployed' || e.type === 'rolled-back' ? commitUrl(this.core.config, e.result.commit) : undefined;
    const m = eventMessage(e, { ...(commit ? { commitUrl: commit } : {}), ...promoteHint(this.core, e) });
    if (!m) return;
    await this.client.chat.postMessage({ channel: target, text: m.text, blocks: m.blocks });
    if (e.type === 'rolled-back') await this.tellApprovers(e, m.text);
  }

  /** A rollback is news for whoever approved the release it rolled back from. */
  private async tellApprovers(e: Extract<StoredEvent, { type: 'deployed' | 'rolled-back' }>, text: string): Promise<void> {
    const from = e.result.previousVersion;
    if (!from) return;
    const dep = await this.core.history.findDeployment(e.result.app, e.result.env, from);
    for (const a of dep?.approvedBy ?? []) {
      if (a.id.startsWith('slack:')) await this.client.chat.postMessage({ channel: a.id.slice('slack:'.length), text: `${text} (you approved ${esc(from)})` });
    }
  }

  async updateApproval(approval: Approval): Promise<void> {
    const where = await this.messages.approval(approval.id);
    if (!where) return;
    const m = approvalMessage(await approvalView(this.core, approval));
    await this.client.chat.update({ channel: where.channel, ts: where.ts, text: m.text, blocks: m.blocks });
  }

  async test(target: string): Promise<void> {
    await this.client.chat.postMessage({ channel: target, text: 'gantry doctor: test message' });
  }
}

/** A release is ready: offer the first environment it has not been sent to automatically. */
function promoteHint(core: Core, e: StoredEvent): { promoteTo?: string } {
  if (e.type !== 'release-built' && e.type !== 'release-added') return {};
  const app = e.type === 'release-built' ? e.release.app : e.app;
  const auto = e.type === 'release-built' ? e.autoDeploy.filter((a) => a.queued).map((a) => a.env) : [];
  const env = Object.keys(core.config.environments).find((name) => core.config.apps[app]?.deploy[name] && !auto.includes(name));
  return env ? { promoteTo: env } : {};
}
