import type { types } from '@slack/bolt';
import type { Reply } from '../../commands/replies.js';
import { msg, type Message, type Voice } from '../../i18n/voice.js';
import type { GantryEvent } from '../../notify/events.js';
import type { ApprovalView } from '../../queries/approvals.js';
import { approvalStatus, approvalText } from '../../render/approval-text.js';
import { eventLine, type EventLinks } from '../../render/event-text.js';
import type { Markup } from '../../render/markup.js';
import { replyText } from '../../render/reply-text.js';

type KnownBlock = types.KnownBlock;

/**
 * The Slack face's one renderer: replies, approval cards, events and progress as Block Kit
 * messages, in one reader's voice. The sentences come from src/render/; this file only picks
 * the blocks and Slack's markup.
 */
export interface SlackMessage {
  /** the notification and fallback text: mrkdwn too, so escaped like the blocks */
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

/** Slack mrkdwn, as blocks show it. A `|` would end a link's address early. */
export const MRKDWN: Markup = {
  esc,
  code: (s) => `\`${esc(s)}\``,
  link: (url, text) => (url ? `<${esc(url).replace(/\|/g, '%7C')}|${esc(text)}>` : esc(text)),
  bold: (s) => `*${s}*`,
};

/**
 * Escaped, without formatting: the fallback `text`, and what goes inside a ``` block, where
 * backticks and links would show as typed.
 */
export const TEXT: Markup = {
  esc,
  code: esc,
  link: (_url, text) => esc(text),
  bold: (s) => s,
};

/** An approval card's changed lines sit in a ``` block; the rest of it is mrkdwn. */
const CARD: Markup = { ...MRKDWN, code: esc };

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
const fenced = (lines: string[]) => `\`\`\`${lines.join('\n')}\`\`\``;

/** A command's answer; an approval request is its card. Refusals say why, with the usage line when the command was malformed. */
export function replyMessage(reply: Reply, voice: Voice): SlackMessage {
  if (reply.ok && reply.kind === 'approval-requested') return approvalMessage(reply.approval, voice);
  const text = replyPlain(reply, voice);
  if (!reply.ok) return { text: `:x: ${text}`, blocks: [section(`:x: ${replyText(reply, voice, MRKDWN).lines.join('\n')}`)] };
  const { lines, table } = replyText(reply, voice, MRKDWN);
  return { text, blocks: table ? chunks(text.split('\n')).map((c) => section(fenced(c))) : chunks(lines).map((c) => section(c.join('\n'))) };
}

/** Slack refuses a section over 3,000 characters (a long /history): split between lines. */
function chunks(lines: string[], max = 2900): string[][] {
  const out: string[][] = [[]];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > max && out.at(-1)!.length) {
      out.push([]);
      size = 0;
    }
    out.at(-1)!.push(line);
    size += line.length + 1;
  }
  return out;
}

/** A reply as escaped text without formatting: the fallback, and a private answer to a click. */
export function replyPlain(reply: Reply, voice: Voice): string {
  return replyText(reply, voice, TEXT).lines.join('\n');
}

/** The thread root for a command: who ran what. */
export function commandMessage(userId: string, line: string, voice: Voice): SlackMessage {
  const text = voice.t('chat.ran', { user: `<@${esc(userId)}>`, line: MRKDWN.code(line) });
  return { text, blocks: [context(text)] };
}

/** A progress line while a command runs (queued, pushing, …). */
export function progressMessage(m: Message, voice: Voice): SlackMessage {
  const text = voice.say(m, esc);
  return { text, blocks: [context(text)] };
}

const ICON: Record<ApprovalView['status'], string> = {
  pending: ':hourglass:',
  approved: ':rocket:',
  executed: ':white_check_mark:',
  failed: ':x:',
  denied: ':no_entry:',
  expired: ':alarm_clock:',
};

/** The approval request: everything an approver needs, and the buttons while it is open. */
export function approvalMessage(v: ApprovalView, voice: Voice): SlackMessage {
  const card = approvalText(v, voice, CARD, { time: (iso) => slackDate(iso, voice) });
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: card.title.slice(0, 150) } },
    section(card.fields.map((f) => `${MRKDWN.bold(f.label)} ${f.value}`).join('\n')),
  ];
  if (card.changes.length) blocks.push(section(fenced(card.changes)));
  blocks.push(section(`${ICON[v.status]} ${card.status}`));
  if (v.status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `approval-${v.id}`,
      elements: [
        { type: 'button', action_id: ACTION.approve, text: { type: 'plain_text', text: voice.t('card.approve') }, style: 'primary', value: v.id },
        { type: 'button', action_id: ACTION.deny, text: { type: 'plain_text', text: voice.t('card.deny') }, style: 'danger', value: v.id },
      ],
    });
  }
  return { text: `${esc(card.title)}: ${ICON[v.status]} ${approvalStatus(v, voice, TEXT)}`, blocks };
}

/** Slack shows the time in each viewer's own zone; the fallback is the reader's. */
export function slackDate(iso: string, voice: Voice): string {
  const at = Date.parse(iso);
  const fallback = esc(voice.time(iso));
  return Number.isNaN(at) ? fallback : `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/** A report for a channel: builds, deploys, rollbacks, locks. `promoteTo` adds a button. */
export function eventMessage(e: GantryEvent, voice: Voice, o: { links?: EventLinks; promoteTo?: string } = {}): SlackMessage | undefined {
  const line = eventLine(e, voice, MRKDWN, o.links);
  if (line === undefined) return undefined;
  const blocks: KnownBlock[] = [section(line)];
  if ((e.type === 'deployed' || e.type === 'rolled-back') && e.request.force !== undefined) {
    blocks.push(context(`:warning: ${voice.say(msg('event.override', { reason: e.request.force }), esc)}`));
  }
  if ((e.type === 'release-built' || e.type === 'release-added') && o.promoteTo) {
    const app = e.type === 'release-built' ? e.release.app : e.app;
    const version = e.type === 'release-built' ? e.release.version : e.version;
    const label = voice.t('card.promote-to', { env: o.promoteTo });
    const value = JSON.stringify({ app, version, env: o.promoteTo });
    blocks.push({ type: 'actions', elements: [{ type: 'button', action_id: ACTION.promote, text: { type: 'plain_text', text: label }, value }] });
  }
  return { text: eventLine(e, voice, TEXT, o.links) ?? line, blocks };
}

/** A rollback told in a direct message to someone who approved the release it rolled back from. */
export function youApprovedMessage(e: GantryEvent, version: string, voice: Voice, links: EventLinks = {}): SlackMessage | undefined {
  const line = eventLine(e, voice, MRKDWN, links);
  const plain = eventLine(e, voice, TEXT, links);
  if (line === undefined || plain === undefined) return undefined;
  const say = (text: string) => voice.t('event.you-approved', { text, version: esc(version) });
  return { text: say(plain), blocks: [section(say(line))] };
}

/** `gantry doctor --notify`: a message that says it is a test. */
export function testMessage(voice: Voice): SlackMessage {
  const text = voice.t('event.test');
  return { text, blocks: [section(text)] };
}
