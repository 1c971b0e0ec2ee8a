import type { ApprovalView } from '../commands/presentation.js';
import { eventText } from './describe.js';
import type { StoredEvent } from './events.js';

/** A mail as small pure data: subject, plain text and HTML parts. */
export interface Mail {
  subject: string;
  text: string;
  html: string;
}

function h(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const a = (url: string, text: string) => `<a href="${h(url)}">${h(text)}</a>`;

export function approvalMail(v: ApprovalView, approveHint: string): Mail {
  const verb = v.action === 'rollback' ? 'roll back' : 'promote';
  const subject = `[gantry] approval ${v.id}: ${verb} ${v.app} ${v.from ? `${v.from} → ` : ''}${v.to} in ${v.env}`;
  const changes = v.changes.map((c) => `  ${c.file}:${c.line}  ${c.before} → ${c.after}`);
  const text = [
    `${v.requestedBy} asks to ${verb} ${v.app} ${v.to} in ${v.env}${v.from ? ` (now ${v.from})` : ''}.`,
    '',
    `Approvers: ${v.approvers.join(', ')} (${v.required} needed). Deadline: ${v.deadline}.`,
    v.compareUrl ? `Changes in code: ${v.compareUrl}` : undefined,
    v.checkUrl ? `Build: ${v.checkUrl}` : undefined,
    '',
    'Manifest lines that will change:',
    ...changes,
    '',
    approveHint,
  ].filter((l) => l !== undefined);
  const html = [
    `<p>${h(v.requestedBy)} asks to <b>${h(verb)} ${h(v.app)} ${h(v.to)}</b> in <b>${h(v.env)}</b>${v.from ? ` (now ${h(v.from)})` : ''}.</p>`,
    `<p>Approvers: ${h(v.approvers.join(', '))} (${v.required} needed). Deadline: ${h(v.deadline)}.</p>`,
    v.compareUrl ? `<p>Changes in code: ${a(v.compareUrl, `${v.from} → ${v.to}`)}</p>` : '',
    v.checkUrl ? `<p>Build: ${a(v.checkUrl, 'check run')}</p>` : '',
    `<pre>${h(changes.join('\n'))}</pre>`,
    `<p>${h(approveHint)}</p>`,
  ].join('\n');
  return { subject, text: text.join('\n'), html };
}

export function eventMail(e: StoredEvent, links: { commit?: string; check?: string; compare?: string }): Mail | undefined {
  const line = eventText(e);
  if (!line) return undefined;
  const rows = [
    links.commit ? ['Deploy commit', links.commit] : undefined,
    links.compare ? ['Changes in code', links.compare] : undefined,
    links.check ? ['Check run', links.check] : undefined,
  ].filter((r): r is string[] => r !== undefined);
  return {
    subject: `[gantry] ${line}`,
    text: [line, '', ...rows.map(([k, v]) => `${k}: ${v}`), '', `at ${e.at}`].join('\n'),
    html: [`<p>${h(line)}</p>`, ...rows.map(([k, v]) => `<p>${h(k!)}: ${a(v!, v!)}</p>`), `<p><small>at ${h(e.at)}</small></p>`].join('\n'),
  };
}
