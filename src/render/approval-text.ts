import { shortSha } from '../domain/sha.js';
import { msg, type Voice } from '../i18n/voice.js';
import type { ApprovalView } from '../queries/approvals.js';
import type { Markup } from './markup.js';
import { PLAIN } from './markup.js';
import { bundleCard } from './bundle-text.js';

/**
 * An approval request as every card shows it (Slack blocks, DingTalk ActionCard, e-mail): a
 * title, labelled fields, the manifest lines that change, and where it stands. Composed once;
 * each face lays it out.
 */
export interface ApprovalText {
  /** plain text: Slack's header and e-mail's subject take no markup */
  title: string;
  fields: { label: string; value: string }[];
  /** `file:line  before → after`, one per changed image line */
  changes: string[];
  /** where it stands, without an icon (faces pick their own: `:hourglass:` or ⏳) */
  status: string;
}

/** How a face may show the deadline its own way (Slack's `<!date^…|fallback>`, local to each viewer). */
export interface ApprovalTextOptions {
  time?: (iso: string) => string;
}

export function approvalText(v: ApprovalView, voice: Voice, m: Markup, o: ApprovalTextOptions = {}): ApprovalText {
  const range = v.from ? `${v.from} → ${v.to ?? voice.t('approval.previous-release')}` : (v.to ?? voice.t('approval.previous-release'));
  const title = voice.say(msg('card.title', { id: v.id, action: v.action, app: v.app, range, env: v.env }), PLAIN.esc);
  const fields = [
    { label: voice.t('card.requested-by'), value: m.esc(v.requestedBy) },
    { label: voice.t('card.approvers'), value: voice.say(msg('card.approvers.value', { approvers: { list: v.approvers }, required: v.required }), m.esc) },
    { label: voice.t('card.deadline'), value: o.time ? o.time(v.deadline) : m.esc(voice.time(v.deadline)) },
  ];
  if (v.compareUrl) fields.push({ label: voice.t('card.code-changes'), value: m.link(v.compareUrl, `${v.from ?? ''} → ${v.to ?? ''}`) });
  if (v.checkUrl) fields.push({ label: voice.t('card.build'), value: m.link(v.checkUrl, voice.t('card.check-run')) });
  const bundle = bundleCard(v, voice, m);
  if (bundle) fields.unshift(bundle.apps);
  const changes = v.changes.map((c) => `${m.esc(`${c.file}:${c.line}`)}  ${m.code(c.before)} → ${m.code(c.after)}`);
  return { title: bundle?.title ?? title, fields, changes, status: approvalStatus(v, voice, m) };
}

/** One line: waiting with the votes so far, approved, deployed (with the commit), failed, denied, expired. */
export function approvalStatus(v: ApprovalView, voice: Voice, m: Markup): string {
  const approvedBy = v.votes.length ? msg('card.votes', { names: { list: v.votes } }) : '';
  switch (v.status) {
    case 'pending':
      return voice.say(msg('card.pending', { votes: v.votes.length, required: v.required, approvedBy }), m.esc);
    case 'approved':
      return voice.say(msg('card.approved', { approvedBy }), m.esc);
    case 'executed': {
      const commit = v.result?.commit ? m.link(v.result.commitUrl, shortSha(v.result.commit)) : '?';
      return voice.say(msg('card.executed', { approvedBy, commit: COMMIT }), m.esc).replace(COMMIT, commit);
    }
    case 'failed':
      return voice.say(msg('card.failed', { approvedBy, error: v.result?.error ?? voice.t('card.unknown-error') }), m.esc);
    case 'denied':
      return voice.say(msg('card.denied', { by: v.denied?.by ?? '?', reason: v.denied?.reason ?? '' }), m.esc);
    case 'expired':
      return voice.say(msg('card.expired', { deadline: { time: v.deadline } }), m.esc);
  }
}

/** The commit goes in after escaping: it is a link in most faces. */
const COMMIT = '\u0000commit\u0000';
