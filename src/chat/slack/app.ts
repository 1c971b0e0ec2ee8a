import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type {
  AllMiddlewareArgs,
  BlockButtonAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
} from '@slack/bolt';
import type { ErrorCode } from '../../domain/errors.js';
import type { Voice } from '../../i18n/voice.js';
import type { Logger } from '../../util/logger.js';
import type { Face, FaceDeps } from '../face.js';
import { SlackConversations, type Conversation } from './conversation.js';
import { HOME_DEFAULTS, SlackHome } from './home.js';
import { SlackIdentities } from './identity.js';
import { SlackMessageStore } from './messages.js';
import { ACTION, replyPlain, type SlackMessage } from './render.js';
import type { SlackSettings } from './settings.js';

/** Refusals of a click that only the clicker learns about: nothing changed, the channel needs no news. */
const PRIVATE_REFUSALS = new Set<ErrorCode>(['NOT_ALLOWED', 'SELF_APPROVAL', 'APPROVAL_CLOSED', 'APPROVAL_UNKNOWN']);

/** The buttons on gantry's messages, each as the command line a click runs (it throws on a value it cannot read). */
const BUTTONS: readonly (readonly [string, (value: string, voice: Voice) => string])[] = [
  [ACTION.approve, (v) => `/approve ${v}`],
  [ACTION.deny, (v, voice) => `/deny ${v} ${voice.t('slack.deny-reason')}`],
  [ACTION.promote, (v) => {
    const p = JSON.parse(v) as { app: string; version: string; env: string };
    return `/promote ${p.app} ${p.version} ${p.env}`;
  }],
];

/**
 * The Slack face: every listener acks first (Slack drops what is not acked within 3 s), then runs
 * the command in the background and answers in a thread of the channel, so the channel reads as
 * a log of who did what. `commands`: the slash commands it answers (`/gantry <anything>` is the umbrella).
 */
export async function createSlack(deps: FaceDeps, o: SlackSettings, commands: readonly string[]): Promise<Face> {
  const { app, receiver, socket } = await boltApp(o, boltLogger(deps.log));
  const ids = new SlackIdentities(deps.config, o.resolveByEmail);
  const home = new SlackHome(deps, app.client, ids, { ...HOME_DEFAULTS, ...o.home, ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}) });
  // a vote short of the last one raises no event: the Home tabs hear of it from here
  const talk = new SlackConversations(deps, ids, new SlackMessageStore(deps.redis, deps.keys), () => home.changed());
  app.command(new RegExp(`^/(${commands.join('|')})$`), slashCommand(talk, deps.log));
  app.event('app_mention', mention(talk, deps.log));
  app.event('app_home_opened', homeOpened(home, deps.log));
  for (const [actionId, toLine] of BUTTONS) app.action<BlockButtonAction>(actionId, buttonClick(talk, toLine, home));
  return {
    routes: receiver ? [{ method: 'POST', path: '/slack/events', handler: receiver.requestListener }] : [],
    async start() {
      await home.start();
      if (socket) await app.start();
    },
    async stop() {
      if (socket) await app.stop();
      await home.stop();
    },
  };
}

/** Socket Mode when there is an app token and no signing secret; otherwise HTTP on gantry's own server. */
async function boltApp(o: SlackSettings, logger: ReturnType<typeof boltLogger>) {
  const clientOptions = o.apiUrl ? { slackApiUrl: o.apiUrl } : {};
  const socket = !o.signingSecret && !!o.appToken;
  const receiver = socket
    ? undefined
    : new HTTPReceiver({
        signingSecret: o.signingSecret ?? '',
        endpoints: '/slack/events',
        logger,
        processBeforeResponse: false,
      });
  const common = { token: o.botToken, logger, clientOptions, deferInitialization: true };
  const app = socket
    ? new App({ ...common, appToken: o.appToken!, socketMode: true })
    : new App({ ...common, receiver: receiver! });
  await app.init();
  return { app, receiver, socket };
}

/** `/promote v1.2 prod`, or `/gantry promote v1.2 prod` (the umbrella takes the command as its text). */
function slashCommand(talk: SlackConversations, log: Logger) {
  type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
  return async ({ command, ack, client, respond }: Args): Promise<void> => {
    await ack();
    const text = command.text.trim();
    const line = command.command === '/gantry' ? (text.startsWith('/') ? text : `/${text}`) : `${command.command} ${text}`;
    const respondWith = (m: SlackMessage) => respond({ response_type: 'in_channel', text: m.text, blocks: m.blocks });
    const respondPrivately = (m: SlackMessage) => respond({ response_type: 'ephemeral', text: m.text, blocks: m.blocks });
    const c: Conversation = { client, channel: command.channel_id, user: command.user_id, respond: respondWith, respondPrivately };
    void talk.answer(c, line).catch((err: unknown) => log.error({ err: String(err) }, 'slack command failed'));
  };
}

/** `@gantry promote v1.2 prod`, answered in the mention's thread. */
function mention(talk: SlackConversations, log: Logger) {
  return async ({ event, client }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs): Promise<void> => {
    if (!event.user) return;
    const text = event.text.replace(/<@[A-Z0-9]+>/g, '').trim();
    const line = text.startsWith('/') ? text : `/${text}`;
    const c: Conversation = { client, channel: event.channel, user: event.user, thread: event.thread_ts ?? event.ts };
    await talk.answer(c, line).catch((err: unknown) => log.error({ err: String(err) }, 'slack mention failed'));
  };
}

/** The Home tab was opened (Slack sends the Messages tab too): publish it, remember who looks. */
function homeOpened(home: SlackHome, log: Logger) {
  return async ({ event }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    await home.opened(event.user).catch((err: unknown) => log.warn({ user: event.user, err: String(err) }, 'slack home publish failed'));
  };
}

/**
 * A button on a card: the command it stands for, answered in the card's thread. A click on the
 * Home tab has no channel: it is answered in a direct message, and the clicker's tab is published
 * again at once (the request gone, or still there with the refusal told).
 */
function buttonClick(talk: SlackConversations, toLine: (value: string, voice: Voice) => string, home: SlackHome) {
  type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const fromHome = body.view?.type === 'home';
    const channel = body.channel?.id ?? (fromHome ? body.user.id : undefined);
    if (!channel) return;
    const c: Conversation = { client, channel, user: body.user.id };
    const thread = body.message?.thread_ts ?? body.message?.ts;
    if (thread) c.thread = thread;
    let line: string;
    try {
      line = toLine(action.value ?? '', talk.reader(c));
    } catch {
      return;
    }
    const reply = await talk.run(c, line);
    if (fromHome) {
      // a direct message is already private; the tab shows the outcome
      await talk.deliver(c, reply);
      await home.show(body.user.id);
      return;
    }
    if (!reply.ok && PRIVATE_REFUSALS.has(reply.code)) {
      // only the clicker learns why; nothing changed
      await client.chat.postEphemeral({ channel, user: body.user.id, text: replyPlain(reply, talk.reader(c)) });
      return;
    }
    await talk.deliver(c, reply);
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
