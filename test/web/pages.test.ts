import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/server.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import type { WebDeps } from '../../src/web/deps.js';
import { webRoutes } from '../../src/web/routes.js';
import { startHarness, type Harness } from '../support/harness.js';
import { signInAs, type SignedIn } from '../support/web.js';
import { serve } from '../http/serve.js';

/**
 * The dashboard pages on a real gantry web: real Redis, real deploy repo, real workers, sign-in
 * by the one-time chat link. What the pages show is what the shell did; what a page does is a
 * commit in the deploy repo, or, when refused, nothing at all.
 */
describe('web pages: overview, approvals, history, releases', () => {
  let h: Harness;
  let server: Awaited<ReturnType<typeof serve>>;
  let base: string;
  const routes: Route[] = [];
  const as: Record<string, SignedIn> = {};

  beforeAll(async () => {
    server = await serve(routes);
    base = server.url;
    h = await startHarness({ name: 'web-pages', gantry: { publicUrl: base } });
    const deps: WebDeps = { services: h.gantry.services, redis: h.gantry.redis, keys: new Keys(h.gantry.prefix), log: silentLogger, publicUrl: base, now: () => new Date() };
    routes.push(...webRoutes(deps, {}));
    for (const v of ['v1.2.0', 'v1.3.0']) await h.release(v);
    for (const who of ['alice', 'carol', 'dave']) as[who] = await signInAs(base, h.gantry.services.execute, `shell:${who}`);
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  const page = async (path: string, who?: string) => {
    const r = await fetch(`${base}${path}`, { redirect: 'manual', ...(who ? { headers: { cookie: as[who]!.cookie } } : {}) });
    return { status: r.status, text: await r.text(), headers: r.headers };
  };
  const post = async (path: string, fields: Record<string, string>, cookie?: string) => {
    const r = await fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: r.status, text: await r.text() };
  };
  const answer = (who: string, id: string, what: 'approve' | 'deny', extra: Record<string, string> = {}) =>
    post(`/approvals/${id}/${what}`, { csrf: as[who]!.csrf, ...extra }, as[who]!.cookie);
  const approvalId = (text: string) => /approval (\d+) requested/.exec(text)?.[1] ?? '';
  const short = (sha: string) => sha.trim().slice(0, 7);

  it('the overview shows what the shell just promoted, with its commit, who, and which environment lags', async () => {
    expect((await page('/')).status).not.toBe(200); // not signed in: no matrix
    expect((await h.run('carol', '/promote v1.2.0 qa')).ok).toBe(true);
    const first = await page('/', 'alice');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(first.text).toContain('<a class="version" href="/releases/web/v1.2.0">v1.2.0</a>');
    expect(first.text).toContain(`<code>${short(await h.head())}</code> · by carol`);
    expect(first.text).toMatch(/<span class="badge badge-behind">behind qa \(v1\.2\.0\)<\/span>/); // staging still runs the seed's version

    expect((await h.run('carol', '/promote v1.2.0 staging')).ok).toBe(true);
    const next = await page('/', 'alice');
    expect(next.text.match(/href="\/releases\/web\/v1\.2\.0">v1\.2\.0<\/a>/g)).toHaveLength(2);
    expect(next.text).toContain(`<code>${short(await h.head())}</code> · by carol`);
    expect(next.text).toContain('behind staging (v1.2.0)'); // prod now lags staging, not staging qa
    expect(next.text).not.toContain('behind qa');
  });

  it('approve from the page: the deploy commit carries the approver trailer, and the page says what happened', async () => {
    const asked = await h.run('carol', '/promote v1.2.0 prod');
    const id = approvalId(asked.text);
    expect(id).not.toBe('');
    const list = await page('/approvals', 'alice');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`id="approval-${id}"`);
    expect(list.text).toContain('apps/web/prod/values.yaml:6');
    expect(list.text).toContain('<code>registry.example.com/acme/web:v1.0.0</code> → <code>registry.example.com/acme/web:v1.2.0</code>');
    expect(list.text).toContain(`action="/approvals/${id}/approve"`);
    expect((await page('/', 'alice')).text).toContain(`approval ${id} waiting: v1.2.0`);

    const head = await h.head();
    const done = await answer('alice', id, 'approve');
    expect(done.status).toBe(200);
    expect(done.text).toContain('promoted web v1.2.0 to prod (was v1.0.0)');
    expect(await h.head()).not.toBe(head);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Approved-By: shell:alice (alice)');
    expect(message).toContain('Gantry-Requested-By: shell:carol (carol)');
    expect(message).toContain(`Gantry-Request: approval-${id}`);
    expect((await page('/approvals', 'alice')).text).not.toContain(`id="approval-${id}"`);
  });

  it('self-approval from the page is refused and nothing is committed; forged or replayed answers change nothing', async () => {
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.3.0 ${env}`)).ok).toBe(true);
    const id = approvalId((await h.run('dave', '/promote v1.3.0 prod')).text);
    expect(id).not.toBe('');
    const head = await h.head();
    const unchanged = async () => {
      expect(await h.head()).toBe(head);
      expect(await h.gantry.services.approval(id)).toMatchObject({ status: 'pending', votes: [] });
    };

    const self = await answer('dave', id, 'approve');
    expect(self.status).toBe(409);
    expect(self.text).toContain('Refused: nothing changed');
    expect(self.text).toContain(`you asked for approval ${id} yourself`);
    await unchanged();

    // no token, a wrong one, another person's, no session at all
    expect((await post(`/approvals/${id}/approve`, {}, as.alice!.cookie)).status).toBe(403);
    expect((await post(`/approvals/${id}/approve`, { csrf: `${as.alice!.csrf}x` }, as.alice!.cookie)).status).toBe(403);
    expect((await post(`/approvals/${id}/approve`, { csrf: as.dave!.csrf }, as.alice!.cookie)).status).toBe(403);
    expect((await post(`/approvals/${id}/approve`, { csrf: as.alice!.csrf })).status).toBe(403);
    await unchanged();

    // a denial's reason is text wherever it shows
    // (apostrophes and quotes, which the command parser reads as quoting, are kept as text too)
    const denied = await answer('alice', id, 'deny', { reason: `<img src=x onerror=alert(1)>\ndon't ship "this" --force` });
    expect(denied.status).toBe(200);
    expect(denied.text).toContain('&lt;img src=x onerror=alert(1)&gt; don&#39;t ship &#39;this&#39; --force');
    expect(denied.text).not.toContain('<img src=x');
    expect(await h.head()).toBe(head);
    expect(await h.gantry.services.approval(id)).toMatchObject({ status: 'denied', denied: { reason: `<img src=x onerror=alert(1)> don't ship 'this' --force` } });
    // answering it again, as if replayed: refused, still denied
    expect((await answer('alice', id, 'approve')).status).toBe(409);
    expect(await h.gantry.services.approval(id)).toMatchObject({ status: 'denied', votes: [] });
  });

  it('history and release pages read the deploy repo: who, approved by, override reason, commit; where a release ran', async () => {
    expect((await h.run('alice', '/lock prod <script>alert(1)</script>')).ok).toBe(true);
    const forced = approvalId((await h.run('alice', '/promote v1.3.0 prod --force "hotfix <b>now</b>"')).text);
    expect((await h.run('dave', `/approve ${forced}`)).text).toContain('promoted web v1.3.0 to prod');
    const overview = await page('/', 'carol');
    expect(overview.text).toContain('locked by shell:alice (alice): &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(overview.text).not.toContain('<script>alert');

    const history = await page('/history?env=prod', 'carol');
    expect(history.status).toBe(200);
    const rows = history.text.split('<tr>').slice(2); // after the header row: newest first
    expect(rows[0]).toContain('v1.2.0</a> → <a href="/releases/web/v1.3.0">v1.3.0</a>');
    expect(rows[0]).toContain('override: hotfix &lt;b&gt;now&lt;/b&gt;');
    expect(rows[0]).toContain(`<code>${short(await h.head())}</code>`);
    expect(rows[0]).toMatch(/<td data-label="Who">alice<\/td>\s*<td data-label="Approved by">dave<\/td>/);
    expect(rows[1]).toMatch(/<td data-label="Who">carol<\/td>\s*<td data-label="Approved by">alice<\/td>/); // requested by carol, approved by alice
    expect((await page('/history?env=prod&app=web', 'carol')).text).toContain('History of web in prod');

    const release = await page('/releases/web/v1.2.0', 'carol');
    expect(release.status).toBe(200);
    expect(release.text).toContain('registry.example.com/acme/web:v1.2.0');
    for (const env of ['qa', 'staging', 'prod']) expect(release.text).toContain(`<a href="/history?env=${env}&amp;app=web">${env}</a>`);
    expect(release.text.match(/ran before/g)).toHaveLength(3);
  });

  it('unknown apps, environments, releases and approvals answer 404 saying what, escaped', async () => {
    const cases: [string, string][] = [
      ['/history?env=nope', 'There is no environment “nope”.'],
      ['/history?env=__proto__', 'There is no environment “__proto__”.'],
      ['/history?env=qa&app=constructor', 'There is no app “constructor”.'],
      ['/releases/web/v9.9.9', 'There is no release “web v9.9.9”'],
      ['/releases/web/..%2F..%2Fetc', 'There is no release “web ../../etc”'],
      ['/releases/%3Cscript%3E/v1', 'There is no app “&lt;script&gt;”.'],
      ['/releases/web/v1.2.0/extra', 'There is no release “web v1.2.0/extra”'],
    ];
    for (const [path, says] of cases) {
      const r = await page(path, 'alice');
      expect(r.status, path).toBe(404);
      expect(r.text, path).toContain(says);
      expect(r.text, path).not.toContain('<script>');
    }
    for (const path of ['/approvals/999/approve', '/approvals/abc/approve', '/approvals/1/vote', '/approvals/%E0%A4%A/deny']) {
      const r = await post(path, { csrf: as.alice!.csrf }, as.alice!.cookie);
      expect(r.status, path).toBe(404);
    }
  });
});
