import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { AllMiddlewareArgs, BlockButtonAction, SlackCommandMiddlewareArgs, SlackEventMiddlewareArgs, webApi } from '@slack/bolt';
import type { CommandContext, Core, Reply } from '../../commands/context.js';
import { execute } from '../../commands/execute.js';
import { approvalView, commitUrl } from '../../commands/presentation.js';
import type { Route } from '../../http/server.js';
import type { Logger } from '../../util/logger.js';
import { ACTION, approvalMessage, commandMessage, esc, progressMessage, replyMessage, type SlackMessage } from './blocks.js';
import { SlackIdentities } from './identity.js';
import type { SlackMessageStore } from './messages.js';

type WebClient = webApi.WebClient;

export interface SlackOptions {
  botToken: string;
  /** HTTP mode: requests are verified with it */
  signingSecret?: string;
  /** Socket Mode (no public URL): an app-level token `xapp-…` */
  appToken?: string;
  /** another Web API base URL (tests, proxies) */
  apiUrl?: string;
  /** match Slack users to config users by profile e-mail (needs users:read.email) */
  resolveByEmail?: boolean;
}

export interface SlackFace {
  app: App;
  client: WebClient;
  /** HTTP mode: mount these on gantry's server */
  routes: Route[];
  /** Socket Mode: connect; HTTP mode: nothing to do */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Slash commands gantry answers; `/gantry <anything>` is the umbrella. */
export const SLASH_COMMANDS = ['promote', 'rollback', 'approve', 'deny', 'status', 'history', 'releases', 'diff', 'lock', 'unlock', 'block', 'unblock', 'gantry'];

/**
 * The Slack face: every listener acks first (Slack drops what is not acked within 3 s), then runs
 * the command in the background and answers in a thread of the channel, so the channel reads as
 * a log of who did what.
 */
export async function createSlack(core: Core, messages: SlackMessageStore, o: SlackOptions, log: Logger): Promise<SlackFace> {
  const logger = boltLogger(log);
  const clientOptions = o.apiUrl ? { slackApiUrl: o.apiUrl } : {};
  const socket = !o.signingSecret && !!o.appToken;
  const receiver = socket ? undefined : new HTTPReceiver({ signingSecret: o.signingSecret ?? '', endpoints: '/slack/events', logger, processBeforeResponse: false });
  const app = socket
    ? new App({ token: o.botToken, appToken: o.appToken!, socketMode: true, logger, clientOptions, deferInitialization: true })
    : new App({ token: o.botToken, receiver: receiver!, logger, clientOptions, deferInitialization: true });
  await app.init();
  const ids = new SlackIdentities(core.config, o.resolveByEmail ?? false);
  const post = (client: WebClient, channel: string, m: SlackMessage, thread?: string, broadcast = false) =>
    thread
      ? client.chat.postMessage({ channel, text: m.text, blocks: m.blocks, thread_ts: thread, reply_broadcast: broadcast })
      : client.chat.postMessage({ channel, text: m.text, blocks: m.blocks });

  /** Runs one command line and answers in the thread (or by response_url when gantry cannot post there). */
  async function answer(client: WebClient, line: string, who: { user: string; name?: string; channel: string; thread?: string; respond?: (m: SlackMessage) => Promise<unknown> }) {
    let thread = who.thread;
    try {
      if (!thread) thread = (await post(client, who.channel, commandMessage(who.user, line))).ts;
    } catch (err) {
      log.info({ channel: who.channel, err: String(err) }, 'cannot post in the channel; answering by response_url');
    }
    const say = async (m: SlackMessage, broadcast = false) => {
      if (thread) return post(client, who.channel, m, thread, broadcast);
      return who.respond?.(m);
    };
    const ctx: CommandContext = {
      actor: await ids.actor(client, who.user),
      channel: `slack:${who.channel}`,
      progress: (t) => void say(progressMessage(t)).catch(() => undefined),
      origin: { platform: 'slack', channel: who.channel },
    };
    const reply = await execute(core, line, ctx);
    await deliver(client, reply, say);
  }

  async function deliver(client: WebClient, reply: Reply, say: (m: SlackMessage, broadcast?: boolean) => Promise<unknown>) {
    if (reply.approval && reply.command !== 'approve' && reply.command !== 'deny') {
      const sent = (await say(approvalMessage(await approvalView(core, reply.approval)), true)) as { ts?: string; channel?: string } | undefined;
      if (sent?.ts && sent.channel) await messages.setApproval(reply.approval.id, { channel: sent.channel, ts: sent.ts });
      return;
    }
    await say(replyMessage(reply, reply.result ? commitUrl(core.config, reply.result.commit) : undefined));
    if (reply.approval) await refreshApproval(client, reply.approval.id);
  }

  async function refreshApproval(client: WebClient, id: string) {
    const where = await messages.approval(id);
    const approval = await core.approvals.get(id);
    if (!where || !approval) return;
    const m = approvalMessage(await approvalView(core, approval));
    await client.chat.update({ channel: where.channel, ts: where.ts, text: m.text, blocks: m.blocks });
  }

  app.command(new RegExp(`^/(${SLASH_COMMANDS.join('|')})$`), async ({ command, ack, client, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    await ack();
    const text = command.text.trim();
    const line = command.command === '/gantry' ? (text.startsWith('/') ? text : `/${text}`) : `${command.command} ${text}`;
    void answer(client, line, {
      user: command.user_id,
      name: command.user_name,
      channel: command.channel_id,
      respond: (m) => respond({ response_type: 'in_channel', text: m.text, blocks: m.blocks }),
    }).catch((err: unknown) => log.error({ err: String(err) }, 'slack command failed'));
  });

  app.event('app_mention', async ({ event, client }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs) => {
    if (!event.user) return;
    const text = event.text.replace(/<@[A-Z0-9]+>/g, '').trim();
    const line = text.startsWith('/') ? text : `/${text}`;
    await answer(client, line, { user: event.user, channel: event.channel, thread: event.thread_ts ?? event.ts }).catch((err: unknown) =>
      log.error({ err: String(err) }, 'slack mention failed'),
    );
  });

  for (const [actionId, toLine] of [
    [ACTION.approve, (v: string) => `/approve ${v}`],
    [ACTION.deny, (v: string) => `/deny ${v} denied in Slack`],
    [ACTION.promote, (v: string) => {
      const p = JSON.parse(v) as { app: string; version: string; env: string };
      return `/promote ${p.app} ${p.version} ${p.env}`;
    }],
  ] as const) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const channel = body.channel?.id;
      if (!channel) return;
      const thread = body.message?.thread_ts ?? body.message?.ts;
      const ctx: CommandContext = {
        actor: await ids.actor(client, body.user.id),
        channel: `slack:${channel}`,
        origin: { platform: 'slack', channel },
        progress: (t) => void post(client, channel, progressMessage(t), thread).catch(() => undefined),
      };
      let line: string;
      try {
        line = toLine(action.value ?? '');
      } catch {
        return;
      }
      const reply = await execute(core, line, ctx);
      if (!reply.ok && ['NOT_ALLOWED', 'SELF_APPROVAL', 'APPROVAL_CLOSED', 'APPROVAL_UNKNOWN'].includes(reply.code ?? '')) {
        // only the clicker learns why; nothing changed
        await client.chat.postEphemeral({ channel, user: body.user.id, text: esc(reply.text) });
        return;
      }
      await deliver(client, reply, (m, broadcast) => post(client, channel, m, thread, broadcast ?? false));
    });
  }

  return {
    app,
    client: app.client,
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
