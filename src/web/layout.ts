import { html, type Html } from './html.js';
import type { Viewer } from './viewer.js';

export type Section = 'overview' | 'approvals' | 'history' | 'builds';

export interface PageOptions {
  title: string;
  /** the navigation entry shown as current */
  section?: Section;
  body: Html;
  /** scripts from /assets/ this page uses (live parts only; every page reads without them) */
  scripts?: readonly string[];
  /** stylesheets from /assets/ this page adds to gantry.css */
  styles?: readonly string[];
}

/**
 * The frame of every page: header with navigation and who is signed in, then the page's body.
 * Styles come from /assets/gantry.css only (the CSP allows no inline style).
 */
export function layout(viewer: Viewer, o: PageOptions): Html {
  const v = viewer.voice;
  const nav: [Section, string, string][] = [
    ['overview', '/', v.t('web.nav.overview')],
    ['approvals', '/approvals', v.t('web.nav.approvals')],
    ['history', '/history', v.t('web.nav.history')],
    ['builds', '/builds', v.t('web.nav.builds')],
  ];
  return html`<!doctype html>
<html lang="${v.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · gantry</title>
<link rel="stylesheet" href="/assets/gantry.css">
${(o.styles ?? []).map((s) => html`<link rel="stylesheet" href="/assets/${s}">`)}
${(o.scripts ?? []).map((s) => html`<script src="/assets/${s}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">${v.t('web.nav.skip')}</a>
<header class="top">
<a class="brand" href="/">gantry</a>
<nav aria-label="${v.t('web.nav.main')}">${nav.map(([s, href, label]) => html`<a href="${href}"${s === o.section ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
<div class="who">${viewer.actor ? html`<span>${viewer.actor.name ?? viewer.actor.id}</span> <form method="post" action="/logout"><input type="hidden" name="csrf" value="${viewer.csrf ?? ''}"><button type="submit">${v.t('web.nav.sign-out')}</button></form>` : html`<a href="/login">${v.t('web.nav.sign-in')}</a>`}</div>
</header>
<main id="main">
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>
`;
}
