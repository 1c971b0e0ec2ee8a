import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { AllMiddlewareArgs, BlockButtonAction, SlackCommandMiddlewareArgs, SlackEventMiddlewareArgs, webApi } from '@slack/bolt';
import type { CommandContext } from '../../commands/context.js';
import type { Reply } from '../../commands/replies.js';
import type { ErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../util/logger.js';
import type { Face, FaceDeps } from '../face.js';
import { SlackIdentities } from './identity.js';
import { SlackMessageStore } from './messages.js';
import { ACTION, commandMessage, progressMessage, replyMessage, replyPlain, type SlackMessage } from './render.js';
import type { SlackSettings } from './settings.js';

type WebClient = webApi.WebClient;

/** Where an answer goes: a thread of a channel, or the command's response_url when gantry cannot post there. */
interface Conversation {
  client: WebClient;
  channel: string;
  user: string;
  thread?: string;
  respond?: (m: SlackMessage) => Promise<unknown>;
}

/** Refusals of a click that only the clicker learns about: nothing changed, the channel needs no news. */
const PRIVATE_REFUSALS = new Set<ErrorCode>(['NOT_ALLOWED', 'SELF_APPROVAL', 'APPROVAL_CLOSED', 'APPROVAL_UNKNOWN']);

/**
 * The Slack face: every listener acks first (Slack drops what is not acked within 3 s), then runs
 * the command in the background and answers in a thread of the channel, so the channel reads as
 * a log of who did what. `commands`: the slash commands it answers (`/gantry <anything>` is the umbrella).
 */
export async function createSlack(deps: FaceDeps, o: SlackSettings, commands: readonly string[]): Promise<Face> {
  const log = deps.log;
  const logger = boltLogger(log);
  const clientOptions = o.apiUrl ? { slackApiUrl: o.apiUrl } : {};
  const socket = !o.signingSecret && !!o.appToken;
  const receiver = socket ? undefined : new HTTPReceiver({ signingSecret: o.signingSecret ?? '', endpoints: '/slack/events', logger, processBeforeResponse: false });
  const app = socket
    ? new App({ token: o.botToken, appToken: o.appToken!, socketMode: true, logger, clientOptions, deferInitialization: true })
    : new App({ token: o.botToken, receiver: receiver!, logger, clientOptions, deferInitialization: true });
  await app.init();
  const ids = new SlackIdentities(deps.config, o.resolveByEmail);
  const cards = new SlackMessageStore(deps.redis, deps.keys);
  // the person who ran the command reads the answer; an approval card is the channel's (others vote on it)
  const reader = (c: Conversation) => deps.voice({ platform: 'slack', channel: `slack:${c.channel}`, identity: `slack:${c.user}` });
  const channelVoice = (channel: string) => deps.voice({ platform: 'slack', channel: `slack:${channel}` });
  const post = (client: WebClient, channel: string, m: SlackMessage, thread?: string, broadcast = false) =>
    thread
      ? client.chat.postMessage({ channel, text: m.text, blocks: m.blocks, thread_ts: thread, reply_broadcast: broadcast })
      : client.chat.postMessage({ channel, text: m.text, blocks: m.blocks });
  const say = (c: Conversation, m: SlackMessage, broadcast = false): Promise<unknown> =>
    c.thread || !c.respond ? post(c.client, c.channel, m, c.thread, broadcast) : c.respond(m);

  async function run(c: Conversation, line: string): Promise<Reply> {
    const voice = reader(c);
    const ctx: CommandContext = {
      actor: await ids.actor(c.client, c.user),
      channel: `slack:${c.channel}`,
      origin: { platform: 'slack', channel: c.channel },
      progress: (m) => void say(c, progressMessage(m, voice)).catch(() => undefined),
    };
    return deps.execute(line, ctx);
  }

  /**
   * The one place that knows what a reply does to approval cards: a request is posted as its card,
   * broadcast to the channel, and remembered; a reply about an approval (a vote, a denial, the
   * deploy it let through) answers in the thread and updates the card in place.
   */
  async function deliver(c: Conversation, reply: Reply): Promise<void> {
    if (reply.ok && reply.kind === 'approval-requested') {
      const sent = (await say(c, replyMessage(reply, channelVoice(c.channel)), true)) as { ts?: string; channel?: string } | undefined;
      if (sent?.ts && sent.channel) await cards.setApproval(reply.approval.id, { channel: sent.channel, ts: sent.ts });
      return;
    }
    await say(c, replyMessage(reply, reader(c)));
    const approval = reply.ok && 'approval' in reply ? reply.approval : undefined;
    if (approval) await refreshCard(c.client, approval.id);
  }

  async function refreshCard(client: WebClient, id: string): Promise<void> {
    const where = await cards.approval(id);
    const view = where && (await deps.approval(id));
    if (!where || !view) return;
    const m = replyMessage({ ok: true, kind: 'approval-requested', approval: view }, channelVoice(where.channel));
    await client.chat.update({ channel: where.channel, ts: where.ts, text: m.text, blocks: m.blocks });
  }

  /** A command typed by someone: its thread root, then the answer in that thread. */
  async function answer(c: Conversation, line: string): Promise<void> {
    try {
      if (!c.thread) c.thread = (await post(c.client, c.channel, commandMessage(c.user, line, reader(c)))).ts;
    } catch (err) {
      log.info({ channel: c.channel, err: String(err) }, 'cannot post in the channel; answering by response_url');
    }
    await deliver(c, await run(c, line));
  }

  app.command(new RegExp(`^/(${commands.join('|')})$`), async ({ command, ack, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    await ack();
    const text = command.text.trim();
    const line = command.command === '/gantry' ? (text.startsWith('/') ? text : `/${text}`) : `${command.command} ${text}`;
    const respondWith = (m: SlackMessage) => respond({ response_type: 'in_channel', text: m.text, blocks: m.blocks });
    void answer({ client, channel: command.channel_id, user: command.user_id, respond: respondWith }, line).catch((err: unknown) =>
      log.error({ err: String(err) }, 'slack command failed'),
    );
  });

  app.event('app_mention', async ({ event, client }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs) => {
    if (!event.user) return;
    const text = event.text.replace(/<@[A-Z0-9]+>/g, '').trim();
    const line = text.startsWith('/') ? text : `/${text}`;
    await answer({ client, channel: event.channel, user: event.user, thread: event.thread_ts ?? event.ts }, line).catch((err: unknown) =>
      log.error({ err: String(err) }, 'slack mention failed'),
    );
  });

  for (const [actionId, toLine] of [
    [ACTION.approve, (v: string) => `/approve ${v}`],
    [ACTION.deny, (v: string, c: Conversation) => `/deny ${v} ${reader(c).t('slack.deny-reason')}`],
    [ACTION.promote, (v: string) => {
      const p = JSON.parse(v) as { app: string; version: string; env: string };
      return `/promote ${p.app} ${p.version} ${p.env}`;
    }],
  ] as const) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const channel = body.channel?.id;
      if (!channel) return;
      const c: Conversation = { client, channel, user: body.user.id };
      const thread = body.message?.thread_ts ?? body.message?.ts;
      if (thread) c.thread = thread;
      let line: string;
      try {
        line = toLine(action.value ?? '', c);
      } catch {
        return;
      }
      const reply = await run(c, line);
      if (!reply.ok && PRIVATE_REFUSALS.has(reply.code)) {
        // only the clicker learns why; nothing changed
        await client.chat.postEphemeral({ channel, user: body.user.id, text: replyPlain(reply, reader(c)) });
        return;
      }
      await deliver(c, reply);
    });
  }

  return {
    routes: receiver ? [{ method: 'POST', path: '/slack/events', handler: receiver.requestListener }] : [],
    async start() {
      if (socket) await app.start();
    },
    async stop() {
      if (socket) await app.stop();
    },
  };
}

/** Bolt's logger interface on top of pino. */
function boltLogger(log: Logger) {
  const child = log.child({ face: 'slack' });
  return {
    debug: (...m: unknown[]) => child.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => child.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => child.error(m.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
