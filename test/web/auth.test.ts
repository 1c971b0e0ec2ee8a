import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/server.js';
import type { Config } from '../../src/config/schema.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { webAuth } from '../../src/web/auth/index.js';
import { sendHtml } from '../../src/web/respond.js';
import type { WebDeps } from '../../src/web/deps.js';
import { startHarness, type Harness } from '../support/harness.js';
import { signInAs } from '../support/web.js';
import { serve } from '../http/serve.js';

/**
 * Sign-in against a real gantry web on a real Redis: the one-time link from /gantry login,
 * sessions in signed cookies, CSRF on actions, and who may read. A probe page shows who the
 * server thinks is reading, and a probe action counts what went through, so "nothing changed"
 * is observed, not assumed.
 */
describe('web sign-in: chat links, sessions, CSRF', () => {
  let h: Harness;
  let server: Awaited<ReturnType<typeof serve>>;
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const routes: Route[] = [];
  const done: string[] = [];
  let base: string;

  const withConfig = (deps: WebDeps, web: Partial<Config['web']>): WebDeps => ({
    ...deps,
    services: { ...deps.services, config: { ...deps.services.config, web: { ...deps.services.config.web, ...web } } },
  });

  beforeAll(async () => {
    server = await serve(routes);
    base = server.url;
    h = await startHarness({ name: 'web-auth', workers: false, now, gantry: { publicUrl: base } });
    const deps: WebDeps = { services: h.gantry.services, redis: h.gantry.redis, keys: new Keys(h.gantry.prefix), log: silentLogger, publicUrl: base, now };
    const auth = webAuth(deps, {});
    const open = webAuth(withConfig(deps, { publicRead: true }), {});
    routes.push(
      ...auth.routes,
      {
        method: 'GET',
        path: '/probe',
        async handler(req, res) {
          const v = await auth.access.reader(req, res);
          if (v) sendHtml(res, 200, `reader=${v.actor?.id ?? 'anonymous'} user=${v.user ?? '-'} csrf=${v.csrf ?? '-'}`);
        },
      },
      {
        method: 'GET',
        path: '/open/probe',
        async handler(req, res) {
          const v = await open.access.reader(req, res);
          if (v) sendHtml(res, 200, `reader=${v.actor?.id ?? 'anonymous'}`);
        },
      },
      {
        method: 'POST',
        path: '/probe/act',
        async handler(req, res) {
          const { readForm } = await import('../../src/web/auth/form.js');
          const form = await readForm(req, res);
          const v = form && (await auth.access.actor(req, res, form));
          if (!v) return;
          done.push(`${v.actor.id}:${form.get('what')}`);
          sendHtml(res, 200, 'done');
        },
      },
    );
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  const probe = async (cookie?: string) => {
    const r = await fetch(`${base}/probe`, { redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });
    return { status: r.status, location: r.headers.get('location'), text: await r.text() };
  };
  const act = (headers: Record<string, string>, body: string) =>
    fetch(`${base}/probe/act`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const link = async (identity: string) => {
    const reply = await h.gantry.services.execute('/gantry login', { actor: { id: identity } });
    if (!reply.ok || reply.kind !== 'login-link') throw new Error(JSON.stringify(reply));
    return reply;
  };

  it('a link from /gantry login signs the asker in as their config user; opening it alone uses nothing up', async () => {
    const reply = await link('slack:U024BE7LH');
    expect(reply.url).toMatch(new RegExp(`^${base}/login/link/[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(reply.expiresAt) - now().getTime()).toBeGreaterThan(9 * 60_000);
    // a chat app's preview, twice: still usable afterwards
    for (let i = 0; i < 2; i++) {
      const page = await fetch(reply.url);
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).toContain('Sign in as alice');
      expect(text).toContain(`<form method="post" action="/login/link/`);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
    const post = await fetch(reply.url, { method: 'POST', redirect: 'manual', headers: { origin: base } });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/');
    const set = post.headers.get('set-cookie')!;
    expect(set).toMatch(/^gantry_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax$/);
    const cookie = set.split(';')[0]!;
    const seen = await probe(cookie);
    expect(seen.status).toBe(200);
    expect(seen.text).toMatch(/^reader=slack:U024BE7LH user=alice csrf=[A-Za-z0-9_-]{43}$/);
  });

  it('signInAs gives a cookie and the CSRF token that an action takes', async () => {
    const who = await signInAs(base, h.gantry.services.execute, 'shell:bob');
    const r = await act({ cookie: who.cookie, origin: base, 'sec-fetch-site': 'same-origin' }, `csrf=${who.csrf}&what=ok`);
    expect(r.status).toBe(200);
    expect(done).toContain('shell:bob:ok');
  });

  it('a reused link, an expired link and an unknown token are refused, and sign nobody in', async () => {
    const reply = await link('shell:carol');
    const first = await fetch(reply.url, { method: 'POST', redirect: 'manual' });
    expect(first.status).toBe(303);
    const again = await fetch(reply.url, { method: 'POST', redirect: 'manual' });
    expect(again.status).toBe(410);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('already been used');
    expect((await fetch(reply.url)).status).toBe(410);

    const old = await link('shell:carol');
    offset += 11 * 60_000;
    try {
      const page = await fetch(old.url);
      expect(page.status).toBe(410);
      expect(await page.text()).toContain('has expired');
      const late = await fetch(old.url, { method: 'POST', redirect: 'manual' });
      expect(late.status).toBe(410);
      expect(late.headers.get('set-cookie')).toBeNull();
    } finally {
      offset -= 11 * 60_000;
    }

    for (const token of ['A'.repeat(43), 'short', '..%2f..%2fetc', '__proto__']) {
      const r = await fetch(`${base}/login/link/${token}`, { method: 'POST', redirect: 'manual' });
      expect(r.status, token).toBe(400);
      expect(r.headers.get('set-cookie')).toBeNull();
      expect(await r.text()).toContain('not valid');
    }
  });

  it('a link posted from another site is refused and stays usable', async () => {
    const reply = await link('shell:dave');
    const forged = await fetch(reply.url, { method: 'POST', redirect: 'manual', headers: { origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie')).toBeNull();
    const sibling = await fetch(reply.url, { method: 'POST', redirect: 'manual', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(sibling.status).toBe(403);
    expect((await fetch(reply.url, { method: 'POST', redirect: 'manual', headers: { origin: base } })).status).toBe(303);
  });

  it('a forged or altered cookie reads as signed out', async () => {
    const who = await signInAs(base, h.gantry.services.execute, 'shell:alice');
    const [name, value] = who.cookie.split('=') as [string, string];
    const [id, sig] = value.split('.') as [string, string];
    const forged = [`${name}=${id}.${'B'.repeat(43)}`, `${name}=${'C'.repeat(43)}.${sig}`, `${name}=${id}`, `${name}=`];
    for (const cookie of forged) {
      const r = await probe(cookie);
      expect(r.status, cookie).toBe(303);
      expect(r.location).toBe('/login?next=%2Fprobe');
    }
    expect((await probe(who.cookie)).text).toContain('reader=shell:alice');
  });

  it('an action without the CSRF token, with a wrong one, or from another site is refused and does nothing', async () => {
    const who = await signInAs(base, h.gantry.services.execute, 'shell:dave');
    const before = done.length;
    const cases: [Record<string, string>, string, string][] = [
      [{ cookie: who.cookie }, 'what=no-token', 'without the token'],
      [{ cookie: who.cookie }, `csrf=${'x'.repeat(43)}&what=wrong`, 'without the token'],
      [{ cookie: who.cookie }, `csrf=&what=empty`, 'without the token'],
      [{ cookie: who.cookie, origin: 'https://evil.example' }, `csrf=${who.csrf}&what=origin`, 'another site'],
      [{ cookie: who.cookie, 'sec-fetch-site': 'same-site' }, `csrf=${who.csrf}&what=site`, 'another site'],
      [{}, `csrf=${who.csrf}&what=no-session`, 'not signed in'],
    ];
    for (const [headers, body, says] of cases) {
      const r = await act(headers, body);
      expect(r.status, body).toBe(403);
      expect(await r.text(), body).toContain(says);
    }
    // another session's token is no good either
    const other = await signInAs(base, h.gantry.services.execute, 'shell:carol');
    expect((await act({ cookie: who.cookie }, `csrf=${other.csrf}&what=swap`)).status).toBe(403);
    expect(done.length).toBe(before);
    // not a form at all
    const json = await fetch(`${base}/probe/act`, { method: 'POST', headers: { cookie: who.cookie, 'content-type': 'application/json' }, body: `{"csrf":"${who.csrf}"}` });
    expect(json.status).toBe(415);
    expect(done.length).toBe(before);
  });

  it('signing out needs the token, and then ends the session', async () => {
    const who = await signInAs(base, h.gantry.services.execute, 'shell:bob');
    const out = (body: string) => fetch(`${base}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect((await out('')).status).toBe(403);
    expect((await probe(who.cookie)).status).toBe(200);
    const r = await out(`csrf=${who.csrf}`);
    expect(r.status).toBe(303);
    expect(r.headers.get('set-cookie')).toMatch(/^gantry_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax$/);
    // the record is gone: the old cookie, kept by a copy, reads as signed out
    expect((await probe(who.cookie)).status).toBe(303);
  });

  it('reading needs a sign-in unless web.publicRead is on; next is a local path only', async () => {
    const r = await fetch(`${base}/probe?x=1`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/login?next=%2Fprobe%3Fx%3D1');
    const open = await fetch(`${base}/open/probe`, { redirect: 'manual' });
    expect(open.status).toBe(200);
    expect(await open.text()).toBe('reader=anonymous');
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/%0d%0aSet-Cookie:x', 'javascript:alert(1)']) {
      const page = await (await fetch(`${base}/login?next=${encodeURIComponent(next)}`)).text();
      expect(page, next).not.toContain('evil.example');
      expect(page, next).not.toContain('javascript');
    }
  });

  it('behind an https public URL the cookie is Secure and __Host- prefixed', async () => {
    const deps: WebDeps = { services: h.gantry.services, redis: h.gantry.redis, keys: new Keys(h.gantry.prefix), log: silentLogger, publicUrl: 'https://gantry.example.com', now };
    const tls = await serve(webAuth(deps, {}).routes);
    try {
      const token = new URL((await link('shell:alice')).url).pathname.split('/').pop()!;
      const r = await fetch(`${tls.url}/login/link/${token}`, { method: 'POST', redirect: 'manual', headers: { origin: 'https://gantry.example.com' } });
      expect(r.status).toBe(303);
      expect(r.headers.get('set-cookie')).toMatch(/^__Host-gantry_session=[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await tls.close();
    }
  });

  it('/gantry login without a public URL says which variable to set', async () => {
    const h2 = await startHarness({ name: 'web-auth-nourl', workers: false });
    try {
      const r = await h2.gantry.services.execute('/gantry login', { actor: { id: 'shell:alice' } });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.code).toBe('CONFIG_MISSING');
      expect((await h2.run('alice', '/gantry login')).text).toContain('set GANTRY_PUBLIC_URL');
      expect((await h2.run('alice', '/login now')).text).toContain('takes no arguments');
    } finally {
      await h2.close();
    }
  });
});
