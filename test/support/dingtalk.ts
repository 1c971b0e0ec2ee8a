import { dingtalkSign } from '../../src/chat/dingtalk/sign.js';

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
