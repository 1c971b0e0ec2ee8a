import { isPrivateLine } from '../../commands/grammar.js';
import { followedRequest } from '../../commands/replies.js';
import { msg as msgOf } from '../../i18n/voice.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { CommandContext } from '../../commands/context.js';
import { actorFor } from '../../domain/identity.js';
import { readLimited, refuseBody } from '../../http/auth.js';
import { sendJson, type Route } from '../../http/server.js';
import type { FaceDeps } from '../face.js';
import type { DingtalkSessions } from './sessions.js';
import { approvalCard, progressMessage, replyMessage, textOnlyMessage, type DingtalkMessage } from './render.js';
import type { SignatureReplayGuard } from './replay.js';
import { verifyCallback } from './sign.js';

export const CALLBACK_PATH = '/dingtalk/callback';
/** DingTalk's conversationType of a one-to-one chat with the robot ('2' is a group). */
const ONE_TO_ONE = '1';
/** A robot message is a few kB of JSON. */
export const CALLBACK_BODY_LIMIT = 64 * 1024;

/** The robot callback body as DingTalk sends it (fields gantry uses). */
export const RobotMessageSchema = z.object({
  msgtype: z.string(),
  text: z.object({ content: z.string().max(4000) }).optional(),
  senderStaffId: z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/).optional(),
  senderId: z.string().optional(),
  senderNick: z.string().max(200).optional(),
  conversationId: z.string().max(200),
  conversationType: z.string().optional(),
  sessionWebhook: z.string().url(),
  sessionWebhookExpiredTime: z.number().optional(),
});
export type RobotMessage = z.infer<typeof RobotMessageSchema>;

/**
 * The DingTalk face. A message to the robot (`@gantry /promote v1.2 prod`) arrives through the
 * enterprise-robot HTTP callback (signed: `timestamp` and `sign` headers) or through Stream mode;
 * either way it becomes a command of the sender's staff id (`dingtalk:<staffId>`) and the answer
 * goes back to the conversation through the callback's session webhook, in the sender's language
 * (DingTalk's default: Chinese, China time).
 */
export class DingtalkFace {
  constructor(
    private readonly deps: FaceDeps,
    private readonly appSecret: string,
    private readonly replays: SignatureReplayGuard,
    private readonly sessions: DingtalkSessions,
    private readonly now: () => number = Date.now,
  ) {}

  routes(): Route[] {
    return [{ method: 'POST', path: CALLBACK_PATH, handler: (req, res) => this.callback(req, res) }];
  }

  private async callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (refuseBody(req, res, CALLBACK_BODY_LIMIT, { chunked: true })) return;
    const raw = await readLimited(req, res, CALLBACK_BODY_LIMIT);
    if (raw === undefined) return;
    const why = verifyCallback(header(req, 'timestamp'), header(req, 'sign'), this.appSecret, this.now());
    if (why) {
      this.deps.log.warn({ why }, 'dingtalk callback refused');
      return sendJson(res, 401, { error: why });
    }
    let first: boolean;
    try {
      first = await this.replays.firstUse(header(req, 'timestamp')!, header(req, 'sign')!);
    } catch (err) {
      this.deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'dingtalk callback: cannot check for a replay (Redis)');
      return sendJson(res, 503, { error: 'try again' });
    }
    if (!first) {
      this.deps.log.warn('dingtalk callback refused: its signature was used before (a replay)');
      return sendJson(res, 401, { error: 'signature already used' });
    }
    let msg: RobotMessage;
    try {
      msg = RobotMessageSchema.parse(JSON.parse(raw.toString('utf8')));
    } catch {
      return sendJson(res, 400, { error: 'not a robot message' });
    }
    // answer DingTalk at once; the reply goes to the session webhook when the command is done
    sendJson(res, 200, {});
    void this.handle(msg).catch((err: unknown) => this.deps.log.error({ err: String(err) }, 'dingtalk command failed'));
  }

  /** Runs one robot message (from the callback or Stream mode) and replies in its conversation. */
  async handle(msg: RobotMessage): Promise<void> {
    const staffId = msg.senderStaffId ?? msg.senderId;
    const channel = `dingtalk:${msg.conversationId}`;
    const voice = this.deps.voice({ platform: 'dingtalk', channel, ...(staffId ? { identity: `dingtalk:${staffId}` } : {}) });
    // checked before anything is sent there: the body names the URL gantry POSTs to
    if (!this.sessionAllowed(msg.sessionWebhook)) {
      this.deps.log.warn({ host: new URL(msg.sessionWebhook).host }, 'dingtalk sessionWebhook host not allowed; not replying');
      return;
    }
    if (!staffId || msg.msgtype !== 'text' || !msg.text) {
      await this.reply(msg, textOnlyMessage(voice));
      return;
    }
    // "@gantry /promote v1.2 prod": DingTalk leaves the robot's name out of content, some clients don't
    const content = msg.text.content.replace(/@\S+\s*/g, ' ').trim();
    const line = content.startsWith('/') ? content : `/${content}`;
    // a sign-in link in a group would sign in whoever opens it first: only a one-to-one chat (type 1) gets it
    if (isPrivateLine(line) && msg.conversationType !== ONE_TO_ONE) {
      await this.reply(msg, replyMessage({ ok: false, kind: 'refused', code: 'NOT_ALLOWED', message: msgOf('signin.error.dingtalk-group') }, voice, staffId));
      return;
    }
    const ctx: CommandContext = {
      actor: actorFor(this.deps.config, `dingtalk:${staffId}`),
      channel,
      progress: (m) => void this.reply(msg, progressMessage(m, voice)).catch(() => undefined),
      origin: {
        platform: 'dingtalk',
        conversation: msg.conversationId,
        sessionWebhook: msg.sessionWebhook,
        sessionWebhookExpires: String(msg.sessionWebhookExpiredTime ?? 0),
      },
    };
    const reply = await this.deps.execute(line, ctx);
    await this.reply(msg, reply.ok && reply.kind === 'approval-requested' ? approvalCard(reply.approval, voice) : replyMessage(reply, voice, staffId));
    // how the deploy rolls out is told in this conversation (notifier.ts followUp), while its webhook lives
    const followed = followedRequest(reply);
    const asked = followed !== undefined ? { requestId: followed } : reply.ok && reply.kind === 'approval-requested' ? { approval: reply.approval.id } : undefined;
    if (asked) {
      const session = { sessionWebhook: msg.sessionWebhook, expires: msg.sessionWebhookExpiredTime ?? 0, conversation: msg.conversationId };
      await this.sessions.set(asked, session);
    }
  }

  private sessionAllowed(url: string): boolean {
    const u = new URL(url);
    return this.deps.config.dingtalk.sessionWebhookHosts.includes(u.host) && (u.protocol === 'https:' || u.hostname === '127.0.0.1');
  }

  private async reply(msg: RobotMessage, body: DingtalkMessage): Promise<void> {
    await postDingtalk(msg.sessionWebhook, body);
  }
}

/** POSTs a robot message; DingTalk answers 200 with errcode 0 when it took it. */
export async function postDingtalk(url: string, body: DingtalkMessage): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
    redirect: 'error',
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`dingtalk answered HTTP ${res.status}`);
  const parsed = safeJson(text) as { errcode?: number; errmsg?: string } | undefined;
  if (parsed?.errcode) throw new Error(`dingtalk refused the message: ${parsed.errcode} ${parsed.errmsg ?? ''}`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}
