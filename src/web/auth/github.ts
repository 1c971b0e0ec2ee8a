import type { IncomingMessage, ServerResponse } from 'node:http';
import { USAGE } from '../../commands/grammar.js';
import { safeEqual } from '../../http/auth.js';
import type { Route } from '../../http/server.js';
import { redirect } from '../respond.js';
import { cookie, readCookies } from './cookies.js';
import { localPath } from './form.js';
import type { SignIn } from './index.js';
import { randomToken, TOKEN, tokenHash } from './tokens.js';

/** The GitHub App's OAuth client (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET) and where GitHub is. */
export interface GithubOAuthSettings {
  clientId: string;
  clientSecret: string;
  /** https://github.com, or a GitHub Enterprise server */
  webUrl?: string;
  /** https://api.github.com, or a GitHub Enterprise server's API */
  apiUrl?: string;
}

const STATE_COOKIE = 'gantry_oauth';
const CALLBACK = '/login/github/callback';
/** How long a person may take on GitHub's consent page. */
const STATE_TTL_S = 600;
/** GitHub logins: letters, digits and single dashes, at most 39 characters. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;

/**
 * "Sign in with GitHub" through the GitHub App's OAuth client (web application flow): the state
 * is random, single use (a Redis record taken with GETDEL) and bound to this browser (a signed,
 * short-lived cookie), so a callback started elsewhere cannot sign anyone in. The access token
 * only asks GitHub who this is (`GET /user`) and is dropped: gantry acts with its own credentials.
 */
export function githubRoutes(signIn: SignIn, settings: GithubOAuthSettings | undefined): Route[] {
  const web = (settings?.webUrl ?? 'https://github.com').replace(/\/+$/, '');
  const api = (settings?.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const { redis, keys } = signIn.deps;
  const stateKey = (state: string) => keys.k('web', 'oauth-state', tokenHash(state));
  const callbackUrl = (req: IncomingMessage) => `${(signIn.deps.publicUrl ?? `http://${req.headers.host ?? '127.0.0.1'}`).replace(/\/+$/, '')}${CALLBACK}`;
  const stateCookie = (value: string, maxAge: number) => cookie(STATE_COOKIE, value, { maxAge, secure: signIn.secure, path: '/login/github' });
  const off = (res: ServerResponse) => signIn.refuse(res, 404, (v) => v.voice.t('signin.github.off'));

  const begin = async (req: IncomingMessage, res: ServerResponse) => {
    if (!settings) return off(res);
    const next = localPath(new URL(req.url ?? '/', 'http://x').searchParams.get('next'));
    const state = randomToken();
    await redis.set(stateKey(state), next, 'EX', STATE_TTL_S);
    const to = new URL(`${web}/login/oauth/authorize`);
    to.search = new URLSearchParams({ client_id: settings.clientId, redirect_uri: callbackUrl(req), state, allow_signup: 'false' }).toString();
    redirect(res, to.toString(), { 'set-cookie': stateCookie(await signIn.sign(state), STATE_TTL_S) });
  };

  const callback = async (req: IncomingMessage, res: ServerResponse) => {
    if (!settings) return off(res);
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    // whatever happens next, this browser's state is spent
    res.setHeader('set-cookie', stateCookie('', 0));
    const signed = readCookies(req).get(STATE_COOKIE);
    const mine = signed === undefined ? undefined : await signIn.verify(signed);
    const state = q.get('state') ?? '';
    const next = TOKEN.test(state) ? await redis.getdel(stateKey(state)) : null;
    if (q.get('error') === 'access_denied') return signIn.refuse(res, 403, (v) => v.voice.t('signin.github.denied'));
    if (mine === undefined || !safeEqual(state, mine) || next === null) return signIn.refuse(res, 400, (v) => v.voice.t('signin.github.state'));
    const code = q.get('code');
    const failed = (reason: string) => signIn.refuse(res, 502, (v) => v.voice.t('signin.github.failed', { reason, command: USAGE.login }));
    if (!code || code.length > 200) return failed('no code');
    const login = await whoIs(settings, web, api, code, callbackUrl(req));
    if ('error' in login) {
      signIn.deps.log.warn({ err: login.error }, 'github sign-in failed');
      return failed(login.error);
    }
    signIn.deps.log.info({ identity: `github:${login.login}`, via: 'github' }, 'web sign-in');
    await signIn.start(req, res, `github:${login.login}`, 'github', localPath(next), [stateCookie('', 0)]);
  };

  return [
    { method: 'GET', path: '/login/github', handler: begin },
    { method: 'GET', path: CALLBACK, handler: callback },
  ];
}

/** The code → an access token → `GET /user` → the login; any other answer is an error, said briefly. */
async function whoIs(s: GithubOAuthSettings, web: string, api: string, code: string, redirectUri: string): Promise<{ login: string } | { error: string }> {
  const timeout = () => AbortSignal.timeout(10_000);
  try {
    const tokenRes = await fetch(`${web}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'gantry' },
      body: JSON.stringify({ client_id: s.clientId, client_secret: s.clientSecret, code, redirect_uri: redirectUri }),
      redirect: 'error',
      signal: timeout(),
    });
    // GitHub answers 200 with { error } for a bad or used code
    const token = (await tokenRes.json().catch(() => undefined)) as { access_token?: unknown; error?: unknown } | undefined;
    if (!tokenRes.ok || typeof token?.access_token !== 'string') {
      return { error: `token endpoint: ${typeof token?.error === 'string' ? token.error.slice(0, 60) : `HTTP ${tokenRes.status}`}` };
    }
    const userRes = await fetch(`${api}/user`, {
      headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${token.access_token}`, 'user-agent': 'gantry', 'x-github-api-version': '2022-11-28' },
      redirect: 'error',
      signal: timeout(),
    });
    const user = (await userRes.json().catch(() => undefined)) as { login?: unknown } | undefined;
    if (!userRes.ok || typeof user?.login !== 'string' || !LOGIN.test(user.login)) return { error: `GET /user: HTTP ${userRes.status}` };
    return { login: user.login };
  } catch (err) {
    return { error: err instanceof Error ? err.name : 'unreachable' };
  }
}
