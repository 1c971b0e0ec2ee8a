import type { FaceDeps } from '../../src/chat/face.js';
import { dingtalkSign } from '../../src/chat/dingtalk/sign.js';
import { execute } from '../../src/commands/execute.js';
import { displayName } from '../../src/domain/identity.js';
import { voiceFor } from '../../src/i18n/reader.js';
import { approvalView } from '../../src/queries/approvals.js';
import type { Gantry } from '../../src/runtime/gantry.js';
import { Keys } from '../../src/store/redis.js';

export const APP_SECRET = 'test-dingtalk-app-secret-41c9';

let lastTimestamp = 0;

/**
 * A robot callback as DingTalk sends it: headers `timestamp` and `sign`, a JSON body. Each call
 * gets a timestamp of its own (as separate messages from DingTalk have): gantry takes a signature once.
 */
export async function postCallback(url: string, p: { staffId: string; nick: string; text: string; sessionWebhook: string }, opts: { secret?: string; timestamp?: number; sign?: string } = {}): Promise<number> {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  const timestamp = String(opts.timestamp ?? lastTimestamp);
  const body = JSON.stringify({
    conversationId: 'cidDeployGroup==',
    atUsers: [{ dingtalkId: '$:LWCP_v1:$gantrybot' }],
    chatbotCorpId: 'dingcorp',
    chatbotUserId: '$:LWCP_v1:$gantrybot',
    msgId: `msg${Math.random().toString(36).slice(2)}`,
    senderNick: p.nick,
    isAdmin: false,
    senderStaffId: p.staffId,
    sessionWebhookExpiredTime: Date.now() + 2 * 3600_000,
    createAt: Date.now(),
    senderCorpId: 'dingcorp',
    conversationType: '2',
    senderId: `$:LWCP_v1:$${p.staffId}`,
    conversationTitle: 'deploys',
    isInAtList: true,
    sessionWebhook: p.sessionWebhook,
    text: { content: p.text },
    robotCode: 'dinggantry',
    msgtype: 'text',
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', timestamp, sign: opts.sign ?? dingtalkSign(timestamp, opts.secret ?? APP_SECRET) },
    body,
  });
  await res.text();
  return res.status;
}

/**
 * What a face gets, assembled from a test's gantry until the face registry wires it in
 * production (src/chat/registry.ts, src/cli/serve.ts): then the tests take it from there.
 */
export function faceDepsOf(g: Gantry): FaceDeps {
  const { core } = g;
  return {
    config: core.config,
    execute: (line, ctx) => execute(core, line, ctx),
    async approval(id) {
      const a = await core.approvals.get(id);
      return a && approvalView(core, a);
    },
    async approversOf(app, env, version) {
      const d = await core.history.findDeployment(app, env, version);
      return (d?.approvedBy ?? []).map((a) => displayName(core.config, a.id));
    },
    voice: (reader) => voiceFor(core.config, reader),
    redis: g.redis,
    keys: new Keys(g.prefix),
    log: core.log,
  };
}
