import type { webApi } from '@slack/bolt';
import type { Approval } from '../../approvals/store.js';
import { expandIdentities, personOf } from '../../domain/identity.js';
import type { Notifier } from '../../notify/delivery.js';
import type { GantryEvent, StoredEvent } from '../../notify/events.js';
import { deployCommitOf, eventScope, type FollowUp } from '../../notify/router.js';
import { commitUrl } from '../../queries/links.js';
import type { FaceDeps } from '../face.js';
import type { SlackMessageStore } from './messages.js';
import { eventMessage, replyMessage, testMessage, youApprovedMessage, type SlackMessage } from './render.js';
import type { EventLinks } from '../../render/event-text.js';

type WebClient = webApi.WebClient;

/**
 * Reports in Slack channels (`slack:#deploys`, `slack:C0123`), each in its channel's voice, and
 * the in-place update of an approval request's card wherever it was asked. A Slack API error
 * throws, so the delivery is retried by the notification queue.
 */
export class SlackNotifier implements Notifier {
  readonly platform = 'slack' as const;

  constructor(
    private readonly deps: FaceDeps,
    private readonly client: WebClient,
    private readonly cards: SlackMessageStore,
  ) {}

  async send(target: string, e: StoredEvent): Promise<void> {
    const voice = this.deps.voice({ platform: 'slack', channel: `slack:${target}`, ...envOf(e) });
    const m = eventMessage(e, voice, { links: this.links(e), ...promoteHint(this.deps, e) });
    if (!m) return;
    await this.post(target, m);
    // an automatic rollback tells them in followUp, which every such rollback gets
    if (e.type === 'rolled-back' && !e.request.failure) await this.tellApprovers(e);
  }

  /** A rollback is news for whoever approved the release it rolled back from: a direct message, in their voice. */
  private async tellApprovers(e: Extract<GantryEvent, { type: 'deployed' | 'rolled-back' }>): Promise<void> {
    const from = e.result.previousVersion;
    if (!from) return;
    const approvers = await this.deps.approversOf(e.result.app, e.result.env, from);
    for (const id of approvers) {
      if (!id.startsWith('slack:')) continue;
      const m = youApprovedMessage(e, from, this.deps.voice({ platform: 'slack', identity: id, env: e.result.env }), this.links(e));
      if (m) await this.post(id.slice('slack:'.length), m);
    }
  }

  /**
   * How a deploy went, in the thread of the command that started it (or of its approval's card),
   * in the channel's voice; an automatic rollback also tells whoever approved the failed release
   * and whoever asked for it, directly.
   */
  async followUp(where: FollowUp, e: StoredEvent): Promise<void> {
    const place = (where.requestId ? await this.cards.thread(where.requestId) : undefined) ?? (where.approval ? await this.cards.approval(where.approval) : undefined);
    if (place) {
      const voice = this.deps.voice({ platform: 'slack', channel: `slack:${place.channel}`, ...envOf(e) });
      const m = eventMessage(e, voice, { links: this.links(e) });
      if (m) await this.client.chat.postMessage({ channel: place.channel, text: m.text, blocks: m.blocks, thread_ts: place.ts });
    }
    if (e.type === 'rolled-back' && e.request.failure) {
      await this.tellApprovers(e);
      const asker = e.request.failure.requestedBy;
      // by person: the Slack identities of whoever asked for the failed deploy, from wherever they asked
      const ids = asker ? expandIdentities(this.deps.config, [personOf(this.deps.config, asker)]) : [];
      for (const id of ids.filter((i) => i.startsWith('slack:'))) {
        const m = eventMessage(e, this.deps.voice({ platform: 'slack', identity: id, env: e.result.env }), { links: this.links(e) });
        if (m) await this.post(id.slice('slack:'.length), m);
      }
    }
  }

  async updateApproval(approval: Approval): Promise<void> {
    const where = await this.cards.approval(approval.id);
    const view = where && (await this.deps.approval(approval.id));
    if (!where || !view) return;
    const m = replyMessage({ ok: true, kind: 'approval-requested', approval: view }, this.deps.voice({ platform: 'slack', channel: `slack:${where.channel}` }));
    await this.client.chat.update({ channel: where.channel, ts: where.ts, text: m.text, blocks: m.blocks });
  }

  async test(target: string): Promise<void> {
    await this.post(target, testMessage(this.deps.voice({ platform: 'slack', channel: `slack:${target}` })));
  }

  private async post(channel: string, m: SlackMessage): Promise<void> {
    await this.client.chat.postMessage({ channel, text: m.text, blocks: m.blocks });
  }

  private links(e: GantryEvent): EventLinks {
    const commit = deployCommitOf(e);
    const url = commit ? commitUrl(this.deps.config, commit) : undefined;
    return url ? { commit: url } : {};
  }
}

/** The environment an event concerns: its time zone applies when the channel has none. */
function envOf(e: GantryEvent): { env?: string } {
  const { env } = eventScope(e);
  return env ? { env } : {};
}

/** A release is ready: offer the first environment it has not been sent to automatically. */
function promoteHint(deps: FaceDeps, e: GantryEvent): { promoteTo?: string } {
  if (e.type !== 'release-built' && e.type !== 'release-added') return {};
  const app = e.type === 'release-built' ? e.release.app : e.app;
  const auto = e.type === 'release-built' ? e.autoDeploy.filter((a) => a.queued).map((a) => a.env) : [];
  const env = Object.keys(deps.config.environments).find((name) => deps.config.apps[app]?.deploy[name] && !auto.includes(name));
  return env ? { promoteTo: env } : {};
}
