import type { IncomingMessage, ServerResponse } from 'node:http';
import { voiceFor } from '../../config/reader.js';
import { parseDuration } from '../../domain/duration.js';
import { actorFor, userOf } from '../../domain/identity.js';
import type { Route } from '../../http/server.js';
import type { WebDeps } from '../deps.js';
import { redirect, sendHtml } from '../respond.js';
import type { Viewer, WebAccess } from '../viewer.js';
import { cookie, readCookies } from './cookies.js';
import { safeEqual } from '../../http/auth.js';
import { crossSite, localPath, readForm } from './form.js';
import { githubRoutes, type GithubOAuthSettings } from './github.js';
import { LoginLinks } from './links.js';
import { linkRoutes } from './link-routes.js';
import { messagePage } from './pages.js';
import { sessionKey, SessionStore, type Session } from './sessions.js';
import { signValue, verifySigned } from './tokens.js';

/** Sign-in settings from the environment (GitHub OAuth client, session key). */
export interface WebAuthSettings {
  /** GANTRY_SESSION_SECRET; unset: a random key kept in Redis (src/web/auth/sessions.ts) */
  sessionSecret?: string;
  github?: GithubOAuthSettings;
}

/**
 * The session cookie's name. Over https it carries the `__Host-` prefix: browsers then take it
 * only from this host, with Secure and Path=/, so a sibling subdomain cannot plant its own session.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-gantry_session' : 'gantry_session';
}

/** What the sign-in routes share: sessions, their cookie, and the viewer a session makes. */
export interface SignIn {
  deps: WebDeps;
  sessions: SessionStore;
  links: LoginLinks;
  /** the session of this request's cookie, if it is signed by us and still in Redis */
  current(req: IncomingMessage): Promise<{ id: string; session: Session } | undefined>;
  /** starts a session for `identity` (ending the request's old one) and answers 303 to `next`, setting `cookies` too */
  start(req: IncomingMessage, res: ServerResponse, identity: string, via: Session['via'], next: string, cookies?: string[]): Promise<void>;
  viewer(session?: Session): Viewer;
  /** a 4xx page that says what was refused; nothing was changed */
  /** `session`: the refused person's own, so the page still shows who is signed in */
  refuse(res: ServerResponse, status: number, text: (v: Viewer) => string, o?: { signIn?: boolean; session?: Session | undefined }): void;
  secure: boolean;
  /** whether GitHub sign-in is set up */
  github: boolean;
  /** `signValue` / `verifySigned` with the session key (the OAuth state cookie) */
  sign(value: string): Promise<string>;
  verify(signed: string): Promise<string | undefined>;
}

/**
 * Sessions, CSRF and sign-in (issue 14): a session is a Redis record whose id travels in a signed,
 * HttpOnly, SameSite=Lax cookie; every action needs the session's CSRF token in its form and a
 * same-site request; people sign in with a one-time link from chat or with GitHub.
 */
export function webAuth(deps: WebDeps, settings: WebAuthSettings): { access: WebAccess; routes: Route[] } {
  const config = deps.services.config;
  const sessionTtlMs = parseDuration(config.web.sessionTtl);
  const sessions = new SessionStore(deps.redis, deps.keys, sessionTtlMs, deps.now);
  const links = new LoginLinks(deps.redis, deps.keys, { ttlMs: parseDuration(config.web.loginLinkTtl), now: deps.now, publicUrl: () => deps.publicUrl });
  let signing: Promise<string> | undefined;
  // asked once per process; a Redis that was away is asked again next time
  const key = () => (signing ??= sessionKey(deps.redis, deps.keys, settings.sessionSecret).catch((e: unknown) => ((signing = undefined), Promise.reject(e))));
  const secure = deps.publicUrl?.startsWith('https:') ?? false;
  const SESSION_COOKIE = sessionCookieName(secure);

  const viewer = (session?: Session): Viewer => {
    if (!session) return { voice: voiceFor(config, { platform: 'web' }) };
    const user = userOf(config, session.identity);
    return {
      actor: actorFor(config, session.identity),
      ...(user !== undefined ? { user } : {}),
      csrf: session.csrf,
      voice: voiceFor(config, { platform: 'web', identity: session.identity }),
    };
  };
  const signIn: SignIn = {
    deps,
    sessions,
    links,
    secure,
    github: settings.github !== undefined,
    viewer,
    sign: async (value) => signValue(value, await key()),
    verify: async (signed) => verifySigned(signed, await key()),
    async current(req) {
      const raw = readCookies(req).get(SESSION_COOKIE);
      const id = raw === undefined ? undefined : verifySigned(raw, await key());
      const session = id === undefined ? undefined : await sessions.get(id);
      return id !== undefined && session ? { id, session } : undefined;
    },
    async start(req, res, identity, via, next, cookies = []) {
      const old = await signIn.current(req);
      if (old) await sessions.end(old.id);
      const { id } = await sessions.create(identity, via);
      const value = signValue(id, await key());
      redirect(res, next, { 'set-cookie': [cookie(SESSION_COOKIE, value, { maxAge: sessionTtlMs / 1000, secure }), ...cookies] });
    },
    refuse(res, status, text, o = {}) {
      const v = viewer(o.session);
      sendHtml(res, status, messagePage(v, v.voice.t('signin.refused.title'), text(v), { ...(o.signIn !== undefined ? { signIn: o.signIn } : {}) }));
    },
  };

  const access: WebAccess = {
    async reader(req, res) {
      const current = await signIn.current(req);
      if (current) return viewer(current.session);
      if (config.web.publicRead) return viewer();
      redirect(res, `/login?next=${encodeURIComponent(localPath(req.url))}`);
      return undefined;
    },
    async actor(req, res, form) {
      const current = await signIn.current(req);
      if (crossSite(req, deps.publicUrl)) return void signIn.refuse(res, 403, (v) => v.voice.t('signin.refused.cross-site'), { session: current?.session });
      if (!current) return void signIn.refuse(res, 403, (v) => v.voice.t('signin.refused.signed-out'), { signIn: true });
      const { session } = current;
      const given = form.get('csrf');
      if (given === null || !safeEqual(given, session.csrf)) return void signIn.refuse(res, 403, (v) => v.voice.t('signin.refused.csrf'), { session });
      return { ...viewer(session), actor: actorFor(config, session.identity), csrf: session.csrf };
    },
  };

  const logout: Route = {
    method: 'POST',
    path: '/logout',
    async handler(req, res) {
      const form = await readForm(req, res);
      if (!form || !(await access.actor(req, res, form))) return;
      const current = await signIn.current(req);
      if (current) await sessions.end(current.id);
      redirect(res, '/login', { 'set-cookie': cookie(SESSION_COOKIE, '', { maxAge: 0, secure }) });
    },
  };
  return { access, routes: [...linkRoutes(signIn), ...githubRoutes(signIn, settings.github), logout] };
}
