import type { Reply } from '../../commands/replies.js';
import { msg, type Message, type Voice } from '../../i18n/voice.js';
import type { GantryEvent } from '../../notify/events.js';
import type { ApprovalView } from '../../queries/approvals.js';
import { approvalText } from '../../render/approval-text.js';
import { eventLine } from '../../render/event-text.js';
import { PLAIN, type Markup } from '../../render/markup.js';
import { replyText } from '../../render/reply-text.js';

/**
 * The one DingTalk renderer: every reply, approval card, event and progress message as a robot
 * message (text, markdown, ActionCard), in the reader's voice. The sentences come from
 * src/render/; this file only picks the message shape and DingTalk's markdown.
 */
export type DingtalkMessage =
  | { msgtype: 'text'; text: { content: string }; at?: { atUserIds?: string[] } }
  | { msgtype: 'markdown'; markdown: { title: string; text: string }; at?: { atUserIds?: string[] } }
  | { msgtype: 'actionCard'; actionCard: ActionCard };

interface ActionCard {
  title: string;
  text: string;
  btnOrientation?: '0' | '1';
  btns?: { title: string; actionURL: string }[];
  singleTitle?: string;
  singleURL?: string;
}

/** DingTalk markdown has no escaping; keep user text from opening links, tags or headings. */
function md(s: string): string {
  return s.replace(/[[\]<>]/g, (c) => ESCAPED[c]!).replace(/^#/gm, '＃');
}

const ESCAPED: Record<string, string> = { '[': '［', ']': '］', '<': '‹', '>': '›' };

/** A URL inside `(…)`: a parenthesis or a space would end the link early. */
function href(url: string): string {
  return url.replace(/[()\s]/g, (c) => encodeURIComponent(c));
}

/** DingTalk's markdown: links and bold; it shows no code spans, so code is plain text. */
export const DINGTALK_MARKDOWN: Markup = {
  esc: md,
  code: md,
  link: (url, text) => (url ? `[${md(text)}](${href(url)})` : md(text)),
  bold: (s) => `**${s}**`,
};

/** DingTalk markdown needs a blank line for a line break. */
const paragraphs = (lines: string[]) => lines.join('\n\n');

/**
 * A command's answer, @-mentioning who asked: markdown where it has links and emphasis, plain text
 * for refusals and for tables (status, history…), whose columns markdown would collapse.
 */
export function replyMessage(reply: Reply, voice: Voice, staffId?: string): DingtalkMessage {
  const at = staffId ? { at: { atUserIds: [staffId] } } : {};
  const plain = replyText(reply, voice, PLAIN);
  if (!reply.ok || plain.table) {
    const text = plain.lines.join('\n');
    return { msgtype: 'text', text: { content: reply.ok ? text : `❌ ${text}` }, ...at };
  }
  const title = plain.lines[0] ?? '';
  return { msgtype: 'markdown', markdown: { title, text: paragraphs(replyText(reply, voice, DINGTALK_MARKDOWN).lines) }, ...at };
}

/** "queued behind 2 other deployments to prod", while the command runs. */
export function progressMessage(m: Message, voice: Voice): DingtalkMessage {
  return { msgtype: 'text', text: { content: voice.say(m) } };
}

/** The answer to a message that is not a text command (a picture, a file). */
export function textOnlyMessage(voice: Voice): DingtalkMessage {
  return { msgtype: 'text', text: { content: voice.t('chat.text-only') } };
}

const STATUS_ICON: Record<ApprovalView['status'], string> = {
  pending: '⏳',
  approved: '🚀',
  executed: '✅',
  failed: '❌',
  denied: '⛔',
  expired: '⌛',
};

/** The approval request as an ActionCard: fields, changed lines, where it stands, and how to answer it. */
export function approvalCard(v: ApprovalView, voice: Voice): DingtalkMessage {
  const m = DINGTALK_MARKDOWN;
  const card = approvalText(v, voice, m);
  const lines = [
    `### ${md(card.title)}`,
    ...card.fields.map((f) => `- ${m.bold(md(f.label))} ${f.value}`),
    ...card.changes.map((c) => `> ${c}`),
    `${STATUS_ICON[v.status]} ${card.status}`,
  ];
  if (v.status === 'pending') {
    const approve = m.bold(md(`@gantry /approve ${v.id}`));
    const deny = m.bold(md(`@gantry /deny ${v.id} <${voice.t('chat.reason')}>`));
    lines.push(voice.t('card.pending.how', { approve, deny }));
  }
  const btns = [
    { title: voice.t('card.compare'), actionURL: v.compareUrl },
    { title: voice.t('chat.check-run'), actionURL: v.checkUrl },
    { title: voice.t('card.deploy-commit'), actionURL: v.result?.commitUrl },
  ].filter((b): b is { title: string; actionURL: string } => b.actionURL !== undefined);
  // DingTalk refuses an ActionCard without a button: with no link to offer, a neutral one
  const buttons: Partial<ActionCard> = btns.length ? { btns } : { singleTitle: 'gantry', singleURL: 'https://github.com' };
  return { msgtype: 'actionCard', actionCard: { title: card.title, text: paragraphs(lines), btnOrientation: '1', ...buttons } };
}

/** A report for a group robot; undefined for events no one reads as a line. */
export function eventMessage(e: GantryEvent, voice: Voice, commitUrl?: string): DingtalkMessage | undefined {
  const links = commitUrl ? { commit: commitUrl } : {};
  const title = eventLine(e, voice, PLAIN);
  const text = eventLine(e, voice, DINGTALK_MARKDOWN, links);
  if (title === undefined || text === undefined) return undefined;
  return { msgtype: 'markdown', markdown: { title, text: `#### ${text}` } };
}

/** `gantry doctor --notify`: one line to the robot. */
export function testMessage(voice: Voice): DingtalkMessage {
  return { msgtype: 'text', text: { content: voice.say(msg('event.test')) } };
}
