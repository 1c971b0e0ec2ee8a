import type { Reply } from '../../commands/context.js';
import type { ApprovalView } from '../../commands/presentation.js';
import { eventText } from '../../notify/describe.js';
import type { StoredEvent } from '../../notify/events.js';

/** DingTalk robot messages (text, markdown, ActionCard) as small pure functions. */
export type DingtalkMessage =
  | { msgtype: 'text'; text: { content: string }; at?: { atUserIds?: string[] } }
  | { msgtype: 'markdown'; markdown: { title: string; text: string }; at?: { atUserIds?: string[] } }
  | { msgtype: 'actionCard'; actionCard: { title: string; text: string; btnOrientation?: '0' | '1'; btns?: { title: string; actionURL: string }[]; singleTitle?: string; singleURL?: string } };

/** DingTalk markdown has no escaping; keep user text from opening links or headings. */
function md(s: string): string {
  return s.replace(/[[\]<>]/g, (c) => ({ '[': '［', ']': '］', '<': '‹', '>': '›' })[c]!).replace(/^#/gm, '＃');
}

/** A command's answer, @-mentioning who asked. */
export function replyMessage(reply: Reply, staffId: string | undefined, commitUrl?: string): DingtalkMessage {
  const at = staffId ? { at: { atUserIds: [staffId] } } : {};
  if (!reply.ok) return { msgtype: 'text', text: { content: `❌ ${reply.text}` }, ...at };
  if (reply.result && commitUrl) {
    const text = md(reply.text).replace(`commit ${reply.result.commit.slice(0, 7)}`, `commit [${reply.result.commit.slice(0, 7)}](${commitUrl})`);
    return { msgtype: 'markdown', markdown: { title: reply.text.split('\n')[0]!, text: text.replace(/\n/g, '\n\n') }, ...at };
  }
  return { msgtype: 'text', text: { content: reply.text }, ...at };
}

/** The approval request: same context as in Slack, with the command that approves it. */
export function approvalCard(v: ApprovalView): DingtalkMessage {
  const verb = v.action === 'rollback' ? 'roll back' : 'promote';
  const title = `Approval ${v.id}: ${verb} ${v.app} ${v.from ? `${v.from} → ` : ''}${v.to} in ${v.env}`;
  const lines = [
    `### ${md(title)}`,
    `- **Requested by** ${md(v.requestedBy)}`,
    `- **Approvers** ${md(v.approvers.join(', '))} (${v.required} needed)`,
    `- **Deadline** ${v.deadline}`,
    v.compareUrl ? `- **Changes in code** [${md(`${v.from} → ${v.to}`)}](${v.compareUrl})` : undefined,
    v.checkUrl ? `- **Build** [check run](${v.checkUrl})` : undefined,
    '',
    ...v.changes.map((c) => `> ${md(c.file)}:${c.line} ${md(c.before)} → ${md(c.after)}`),
    '',
    statusText(v),
  ].filter((l) => l !== undefined);
  const btns = [
    ...(v.compareUrl ? [{ title: 'Compare', actionURL: v.compareUrl }] : []),
    ...(v.checkUrl ? [{ title: 'Check run', actionURL: v.checkUrl }] : []),
    ...(v.result?.commitUrl ? [{ title: 'Deploy commit', actionURL: v.result.commitUrl }] : []),
  ];
  return { msgtype: 'actionCard', actionCard: { title, text: lines.join('\n\n'), btnOrientation: '1', ...(btns.length ? { btns } : { singleTitle: 'gantry', singleURL: 'https://github.com' }) } };
}

function statusText(v: ApprovalView): string {
  const votes = v.votes.length ? ` (approved by ${md(v.votes.join(', '))})` : '';
  switch (v.status) {
    case 'pending':
      return `⏳ ${v.votes.length} of ${v.required} approvals${votes}. Reply **@gantry /approve ${v.id}** or **@gantry /deny ${v.id} <reason>**`;
    case 'approved':
      return `🚀 approved${votes}; deploying…`;
    case 'executed':
      return `✅ deployed${votes}: commit ${v.result?.commitUrl ? `[${v.result.commit?.slice(0, 7)}](${v.result.commitUrl})` : (v.result?.commit?.slice(0, 7) ?? '')}`;
    case 'failed':
      return `❌ approved${votes}, but the deploy failed: ${md(v.result?.error ?? '')}`;
    case 'denied':
      return `⛔ denied by ${md(v.denied?.by ?? '?')}: ${md(v.denied?.reason ?? '')}`;
    case 'expired':
      return `⌛ expired at ${v.deadline} without enough approvals`;
  }
}

/** Reports for group robots. */
export function eventMessage(e: StoredEvent, commitUrl?: string): DingtalkMessage | undefined {
  const text = eventText(e);
  if (!text) return undefined;
  const linked = commitUrl && (e.type === 'deployed' || e.type === 'rolled-back') ? md(text).replace(/commit ([0-9a-f]{7})$/, `commit [$1](${commitUrl})`) : md(text);
  return { msgtype: 'markdown', markdown: { title: text, text: `#### ${linked}` } };
}
