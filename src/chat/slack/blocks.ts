import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;
import type { Reply } from '../../commands/context.js';
import type { ApprovalView } from '../../commands/presentation.js';
import { eventText } from '../../notify/describe.js';
import type { StoredEvent } from '../../notify/events.js';

/** Block Kit messages as small pure functions: what a test compares and Slack shows. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export const ACTION = {
  approve: 'gantry_approve',
  deny: 'gantry_deny',
  promote: 'gantry_promote',
} as const;

/**
 * Slack mrkdwn escaping of user-visible text (&, <, > are control characters there: `<!channel>`
 * pings everyone). Every `text` of a message is mrkdwn too, the fallback of blocks included.
 */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const link = (url: string | undefined, text: string) => (url ? `<${url}|${esc(text)}>` : esc(text));
const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });

/** The thread root for a command: who ran what. */
export function commandMessage(userId: string, line: string): SlackMessage {
  const text = `<@${userId}> ran \`${esc(line)}\``;
  return { text, blocks: [context(text)] };
}

/** A progress line while a command runs (queued, pushing, …). */
export function progressMessage(line: string): SlackMessage {
  const text = esc(line);
  return { text, blocks: [context(text)] };
}

/** A command's answer. Refusals say why, with the usage line when the command was malformed. */
export function replyMessage(reply: Reply, commitUrl?: string): SlackMessage {
  if (!reply.ok) {
    const text = `:x: ${esc(reply.text)}`;
    return { text, blocks: [section(`:x: ${esc(reply.text).replace(/\nusage: (.*)$/, '\n*usage:* `$1`')}`)] };
  }
  let body = esc(reply.text);
  if (reply.result && commitUrl) body = body.replace(`commit ${reply.result.commit.slice(0, 7)}`, `commit ${link(commitUrl, reply.result.commit.slice(0, 7))}`);
  const multiline = body.includes('\n') && !reply.result;
  return { text: esc(reply.text), blocks: [section(multiline ? `\`\`\`${body}\`\`\`` : body)] };
}

/** The approval request: everything an approver needs, and the buttons while it is open. */
export function approvalMessage(v: ApprovalView): SlackMessage {
  const verb = v.action === 'rollback' ? 'roll back' : 'promote';
  const title = `Approval ${v.id}: ${verb} ${v.app} ${v.from ? `${v.from} → ` : ''}${v.to} in ${v.env}`;
  const changes = v.changes.map((c) => `${c.file}:${c.line}  ${c.before} → ${c.after}`).join('\n');
  const details = [
    `*Requested by* ${esc(v.requestedBy)}`,
    `*Approvers* ${esc(v.approvers.join(', '))} (${v.required} needed)`,
    `*Deadline* <!date^${Math.floor(Date.parse(v.deadline) / 1000)}^{date_short_pretty} {time}|${v.deadline}>`,
    v.compareUrl ? `*Changes in code* ${link(v.compareUrl, `${v.from} → ${v.to}`)}` : undefined,
    v.checkUrl ? `*Build* ${link(v.checkUrl, 'check run')}` : undefined,
  ].filter(Boolean);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    section(details.join('\n')),
  ];
  if (changes) blocks.push(section(`\`\`\`${esc(changes)}\`\`\``));
  blocks.push(section(statusLine(v)));
  if (v.status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `approval-${v.id}`,
      elements: [
        { type: 'button', action_id: ACTION.approve, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: v.id },
        { type: 'button', action_id: ACTION.deny, text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: v.id },
      ],
    });
  }
  return { text: `${esc(title)}: ${statusLine(v).replace(/[*_]/g, '')}`, blocks };
}

function statusLine(v: ApprovalView): string {
  const votes = v.votes.length ? ` (approved by ${esc(v.votes.join(', '))})` : '';
  switch (v.status) {
    case 'pending':
      return `:hourglass: waiting: ${v.votes.length} of ${v.required} approvals${votes}`;
    case 'approved':
      return `:rocket: approved${votes}; deploying…`;
    case 'executed':
      return `:white_check_mark: deployed${votes}: commit ${link(v.result?.commitUrl, v.result?.commit?.slice(0, 7) ?? '?')}`;
    case 'failed':
      return `:x: approved${votes}, but the deploy failed: ${esc(v.result?.error ?? 'unknown error')}`;
    case 'denied':
      return `:no_entry: denied by ${esc(v.denied?.by ?? '?')}: ${esc(v.denied?.reason ?? '')}`;
    case 'expired':
      return `:alarm_clock: expired at ${v.deadline} without enough approvals`;
  }
}

/** Reports for channels: builds, deploys, rollbacks, locks. `promoteTo` adds a button. */
export function eventMessage(e: StoredEvent, opts: { commitUrl?: string; promoteTo?: string } = {}): SlackMessage | undefined {
  const text = eventText(e);
  if (!text) return undefined;
  let body = esc(text);
  if ((e.type === 'deployed' || e.type === 'rolled-back') && opts.commitUrl) body = body.replace(/commit ([0-9a-f]{7})$/, `commit ${link(opts.commitUrl, '$1')}`);
  if (e.type === 'build-succeeded' || e.type === 'build-failed') body = body.replace(esc(e.build.sha.slice(0, 7)), link(e.build.url, e.build.sha.slice(0, 7)));
  const blocks: KnownBlock[] = [section(body)];
  if ((e.type === 'deployed' || e.type === 'rolled-back') && e.request.force !== undefined) blocks.push(context(`:warning: override: ${esc(e.request.force)}`));
  if ((e.type === 'release-built' || e.type === 'release-added') && opts.promoteTo) {
    const app = e.type === 'release-built' ? e.release.app : e.app;
    const version = e.type === 'release-built' ? e.release.version : e.version;
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', action_id: ACTION.promote, text: { type: 'plain_text', text: `Promote to ${opts.promoteTo}` }, value: JSON.stringify({ app, version, env: opts.promoteTo }) },
      ],
    });
  }
  return { text: esc(text), blocks };
}
