import { USAGE } from '../../commands/grammar.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import type { Viewer } from '../viewer.js';

/** The sign-in pages: forms and sentences only, readable without JavaScript. */

const COMMAND = USAGE.login;

/** `GET /login`: GitHub when it is set up, and how to get a link from chat. */
export function signInPage(viewer: Viewer, o: { next: string; github: boolean }): Html {
  const v = viewer.voice;
  const github = o.github
    ? html`<p><a class="button primary" href="/login/github?next=${encodeURIComponent(o.next)}">${v.t('signin.github')}</a></p>`
    : '';
  const already = viewer.actor ? html`<p>${v.t('signin.signed-in', { name: viewer.actor.name ?? viewer.actor.id })}</p>` : '';
  return layout(viewer, {
    title: v.t('signin.title'),
    body: html`<section class="signin">${already}${github}<p>${chatHint(viewer)}</p></section>`,
  });
}

/** `GET /login/link/<token>`: a button that signs in; opening the link alone (a chat preview) uses nothing up. */
export function linkPage(viewer: Viewer, o: { token: string; name: string; identity: string; expiresAt: string }): Html {
  const v = viewer.voice;
  return layout(viewer, {
    title: v.t('signin.link.title'),
    body: html`<section class="signin">
<form method="post" action="/login/link/${o.token}">
<button class="primary" type="submit">${v.t('signin.link.button', { name: o.name })}</button>
</form>
<p class="hint">${v.t('signin.link.explain', { identity: o.identity, until: v.time(o.expiresAt) })}</p>
</section>`,
  });
}

/** A refusal or a dead end, said plainly, with the way on (sign in again). */
export function messagePage(viewer: Viewer, title: string, text: string, o: { signIn?: boolean } = {}): Html {
  const again = o.signIn ? html`<p><a href="/login">${viewer.voice.t('signin.title')}</a></p>` : '';
  return layout(viewer, { title, body: html`<section class="signin"><p role="alert">${text}</p>${again}</section>` });
}

function chatHint(viewer: Viewer): Html {
  // the command in <code>: split the sentence around it so the markup is ours and the words the catalog's
  const mark = '\u0000';
  const [before = '', after = ''] = viewer.voice.t('signin.chat', { command: mark }).split(mark);
  return html`${before}<code>${COMMAND}</code>${after}`;
}
