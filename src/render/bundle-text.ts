import type { BodyOf } from '../commands/replies.js';
import { shortSha } from '../domain/sha.js';
import { msg, type Voice } from '../i18n/voice.js';
import type { ApprovalView } from '../queries/approvals.js';
import type { Markup } from './markup.js';

const IND = '  ';
const COMMIT = '\u0000commit\u0000';

/** A bundle's one commit, then each app it moved (what it was), then who approved. */
export function bundleDeployedLines(r: BodyOf<'bundle-deployed'>, v: Voice, m: Markup): string[] {
  const res = r.result;
  const lines: string[] = [];
  if (r.approval) lines.push(v.say(msg('approval.complete', { id: r.approval.id })));
  const commit = m.link(r.commitUrl, shortSha(res.commit));
  lines.push(v.say(msg('bundle.done', { action: res.action, name: res.bundle, env: res.env, commit: COMMIT }), m.esc).replace(COMMIT, commit));
  for (const a of res.apps) {
    const was = a.previousVersion ? msg('deploy.was', { version: a.previousVersion }) : '';
    lines.push(IND + v.say(msg('bundle.app', { app: a.app, version: a.version, was }), m.esc));
  }
  const files = [...new Set(res.apps.flatMap((a) => a.changes.map((c) => c.file)))];
  if (files.length) lines.push(IND + v.say(msg('deploy.changed', { files: { list: files } }), m.esc));
  if (res.replayed) lines.push(IND + v.t('deploy.replayed'));
  if (r.approvedBy?.length) lines.push(IND + v.say(msg('approval.approved-by', { names: { list: r.approvedBy } }), m.esc));
  return lines;
}

/** The head of a bundle's approval request and one line per app, before the changed lines. */
export function bundleRequestedLines(a: ApprovalView & { bundle: NonNullable<ApprovalView['bundle']> }, v: Voice, m: Markup): string[] {
  const head = msg('bundle.requested', {
    id: a.id,
    action: a.action,
    name: a.bundle.name,
    env: a.env,
    required: a.required,
    approvers: { list: a.approvers },
    within: { duration: Date.parse(a.deadline) - Date.parse(a.createdAt) },
  });
  return [v.say(head, m.esc), ...bundleAppLines(a.bundle, v, m).map((l) => IND + l)];
}

function bundleAppLines(b: NonNullable<ApprovalView['bundle']>, v: Voice, m: Markup): string[] {
  return b.apps.map((x) => v.say(msg('bundle.approval-app', { app: x.app, to: x.to, now: x.from ? msg('approval.now', { version: x.from }) : '' }), m.esc));
}

/** An approval card's title and apps field for a bundle (src/render/approval-text.ts). */
export function bundleCard(a: ApprovalView, v: Voice, m: Markup): { title: string; apps: { label: string; value: string } } | undefined {
  if (!a.bundle) return undefined;
  const title = v.say(msg('bundle.card.title', { id: a.id, action: a.action, name: a.bundle.name, env: a.env }));
  return { title, apps: { label: v.t('bundle.card.apps'), value: bundleAppLines(a.bundle, v, m).join('; ') } };
}
