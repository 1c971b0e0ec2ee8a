import { msg, type Voice } from '../i18n/voice.js';
import type { ApprovalView } from '../queries/approvals.js';
import { approvalText } from '../render/approval-text.js';
import { eventLine } from '../render/event-text.js';
import { PLAIN, type Markup } from '../render/markup.js';
import type { StoredEvent } from './events.js';

/** A mail as small pure data: subject, plain text and HTML parts. */
export interface Mail {
  subject: string;
  text: string;
  html: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Only web links become anchors: a `javascript:` URL in a release record must not become a click. */
const WEB_URL = /^https?:\/\//i;

/** E-mail's HTML part. `bold` takes markup already escaped, as every face's does. */
export const HTML: Markup = {
  esc,
  code: (s) => `<code>${esc(s)}</code>`,
  link: (url, text) => (url && WEB_URL.test(url) ? `<a href="${esc(url)}">${esc(text)}</a>` : esc(text)),
  bold: (s) => `<b>${s}</b>`,
};

/** The text part is plain, but keeps its links: a reader without HTML has no other way to them. */
const TEXT: Markup = { ...PLAIN, link: (url, text) => (url ? `${text} <${url}>` : text) };

/** A subject is one header line: text people typed (a lock reason) may hold line breaks. */
function subject(voice: Voice, text: string): string {
  return voice.t('mail.subject', { subject: text.replace(/\s+/g, ' ') });
}

/** `Label: value` with the reader's colon; both are in the part's markup already. */
function row(voice: Voice, label: string, value: string): string {
  return voice.t('mail.row', { label, value });
}

/** An approval request: the card every face shows (src/render/approval-text.ts) and how to answer it. */
export function approvalMail(v: ApprovalView, voice: Voice): Mail {
  const text = approvalText(v, voice, TEXT);
  const html = approvalText(v, voice, HTML);
  const hint = voice.t('mail.hint', { id: v.id });
  const lines = voice.t('mail.lines');
  return {
    subject: subject(voice, text.title),
    text: [
      text.title,
      '',
      ...text.fields.map((f) => row(voice, f.label, f.value)),
      '',
      lines,
      ...text.changes.map((c) => `  ${c}`),
      '',
      text.status,
      hint,
    ].join('\n'),
    html: [
      `<p><b>${esc(html.title)}</b></p>`,
      '<table>',
      ...html.fields.map((f) => `<tr><th align="left">${esc(f.label)}</th><td>${f.value}</td></tr>`),
      '</table>',
      `<p>${esc(lines)}</p>`,
      `<pre>${html.changes.join('\n')}</pre>`,
      `<p>${html.status}</p>`,
      `<p>${esc(hint)}</p>`,
    ].join('\n'),
  };
}

/** Pages an event mail links to, each on a labelled row (`mail.links.<kind>`). */
export interface MailLinks {
  commit?: string;
  compare?: string;
  check?: string;
}

const LINK_KINDS = ['commit', 'compare', 'check'] as const;

/** Any other event: its one line (src/render/event-text.ts), the links, and when it happened. */
export function eventMail(e: StoredEvent, voice: Voice, links: MailLinks): Mail | undefined {
  const line = eventLine(e, voice, PLAIN, links);
  if (line === undefined) return undefined;
  const rows = LINK_KINDS.flatMap((kind) => {
    const url = links[kind];
    return url ? [{ label: voice.t(`mail.links.${kind}`), url }] : [];
  });
  const at = voice.say(msg('mail.at', { at: { time: e.at } }));
  return {
    subject: subject(voice, line),
    text: [line, '', ...rows.map((r) => row(voice, r.label, r.url)), '', at].join('\n'),
    html: [
      `<p>${eventLine(e, voice, HTML, links)}</p>`,
      ...rows.map((r) => `<p>${row(voice, esc(r.label), HTML.link(r.url, r.url))}</p>`),
      `<p><small>${esc(at)}</small></p>`,
    ].join('\n'),
  };
}
