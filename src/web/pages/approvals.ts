import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from '../../commands/replies.js';
import type { ApprovalView } from '../../queries/approvals.js';
import { pendingApprovals } from '../../queries/approvals.js';
import { approvalText } from '../../render/approval-text.js';
import { replyText } from '../../render/reply-text.js';
import { readForm } from '../auth/form.js';
import type { WebDeps } from '../deps.js';
import { html, trusted, type Html } from '../html.js';
import type { Viewer, WebAccess } from '../viewer.js';
import { notFound, say, segmentsAfter, sendPage, WEB_MARKUP } from './common.js';

/** Approval ids as the store makes them (and as /approve takes them). */
const APPROVAL_ID = /^\d{1,12}$/;
/** A deny reason is one line in a commit trailer and in chat: no control characters, bounded. */
const REASON_MAX = 300;

/** `GET /approvals`: every open request with what chat shows, and the same two answers. */
export async function approvalsPage(deps: WebDeps, access: WebAccess, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const viewer = await access.reader(req, res);
  if (!viewer) return;
  await sendApprovals(deps, viewer, res);
}

async function sendApprovals(deps: WebDeps, viewer: Viewer, res: ServerResponse, result?: { reply: Reply }): Promise<void> {
  const pending = await pendingApprovals(deps.services.queries);
  const v = viewer.voice;
  const body = html`${result ? outcome(viewer, result.reply) : ''}
${pending.length === 0 ? html`<p>${v.t('web.approvals.none')}</p>` : pending.map((a) => card(viewer, a))}`;
  // a refused vote answers 409: the page still shows the requests as they are (nothing changed)
  sendPage(res, viewer, { status: result && !result.reply.ok ? 409 : 200, title: v.t('web.approvals.title'), section: 'approvals', body });
}

function outcome(viewer: Viewer, reply: Reply): Html {
  // detail lines start with two spaces (as the shell prints them): here they are indented by style
  const lines = replyText(reply, viewer.voice, WEB_MARKUP).lines.map((l) => ({ detail: l.startsWith('  '), text: trusted(l.trim()) }));
  const kind = reply.ok ? 'ok' : 'error';
  return html`<div class="notice notice-${kind}" role="${reply.ok ? 'status' : 'alert'}">
<p class="notice-head">${viewer.voice.t(reply.ok ? 'web.approvals.done' : 'web.approvals.refused')}</p>
${lines.map((l) => html`<p${l.detail ? html` class="detail"` : ''}>${l.text}</p>`)}
</div>`;
}

function card(viewer: Viewer, a: ApprovalView): Html {
  const v = viewer.voice;
  const t = approvalText(a, v, WEB_MARKUP);
  return html`<section class="card" id="approval-${a.id}" aria-labelledby="approval-${a.id}-title">
<h2 id="approval-${a.id}-title">${t.title}</h2>
<dl class="fields">${t.fields.map((f) => html`<dt>${f.label}</dt><dd>${trusted(f.value)}</dd>`)}</dl>
${t.changes.length ? html`<h3>${v.t('web.approvals.changes')}</h3><ul class="changes">${t.changes.map((c) => html`<li>${trusted(c)}</li>`)}</ul>` : ''}
<p class="status">${trusted(t.status)}</p>
${viewer.actor && viewer.csrf ? answerForms(viewer, a.id, viewer.csrf) : html`<p><a href="/login">${v.t('web.approvals.sign-in-to-vote')}</a></p>`}
</section>`;
}

function answerForms(viewer: Viewer, id: string, csrf: string): Html {
  const v = viewer.voice;
  return html`<div class="answers">
<form method="post" action="/approvals/${id}/approve"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="primary">${say(viewer, 'web.approvals.approve', { id })}</button></form>
<form method="post" action="/approvals/${id}/deny" class="deny">
<input type="hidden" name="csrf" value="${csrf}">
<label for="reason-${id}">${v.t('web.approvals.reason')}</label>
<input id="reason-${id}" name="reason" type="text" maxlength="${REASON_MAX}" autocomplete="off">
<button type="submit" class="danger">${say(viewer, 'web.approvals.deny', { id })}</button>
</form>
</div>`;
}

/**
 * `POST /approvals/<id>/approve|deny`: the signed-in person's answer, run as the chat command
 * (`/approve <id>`, `/deny <id> <reason>`) so the chat policy applies unchanged: one person one
 * vote, no self-approval, deadlines. A refusal is shown and changes nothing.
 */
export async function answerApproval(deps: WebDeps, access: WebAccess, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [id, answer, ...rest] = segmentsAfter(req, '/approvals/') ?? [];
  if (id === undefined || !APPROVAL_ID.test(id) || (answer !== 'approve' && answer !== 'deny') || rest.length > 0) {
    const viewer = await access.reader(req, res);
    if (viewer) notFound(res, viewer, 'web.not-found.approval', id ?? '');
    return;
  }
  const form = await readForm(req, res);
  if (!form) return;
  const viewer = await access.actor(req, res, form);
  if (!viewer) return;
  if (!(await deps.services.approval(id))) {
    notFound(res, viewer, 'web.not-found.approval', id);
    return;
  }
  const reason = cleanReason(form.get('reason'));
  // one quoted word whatever it holds: an apostrophe ("don't") would otherwise open a quote the
  // command parser refuses; double quotes inside become single ones, which end nothing there
  const line = answer === 'approve' ? `/approve ${id}` : reason ? `/deny ${id} "${reason.replace(/["\u201c\u201d]/g, "'")}"` : `/deny ${id}`;
  deps.log.info({ approval: id, answer, actor: viewer.actor.id }, 'approval answered on the web');
  const reply = await deps.services.execute(line, { actor: viewer.actor });
  await sendApprovals(deps, viewer, res, { reply });
}

/** One line of text: control characters and runs of space collapse, and it is cut at REASON_MAX. */
function cleanReason(raw: string | null): string {
  return (raw ?? '').replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ').trim().slice(0, REASON_MAX);
}
