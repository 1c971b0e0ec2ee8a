import type { IncomingMessage } from 'node:http';
import { USAGE } from '../../commands/grammar.js';
import { displayName } from '../../domain/identity.js';
import type { Route } from '../../http/server.js';
import { sendHtml } from '../respond.js';
import { crossSite, localPath } from './form.js';
import type { SignIn } from './index.js';
import type { LinkState } from './links.js';
import type { Session } from './sessions.js';
import { linkPage, signInPage } from './pages.js';

const LINK_PREFIX = '/login/link/';

/**
 * `GET /login` (the sign-in page) and the one-time link from chat: `GET /login/link/<token>`
 * shows a button and uses nothing up (chat apps fetch links to preview them), `POST` uses the
 * link and starts the session. That POST has no session yet to carry a CSRF token: the
 * unguessable token in its path is the proof, and a cross-site post is refused.
 */
export function linkRoutes(signIn: SignIn): Route[] {
  const config = signIn.deps.services.config;
  return [
    {
      method: 'GET',
      path: '/login',
      async handler(req, res) {
        const current = await signIn.current(req);
        const next = localPath(new URL(req.url ?? '/', 'http://x').searchParams.get('next'));
        sendHtml(res, 200, signInPage(signIn.viewer(current?.session), { next, github: signIn.github }));
      },
    },
    {
      method: 'GET',
      path: `${LINK_PREFIX}*`,
      async handler(req, res) {
        const token = tokenOf(req);
        const state = await signIn.links.peek(token);
        if (state.state !== 'valid') return refuseLink(signIn, res, state);
        const { identity, expiresAt } = state.link;
        sendHtml(res, 200, linkPage(signIn.viewer(), { token, name: displayName(config, identity), identity, expiresAt }));
      },
    },
    {
      method: 'POST',
      path: `${LINK_PREFIX}*`,
      async handler(req, res) {
        const session = (await signIn.current(req))?.session;
        if (crossSite(req, signIn.deps.publicUrl)) return signIn.refuse(res, 403, (v) => v.voice.t('signin.refused.cross-site'), { session });
        const state = await signIn.links.consume(tokenOf(req));
        if (state.state !== 'valid') return refuseLink(signIn, res, state, session);
        signIn.deps.log.info({ identity: state.link.identity, via: 'link' }, 'web sign-in');
        await signIn.start(req, res, state.link.identity, 'link', '/');
      },
    },
  ];
}

function tokenOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0]!.slice(LINK_PREFIX.length);
}

/** unknown: 400 (never a link of ours); expired or used: 410 (it was, and is gone). */
function refuseLink(signIn: SignIn, res: Parameters<SignIn['refuse']>[0], state: Exclude<LinkState, { state: 'valid' }>, session?: Session): void {
  const key = state.state === 'unknown' ? 'signin.link.unknown' : state.state === 'expired' ? 'signin.link.expired' : 'signin.link.used';
  signIn.refuse(res, state.state === 'unknown' ? 400 : 410, (v) => v.voice.t(key, { command: USAGE.login }), { session });
}
