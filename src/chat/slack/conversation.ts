import type { webApi } from '@slack/bolt';
import type { CommandContext } from '../../commands/context.js';
import { isPrivateLine } from '../../commands/grammar.js';
import { followedRequest, type Reply } from '../../commands/replies.js';
import type { Voice } from '../../i18n/voice.js';
import type { FaceDeps } from '../face.js';
import type { SlackIdentities } from './identity.js';
import type { SlackMessageStore } from './messages.js';
import { commandMessage, progressMessage, replyMessage, type SlackMessage } from './render.js';

type WebClient = webApi.WebClient;

/** Where an answer goes: a thread of a channel, or the command's response_url when gantry cannot post there. */
export interface Conversation {
  client: WebClient;
  channel: string;
  user: string;
  thread?: string;
  respond?: (m: SlackMessage) => Promise<unknown>;
  /** a slash command's response_url, answering only the person who typed it (ephemeral) */
  respondPrivately?: (m: SlackMessage) => Promise<unknown>;
}

/**
 * Runs commands for Slack and answers in their conversation: the thread root, the reply, the
 * approval cards it posts and updates. The listeners in app.ts only turn events into calls here.
 */
export class SlackConversations {
  constructor(
    private readonly deps: FaceDeps,
    private readonly ids: SlackIdentities,
    private readonly cards: SlackMessageStore,
    /** told when a reply changed an approval (a vote, a denial): overviews such as the Home tab refresh */
    private readonly onApproval: () => void = () => undefined,
  ) {}

  // the person who ran the command reads the answer; an approval card is the channel's (others vote on it)
  reader(c: Conversation): Voice {
    return this.deps.voice({ platform: 'slack', channel: `slack:${c.channel}`, identity: `slack:${c.user}` });
  }

  private channelVoice(channel: string): Voice {
    return this.deps.voice({ platform: 'slack', channel: `slack:${channel}` });
  }

  private post(client: WebClient, channel: string, m: SlackMessage, thread?: string, broadcast = false) {
    return thread
      ? client.chat.postMessage({ channel, text: m.text, blocks: m.blocks, thread_ts: thread, reply_broadcast: broadcast })
      : client.chat.postMessage({ channel, text: m.text, blocks: m.blocks });
  }

  private say(c: Conversation, m: SlackMessage, broadcast = false): Promise<unknown> {
    return c.thread || !c.respond ? this.post(c.client, c.channel, m, c.thread, broadcast) : c.respond(m);
  }

  async run(c: Conversation, line: string): Promise<Reply> {
    const voice = this.reader(c);
    const ctx: CommandContext = {
      actor: await this.ids.actor(c.client, c.user),
      channel: `slack:${c.channel}`,
      origin: { platform: 'slack', channel: c.channel },
      progress: (m) => void this.say(c, progressMessage(m, voice)).catch(() => undefined),
    };
    return this.deps.execute(line, ctx);
  }

  /**
   * The one place that knows what a reply does to approval cards: a request is posted as its card,
   * broadcast to the channel, and remembered; a reply about an approval (a vote, a denial, the
   * deploy it let through) answers in the thread and updates the card in place.
   */
  async deliver(c: Conversation, reply: Reply): Promise<void> {
    if (reply.ok && reply.kind === 'login-link') return this.whisper(c, reply);
    if (reply.ok && reply.kind === 'approval-requested') {
      const card = replyMessage(reply, this.channelVoice(c.channel));
      const sent = (await this.say(c, card, true)) as { ts?: string; channel?: string } | undefined;
      if (sent?.ts && sent.channel) await this.cards.setApproval(reply.approval.id, { channel: sent.channel, ts: sent.ts });
      return;
    }
    await this.say(c, replyMessage(reply, this.reader(c)));
    // the rollout of this deploy is told in this thread (src/chat/slack/notifier.ts followUp)
    const followed = followedRequest(reply);
    if (followed && c.thread) await this.cards.setThread(followed, { channel: c.channel, ts: c.thread });
    const approval = reply.ok && 'approval' in reply ? reply.approval : undefined;
    if (approval) {
      this.onApproval();
      await this.refreshCard(c.client, approval.id);
    }
  }

  private async refreshCard(client: WebClient, id: string): Promise<void> {
    const where = await this.cards.approval(id);
    const view = where && (await this.deps.approval(id));
    if (!where || !view) return;
    const m = replyMessage({ ok: true, kind: 'approval-requested', approval: view }, this.channelVoice(where.channel));
    await client.chat.update({ channel: where.channel, ts: where.ts, text: m.text, blocks: m.blocks });
  }

  /**
   * Only the asker sees it: the slash command's ephemeral response, else an ephemeral message in
   * the channel (a mention). A sign-in link in a channel would sign in whoever clicks first.
   */
  private async whisper(c: Conversation, reply: Reply): Promise<void> {
    const m = replyMessage(reply, this.reader(c));
    if (c.respondPrivately) await c.respondPrivately(m);
    else await c.client.chat.postEphemeral({ channel: c.channel, user: c.user, text: m.text, blocks: m.blocks, ...(c.thread ? { thread_ts: c.thread } : {}) });
  }

  /** A command typed by someone: its thread root, then the answer in that thread (a private one: to the asker alone). */
  async answer(c: Conversation, line: string): Promise<void> {
    if (isPrivateLine(line)) return this.whisper(c, await this.run(c, line));
    try {
      if (!c.thread) c.thread = (await this.post(c.client, c.channel, commandMessage(c.user, line, this.reader(c)))).ts;
    } catch (err) {
      this.deps.log.info({ channel: c.channel, err: String(err) }, 'cannot post in the channel; answering by response_url');
    }
    await this.deliver(c, await this.run(c, line));
  }
}
