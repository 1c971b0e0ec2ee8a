import { createHmac } from 'node:crypto';
import type { Face, FaceDeps } from '../../src/chat/face.js';
import { slackModule } from '../../src/chat/slack/module.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { faceDepsOf } from '../../src/runtime/services.js';
import type { Gantry } from '../../src/runtime/gantry.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import type { Recorded } from './recorder.js';

export const SIGNING_SECRET = 'test-slack-signing-secret-8f3a';

/** Slack's request signature: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>"). */
export function slackHeaders(body: string, opts: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', opts.secret ?? SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${sig}` };
}

export async function postSlack(url: string, body: string, type: 'form' | 'json', opts: { secret?: string; timestamp?: number } = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': type === 'form' ? 'application/x-www-form-urlencoded' : 'application/json', ...slackHeaders(body, opts) },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/** A slash command body as Slack sends it. */
export function slashBody(p: { command: string; text: string; user: string; userName?: string; channel?: string; responseUrl: string }): string {
  return new URLSearchParams({
    token: 'deprecated',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: p.channel ?? 'C0DEPLOYS',
    channel_name: 'deploys',
    user_id: p.user,
    user_name: p.userName ?? p.user.toLowerCase(),
    command: p.command,
    text: p.text,
    api_app_id: 'A0GANTRY',
    response_url: p.responseUrl,
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  }).toString();
}

/** A button click (block_actions) as Slack sends it. */
export function clickBody(p: { user: string; actionId: string; value: string; channel?: string; messageTs: string; responseUrl: string }): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: p.user, username: p.user.toLowerCase(), name: p.user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0GANTRY',
    token: 'deprecated',
    container: { type: 'message', message_ts: p.messageTs, channel_id: p.channel ?? 'C0DEPLOYS', is_ephemeral: false },
    trigger_id: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
    channel: { id: p.channel ?? 'C0DEPLOYS', name: 'deploys' },
    message: { type: 'message', ts: p.messageTs, text: 'approval', user: 'UBOT' },
    response_url: p.responseUrl,
    actions: [{ type: 'button', action_id: p.actionId, block_id: 'approval', value: p.value, action_ts: String(Date.now() / 1000) }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Answers the Slack Web API calls gantry makes, like Slack would. */
export function slackApi(r: Recorded): { body: unknown } | undefined {
  const method = r.path.replace(/^\/api\//, '');
  let ts = 0;
  switch (method) {
    case 'auth.test':
      return { body: { ok: true, url: 'https://acme.slack.com/', team: 'acme', user: 'gantry', team_id: 'T0001', user_id: 'UBOT', bot_id: 'BBOT' } };
    case 'chat.postMessage':
      ts = Date.now() / 1000 + Math.random();
      return { body: { ok: true, channel: r.body.channel, ts: ts.toFixed(6), message: { text: r.body.text } } };
    case 'chat.update':
      return { body: { ok: true, channel: r.body.channel, ts: r.body.ts } };
    case 'chat.postEphemeral':
      return { body: { ok: true, message_ts: (Date.now() / 1000).toFixed(6) } };
    case 'users.info':
      return { body: { ok: true, user: { id: r.body.user, profile: { email: `${String(r.body.user).toLowerCase()}@acme.example` } } } };
    default:
      return r.path.startsWith('/response/') ? { body: { ok: true } } : undefined;
  }
}

/** What the Slack face gets: the production wiring over a test's gantry (src/runtime/services.ts). */
export function faceDeps(gantry: Gantry, log: Logger): FaceDeps {
  return faceDepsOf(gantry.services, gantry.redis, new Keys(gantry.prefix), log);
}

/** The Slack face of a test's gantry, served over HTTP, with its Web API calls going to `recorder`. */
export interface SlackFace {
  face: Face;
  /** the Events API / interactivity URL */
  events: string;
  settings: { botToken: string; signingSecret: string; apiUrl: string; resolveByEmail: boolean };
  /** a signed slash command from `user`; Slack's response_url points at the recorder */
  slash(user: string, command: string, text: string, opts?: { secret?: string; timestamp?: number }): Promise<{ status: number; text: string }>;
  /** a signed button click from `user` */
  click(user: string, actionId: string, value: string, messageTs?: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/**
 * Serves gantry's Slack face on 127.0.0.1. With `notify`, the gantry's workers are started with
 * the Slack notifier; with `resolveByEmail`, Slack users are matched to config users by e-mail.
 */
export async function startSlackFace(gantry: Gantry, recorder: { url: string }, o: { notify?: boolean; resolveByEmail?: boolean } = {}): Promise<SlackFace> {
  const deps = faceDeps(gantry, silentLogger);
  const settings = { botToken: 'xoxb-test-token', signingSecret: SIGNING_SECRET, apiUrl: `${recorder.url}/api/`, resolveByEmail: o.resolveByEmail ?? false };
  const face = await slackModule.create(deps, settings);
  if (o.notify) gantry.startWorkers(undefined, { notifiers: [slackModule.notifier(deps, settings)!] });
  const server = createHttpServer(face.routes, silentLogger);
  const events = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/slack/events`;
  return {
    face,
    events,
    settings,
    slash: (user, command, text, opts = {}) => postSlack(events, slashBody({ command, text, user, responseUrl: `${recorder.url}/response/${user}` }), 'form', opts),
    click: (user, actionId, value, messageTs = '1.0') =>
      postSlack(events, clickBody({ user, actionId, value, messageTs, responseUrl: `${recorder.url}/response/click` }), 'form'),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
