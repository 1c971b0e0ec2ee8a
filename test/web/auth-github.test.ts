import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/server.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { webAuth } from '../../src/web/auth/index.js';
import { sendHtml } from '../../src/web/respond.js';
import { serve } from '../http/serve.js';
import { startHarness, type Harness } from '../support/harness.js';

/** GitHub's documented answers (docs.github.com: "Authorizing OAuth apps", "Get the authenticated user"). */
const TOKEN = { access_token: 'gho_16C7e42F292c6912E7710c838347Ae178B4a', scope: '', token_type: 'bearer' };
const BAD_CODE = {
  error: 'bad_verification_code',
  error_description: 'The code passed is incorrect or expired.',
  error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
};
const OCTOCAT = { login: 'octocat', id: 1, node_id: 'MDQ6VXNlcjE=', avatar_url: 'https://github.com/images/error/octocat_happy.gif', type: 'User', site_admin: false, name: 'monalisa octocat' };
const CLIENT = { clientId: 'Iv1.8a61f9b3a7aba766', clientSecret: '1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d' };

/** "Sign in with GitHub" against a real gantry web and Redis; github.com and its API recorded with nock (unused mocks fail). */
describe('web sign-in with GitHub (the App\'s OAuth client)', () => {
  let h: Harness;
  let server: Awaited<ReturnType<typeof serve>>;
  const routes: Route[] = [];
  let base: string;

  beforeAll(async () => {
    server = await serve(routes);
    base = server.url;
    h = await startHarness({ name: 'web-github', workers: false, edit: (d) => d.users.alice.ids.push('github:octocat') });
    const deps = { services: h.gantry.services, redis: h.gantry.redis, keys: new Keys(h.gantry.prefix), log: silentLogger, publicUrl: base, now: () => new Date() };
    const auth = webAuth(deps, { github: CLIENT });
    const none = webAuth(deps, {});
    routes.push(...auth.routes, {
      method: 'GET',
      path: '/probe',
      async handler(req, res) {
        const v = await auth.access.reader(req, res);
        if (v) sendHtml(res, 200, `reader=${v.actor?.id ?? 'anonymous'} user=${v.user ?? '-'}`);
      },
    }, { method: 'GET', path: '/off/login/github', handler: (req, res) => none.routes.find((r) => r.path === '/login/github')!.handler(req, res) });
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending, 'unused GitHub mocks').toEqual([]);
  });
  afterAll(async () => {
    nock.enableNetConnect();
    await server?.close();
    await h?.close();
  });

  /** GET /login/github: the redirect to GitHub, its state, and this browser's state cookie. */
  const begin = async (next = '/approvals') => {
    const r = await fetch(`${base}/login/github?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    const to = new URL(r.headers.get('location')!);
    const set = r.headers.get('set-cookie')!;
    expect(set).toMatch(/^gantry_oauth=[^;]+; Path=\/login\/github; Max-Age=600; HttpOnly; SameSite=Lax$/);
    return { to, state: to.searchParams.get('state')!, cookie: set.split(';')[0]! };
  };
  const callback = (query: string, cookie?: string) => fetch(`${base}/login/github/callback?${query}`, { redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });
  const sessionOf = (r: Response) => r.headers.getSetCookie().find((c) => c.startsWith('gantry_session=') && !c.startsWith('gantry_session=;'));

  it('GitHub → code → token → /user: signed in as github:<login>, the config user behind it, back where they were going', async () => {
    const { to, state, cookie } = await begin();
    expect(`${to.origin}${to.pathname}`).toBe('https://github.com/login/oauth/authorize');
    expect(to.searchParams.get('client_id')).toBe(CLIENT.clientId);
    expect(to.searchParams.get('redirect_uri')).toBe(`${base}/login/github/callback`);
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    nock('https://github.com', { reqheaders: { accept: 'application/json' } })
      .post('/login/oauth/access_token', { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, code: 'a1b2c3', redirect_uri: `${base}/login/github/callback` })
      .reply(200, TOKEN);
    nock('https://api.github.com', { reqheaders: { authorization: `Bearer ${TOKEN.access_token}` } }).get('/user').reply(200, OCTOCAT);
    const r = await callback(`code=a1b2c3&state=${state}`, cookie);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/approvals');
    const session = sessionOf(r)!;
    expect(session).toMatch(/; HttpOnly; SameSite=Lax$/);
    expect(r.headers.getSetCookie()).toContain('gantry_oauth=; Path=/login/github; Max-Age=0; HttpOnly; SameSite=Lax');
    const seen = await fetch(`${base}/probe`, { headers: { cookie: session.split(';')[0]! } });
    expect(await seen.text()).toBe('reader=github:octocat user=alice');
    // the token was only used to ask who this is: nothing in Redis holds it
    const keys = await h.gantry.redis.keys(`${h.gantry.prefix}:web:*`);
    for (const k of keys) if ((await h.gantry.redis.type(k)) === 'string') expect(await h.gantry.redis.get(k)).not.toContain(TOKEN.access_token);

    // the same callback again (a replay): the state is spent, nobody is signed in, GitHub is not asked
    const again = await callback(`code=a1b2c3&state=${state}`, cookie);
    expect(again.status).toBe(400);
    expect(sessionOf(again)).toBeUndefined();
  });

  it('a callback whose state is not this browser\'s, or has no state cookie, is refused without asking GitHub', async () => {
    const mine = await begin();
    const theirs = await begin();
    for (const [query, cookie] of [
      [`code=x&state=${theirs.state}`, mine.cookie],
      [`code=x&state=${mine.state}`, undefined],
      [`code=x&state=${'A'.repeat(43)}`, mine.cookie],
      ['code=x', mine.cookie],
      [`code=x&state=${mine.state}`, 'gantry_oauth=forged.signature'],
    ] as const) {
      const r = await callback(query, cookie);
      expect(r.status, query).toBe(400);
      expect(await r.text()).toContain('did not start here');
      expect(sessionOf(r)).toBeUndefined();
    }
  });

  it('error=access_denied: cancelled, nothing changes', async () => {
    const { state, cookie } = await begin();
    const r = await callback(`error=access_denied&error_description=The+user+has+denied+your+application+access.&state=${state}`, cookie);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('cancelled');
    expect(sessionOf(r)).toBeUndefined();
  });

  it('the token endpoint refuses the code (200 with an error), or fails: no session, the reason said', async () => {
    const first = await begin();
    nock('https://github.com').post('/login/oauth/access_token').reply(200, BAD_CODE);
    const r = await callback(`code=used&state=${first.state}`, first.cookie);
    expect(r.status).toBe(502);
    expect(await r.text()).toContain('bad_verification_code');
    expect(sessionOf(r)).toBeUndefined();

    const second = await begin();
    nock('https://github.com').post('/login/oauth/access_token').reply(200, TOKEN);
    nock('https://api.github.com').get('/user').reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const bad = await callback(`code=ok&state=${second.state}`, second.cookie);
    expect(bad.status).toBe(502);
    expect(await bad.text()).toContain('GET /user: HTTP 401');
    expect(sessionOf(bad)).toBeUndefined();
  });

  it('without GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET there is no GitHub sign-in', async () => {
    const r = await fetch(`${base}/off/login/github`, { redirect: 'manual' });
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('GITHUB_CLIENT_ID');
    const page = await (await fetch(`${base}/login`)).text();
    expect(page).toContain('Sign in with GitHub');
  });
});
