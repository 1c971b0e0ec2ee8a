import type { IncomingMessage, ServerResponse } from 'node:http';
import { shortSha } from '../../domain/sha.js';
import type { MessageKey } from '../../i18n/messages-en.js';
import type { Params } from '../../i18n/voice.js';
import type { Markup } from '../../render/markup.js';
import { escapeHtml, html, trusted, type Html } from '../html.js';
import { layout, type Section } from '../layout.js';
import { sendHtml } from '../respond.js';
import type { Viewer } from '../viewer.js';

/** Only web links become anchors: a `javascript:` URL in a release record or config must not become a click. */
const WEB_URL = /^https?:\/\//i;

/** Replies and events composed by src/render/ as HTML for the pages (text escaped, links only to the web). */
export const WEB_MARKUP: Markup = {
  esc: escapeHtml,
  code: (s) => `<code>${escapeHtml(s)}</code>`,
  link: (url, text) => (url && WEB_URL.test(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text)),
  bold: (s) => `<strong>${s}</strong>`,
};

/** A link when `url` is a web address, the text alone otherwise. */
export function webLink(url: string | undefined, text: Html | string): Html {
  return url && WEB_URL.test(url) ? html`<a href="${url}">${text}</a>` : html`${text}`;
}

/** A commit of the deploy repo: its short id, linked when the repo has a web page. */
export function commitLink(sha: string, url: string | undefined): Html {
  return webLink(url, html`<code>${shortSha(sha)}</code>`);
}

/** A catalog sentence whose parameters (outside data) are escaped first, so only the catalog's text is markup. */
export function say(viewer: Viewer, key: MessageKey, params: Params = {}): Html {
  return trusted(viewer.voice.say({ key, params }, escapeHtml));
}

/** A labelled badge: the word carries the meaning, the colour only repeats it. */
export function badge(kind: string, text: Html | string, title?: string): Html {
  return html`<span class="badge badge-${kind}"${title ? html` title="${title}"` : ''}>${text}</span>`;
}

/** A page in the frame; `status` other than 200 for not found, refused and the like. */
export function sendPage(res: ServerResponse, viewer: Viewer, o: { status?: number; title: string; section?: Section; body: Html }): void {
  sendHtml(res, o.status ?? 200, layout(viewer, { title: o.title, ...(o.section ? { section: o.section } : {}), body: o.body }));
}

/** 404 that says what was not found (escaped, and cut: it may be anything someone typed into a URL). */
export function notFound(res: ServerResponse, viewer: Viewer, what: MessageKey, name: string): void {
  const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  sendPage(res, viewer, {
    status: 404,
    title: viewer.voice.t('web.not-found.title'),
    body: html`<p class="notice notice-error" role="alert">${say(viewer, what, { name: shown })}</p><p><a href="/">${viewer.voice.t('web.back-to-overview')}</a></p>`,
  });
}

/** The query string of a request; keys read with `get`, so `__proto__` is just a name. */
export function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** The path's segments after `prefix`, URL-decoded; undefined when one cannot be decoded. */
export function segmentsAfter(req: IncomingMessage, prefix: string): string[] | undefined {
  const path = (req.url ?? '/').split('?')[0]!.slice(prefix.length);
  try {
    return path.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Whether `name` is one of the record's own keys (never Object.prototype's). */
export function isOwn(record: Readonly<Record<string, unknown>>, name: string | null | undefined): name is string {
  return typeof name === 'string' && Object.hasOwn(record, name);
}
