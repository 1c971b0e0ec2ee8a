import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Face } from '../../src/chat/face.js';
import { slackModule } from '../../src/chat/slack/module.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { pendingApprovals } from '../../src/queries/approvals.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import type { WebDeps } from '../../src/web/deps.js';
import { webRoutes } from '../../src/web/routes.js';
import { checkA11y, findChromium, pageProblems, phoneOverflow, shot, useBrowser } from '../support/browser.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { faceDeps, postSlack, SIGNING_SECRET, slackApi, slashBody } from '../support/slack.js';
import { until } from '../http/serve.js';

/**
 * The dashboard as people use it: Debian's chromium against a real gantry web (sign-in, pages,
 * the Slack face and the workers of one gantry on a real Redis and a real deploy repo), each
 * scenario through the pages' own links, forms and buttons. Every page is checked by axe-core
 * and photographed on a laptop and a phone (test-artifacts/screenshots/).
 */
const chromiumPath = findChromium();

const ALICE = 'U024BE7LH'; // lead: approves prod (config/demo/gantry.yml)
const CAROL = 'UCAROL01'; // dev: may ask for prod, may not approve
const WANG = 'UWANG0001'; // reads Chinese, in Shanghai
const LINK_TTL_MS = 10 * 60_000; // web.loginLinkTtl's default

describe.skipIf(!chromiumPath)('the dashboard in a real browser', () => {
  const b = useBrowser(chromiumPath);
  let h: Harness;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let slack: Face;
  let server: Server;
  let base: string;
  /** how far the web's clock runs ahead of the real one (an expired link without waiting 10 minutes) */
  let skewMs = 0;

  beforeAll(async () => {
    recorder = await startRecorder(slackApi);
    // the links gantry hands out must point at this server: its port is chosen first
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    h = await startHarness({
      name: 'browser',
      workers: false,
      gantry: { publicUrl: base },
      edit: (d) => {
        d.users.carol.ids.push(`slack:${CAROL}`);
        d.users.wang = { ids: [`slack:${WANG}`], locale: 'zh-CN', timeZone: 'Asia/Shanghai' };
        d.groups.leads.push('wang');
        d.deployRepo.webUrl = 'https://github.com/acme/deploy';
      },
    });
    const deps = faceDeps(h.gantry, silentLogger);
    const settings = { botToken: 'xoxb-browser-test', signingSecret: SIGNING_SECRET, apiUrl: `${recorder.url}/api/`, resolveByEmail: false };
    slack = await slackModule.create(deps, settings);
    h.gantry.startWorkers(undefined, { notifiers: [slackModule.notifier(deps, settings)!] });
    const web: WebDeps = {
      services: h.gantry.services,
      redis: h.gantry.redis,
      keys: new Keys(h.prefix),
      log: silentLogger,
      publicUrl: base,
      now: () => new Date(Date.now() + skewMs),
    };
    server = createHttpServer([...slack.routes, ...webRoutes(web, { sessionSecret: 'browser-test-session-secret-0123456789abcdef' })], silentLogger);
    await listen(server, port, '127.0.0.1');
    await h.release('v1.2.3');
    await h.release('v1.2.4');
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.2.3 ${env}`)).text).toMatch(/^promoted/);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await h?.close();
    await recorder?.close();
  });

  const slash = (user: string, text: string) =>
    postSlack(`${base}/slack/events`, slashBody({ command: '/gantry', text, user, responseUrl: `${recorder.url}/response/${user}` }), 'form');
  const blocksText = (c: Recorded) => JSON.stringify(c.body.blocks ?? []);
  const LINK = () => new RegExp(`${base.replace(/[.]/g, '\\.')}/login/link/[A-Za-z0-9_-]+`);

  /** `/gantry login` in Slack: the link, which only the asker saw (an ephemeral message or reply) */
  async function slackLink(user: string): Promise<string> {
    const from = recorder.calls.length;
    expect((await slash(user, 'login')).status).toBe(200);
    // bodies as the recorder decoded them (Slack's Web API takes forms, response_url takes JSON)
    const text = (c: Recorded) => JSON.stringify(c.body);
    const reply = await recorder.waitFor((c) => recorder.calls.indexOf(c) >= from && LINK().test(text(c)), `sign-in link for ${user}`);
    // only the asker sees it: whoever opens it first is signed in as them
    const leaked = recorder.calls.slice(from).filter((c) => c.path === '/api/chat.postMessage' && LINK().test(text(c)));
    expect(leaked.map((c) => `${c.path} to ${c.body.channel}`), 'the sign-in link was posted where others read it').toEqual([]);
    const privately = reply.path === '/api/chat.postEphemeral' ? reply.body.user === user : reply.path === `/response/${user}` && reply.body.response_type !== 'in_channel';
    expect(privately, `the link went out by ${reply.path} ${text(reply)}`).toBe(true);
    return LINK().exec(text(reply))![0];
  }

  /** `/login` in the shell */
  async function shellLink(user: string): Promise<string> {
    const said = await h.run(user, '/login');
    expect(said.ok, said.text).toBe(true);
    return LINK().exec(said.text)![0];
  }

  /** opens the link and presses its button: signed in, on the overview */
  async function signIn(page: Page, link: string): Promise<void> {
    const res = await page.goto(link);
    expect(res?.status()).toBe(200);
    await page.getByRole('button', { name: /sign in|登录/i }).click();
    await page.waitForURL(`${base}/`);
  }

  /** the text of the matrix cell of `app` in `env`, found by the table's own headers */
  async function cell(page: Page, app: string, env: string): Promise<string> {
    const table = page.locator('table').filter({ has: page.getByRole('columnheader', { name: env, exact: true }) });
    const heads = (await table.locator('thead th').allTextContents()).map((t) => t.trim().split(/\s+/)[0]);
    const col = heads.indexOf(env);
    expect(col, `column ${env} in ${heads.join(', ')}`).toBeGreaterThan(0);
    const row = table.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name: app, exact: true }) });
    return (await row.locator('th, td').nth(col).textContent()) ?? '';
  }

  /** every page: no serious accessibility violation, nothing sticking out on a phone, photographed */
  async function look(page: Page, name: string): Promise<void> {
    await checkA11y(page, name);
    expect(await phoneOverflow(page), `${name} scrolls sideways on a phone`).toEqual([]);
    await shot(page, name);
  }

  it('signs in by a one-time link from Slack: a private reply, a page that says who, one button, then the name on every page', async () => {
    const link = await slackLink(ALICE);
    const page = await b.page();
    // not signed in: the dashboard sends to the sign-in page
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await look(page, 'signin');
    const res = await page.goto(link);
    expect(res?.status()).toBe(200);
    expect(await page.locator('main').textContent()).toContain('alice');
    await look(page, 'signin-link');
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL(`${base}/`);
    expect(await page.locator('header').textContent()).toContain('alice');
    // the session cookie is out of scripts' reach and stays on this site
    const cookies = await (await b.context()).cookies(base);
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }).toMatchObject({ httpOnly: true, sameSite: expect.stringMatching(/^(Lax|Strict)$/) });
    await look(page, 'overview');
    for (const path of ['/approvals', '/history', '/history?env=prod&app=web', '/releases/web/v1.2.3']) {
      expect((await page.goto(`${base}${path}`))?.status(), path).toBe(200);
      await look(page, `page${path.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '').toLowerCase()}`);
    }
    expect(pageProblems(page)).toEqual([]);
  });

  it('the matrix shows a version right after a promotion made in the shell', async () => {
    const page = await b.page();
    await signIn(page, await shellLink('bob'));
    expect(await cell(page, 'web', 'qa')).toContain('v1.2.3');
    expect((await h.run('carol', '/promote v1.2.4 qa')).text).toMatch(/^promoted web v1\.2\.4 to qa/);
    await page.reload();
    expect(await cell(page, 'web', 'qa')).toContain('v1.2.4');
    // staging stays where it was, and the page shows it differs from the environment before it
    const staging = await cell(page, 'web', 'staging');
    expect(staging).toContain('v1.2.3');
    expect(staging).toMatch(/v1\.2\.4|behind/);
    await look(page, 'overview-after-promote');
    expect(pageProblems(page)).toEqual([]);
  });

  it('approves from the page: a deploy commit with the approver trailer, and the Slack card updated in place', async () => {
    const from = recorder.calls.length;
    const head = await h.head();
    expect((await slash(CAROL, 'promote v1.2.3 prod')).status).toBe(200);
    const ask = await recorder.waitFor((c) => recorder.calls.indexOf(c) >= from && c.path === '/api/chat.postMessage' && /^Approval \d+/.test(c.body.text ?? ''), 'approval card');
    const id = /^Approval (\d+)/.exec(ask.body.text)![1]!;

    const page = await b.page();
    await signIn(page, await slackLink(ALICE));
    await page.getByRole('link', { name: /approvals/i }).first().click();
    const card = page.locator(`#approval-${id}`);
    // what chat shows: the changed line, who asked
    expect(await card.textContent()).toContain('apps/web/prod/values.yaml');
    expect(await card.textContent()).toContain('carol');
    await look(page, 'approvals');
    await card.getByRole('button', { name: /approve/i }).click();
    await page.getByRole('status').waitFor();
    await look(page, 'approvals-approved');

    const sha = await until(() => h.head(), (s) => s !== head);
    expect(sha).not.toBe(head);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Gantry-Approved-By: slack:${ALICE} (alice)`);
    expect(message).toContain(`Gantry-Requested-By: slack:${CAROL} (carol)`);
    expect(await h.file('apps/web/prod/values.yaml')).toMatch(/^  tag: "v1\.2\.3"$/m);
    // the card carol's request posted, updated in its channel: deployed, approved by alice, with the commit
    const update = await recorder.waitFor(
      (c) => recorder.calls.indexOf(c) >= from && c.path === '/api/chat.update' && c.body.channel === ask.body.channel && /deployed/.test(c.body.text ?? ''),
      'card updated',
    );
    expect(update.body.text).toBe(`Approval ${id}: promote web v1.0.0 → v1.2.3 in prod: :white_check_mark: deployed (approved by alice): commit ${sha.slice(0, 7)}`);
    expect(blocksText(update)).not.toContain('gantry_approve'); // the buttons are gone
    expect(pageProblems(page)).toEqual([]);
  });

  /**
   * alice's own request to take v1.2.4 to prod (asked in the shell), which dave, another lead, may
   * approve: made once, for the tests that try to answer it wrongly
   */
  async function alicesRequest(): Promise<string> {
    const open = (await pendingApprovals(h.gantry.services.queries)).find((a) => a.env === 'prod' && a.to === 'v1.2.4');
    if (open) return open.id;
    if (!(await h.run('bob', '/status web staging')).text.includes('v1.2.4')) expect((await h.run('carol', '/promote v1.2.4 staging')).text).toMatch(/^promoted/);
    const asked = await h.run('alice', '/promote v1.2.4 prod');
    expect(asked.text).toMatch(/^approval \d+ requested/);
    return asked.approval!.id;
  }

  it('a self-approval from the page is refused, by person: asked in the shell, voted from a Slack sign-in', async () => {
    const id = await alicesRequest();
    const head = await h.head();

    const page = await b.page();
    await signIn(page, await slackLink(ALICE));
    await page.goto(`${base}/approvals`);
    const res = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.locator(`#approval-${id}`).getByRole('button', { name: /approve/i }).click();
    expect((await res).status()).toBe(409);
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toMatch(/own|yourself/i);
    await look(page, 'approvals-self-refused');
    expect(await h.head()).toBe(head);
    expect((await h.gantry.services.approval(id))?.status).toBe('pending');
  });

  it('a forged or replayed action changes nothing: no CSRF token, a wrong one, another site, an expired link, a used link', async () => {
    const id = await alicesRequest();
    const head = await h.head();
    const page = await b.page();
    await signIn(page, await shellLink('dave'));
    await page.goto(`${base}/approvals`);
    const form = page.locator(`#approval-${id} form[action$="/approve"]`);

    // the form without its token, then with a wrong one: 403, refused in words
    for (const [what, edit] of [['no token', 'remove'], ['a wrong token', 'forge']] as const) {
      await page.goto(`${base}/approvals`);
      await form.evaluate((f: any, how: string) => {
        const input = f.querySelector('input[name="csrf"]');
        if (how === 'remove') input.remove();
        else input.value = 'A'.repeat(input.value.length || 43);
      }, edit);
      const res = page.waitForResponse((r) => r.request().method() === 'POST');
      await form.getByRole('button').click();
      expect((await res).status(), what).toBe(403);
      await shot(page, `forged-${edit}`);
    }

    // another site posts the real form, token and all: the browser sends no session, gantry refuses
    await page.goto(`${base}/approvals`);
    const token = await form.locator('input[name="csrf"]').inputValue();
    const evil = await evilSite(`${base}/approvals/${id}/approve`, token);
    try {
      const other = await (await b.context()).newPage();
      await other.goto(evil.url);
      const res = other.waitForResponse((r) => r.request().method() === 'POST');
      await other.getByRole('button').click();
      expect((await res).status()).toBe(403);
      await shot(other, 'forged-cross-site');
    } finally {
      await evil.close();
    }

    // a link past its time, and a link used once already (on another device)
    const late = await shellLink('carol');
    skewMs = LINK_TTL_MS + 60_000;
    const stranger = await b.stranger();
    try {
      expect((await stranger.goto(late))?.status()).toBe(410);
      expect(await stranger.locator('main').textContent()).toMatch(/expired/i);
      await look(stranger, 'link-expired');
    } finally {
      skewMs = 0;
    }
    expect(await stranger.getByRole('button', { name: /sign in/i }).count()).toBe(0);
    const once = await shellLink('carol');
    await signIn(await b.stranger(), once);
    expect((await stranger.goto(once))?.status()).toBe(410);
    expect(await stranger.locator('main').textContent()).toMatch(/used/i);
    await look(stranger, 'link-used');
    // a replay of the link's POST (the button's form) is refused too, and signs nobody in
    const replay = await stranger.evaluate(async (u: string) => (await fetch(u, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status, once);
    expect(replay).toBe(410);
    await stranger.goto(`${base}/`);
    expect(new URL(stranger.url()).pathname).toBe('/login');

    // nothing of it changed anything; the real form still works, so the refusals were real
    expect(await h.head()).toBe(head);
    expect((await h.gantry.services.approval(id))?.status).toBe('pending');
    await page.goto(`${base}/approvals`);
    await form.getByRole('button').click();
    await page.getByRole('status').waitFor();
    expect(await until(() => h.head(), (s) => s !== head)).not.toBe(head);
    expect(await h.git('log', '-1', '--format=%B', 'main')).toContain('Gantry-Approved-By: shell:dave (dave)');
  });

  it('reads without JavaScript: sign-in is a form, the matrix, approvals and history are plain pages', async () => {
    const page = await b.stranger({ javaScriptEnabled: false });
    await signIn(page, await shellLink('bob'));
    expect(await cell(page, 'web', 'prod')).toContain('v1.2.4');
    expect(await cell(page, 'web', 'qa')).toContain('v1.2.4');
    await page.goto(`${base}/history?env=prod`);
    const history = (await page.locator('main').textContent()) ?? '';
    expect(history).toMatch(/v1\.2\.4[\s\S]*dave/);
    expect(history).toContain('v1.2.3');
    await shot(page, 'history-no-js');
    expect((await page.goto(`${base}/approvals`))?.status()).toBe(200);
    expect(pageProblems(page)).toEqual([]);
  });

  it('reads in Chinese for a person whose locale is zh-CN', async () => {
    const page = await b.page();
    await signIn(page, await slackLink(WANG));
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('main h1').textContent()).toMatch(/[\u4e00-\u9fff]/);
    await look(page, 'overview-zh');
    await page.goto(`${base}/approvals`);
    await look(page, 'approvals-zh');
    await page.goto(`${base}/history?env=prod`);
    await look(page, 'history-zh');
    expect(pageProblems(page)).toEqual([]);
  });

});

/**
 * Another site (localhost is not 127.0.0.1 to a browser: another site, so SameSite cookies stay
 * home) with a form that posts to gantry: what a forged action looks like from the outside.
 */
async function evilSite(action: string, csrf: string): Promise<{ url: string; close(): Promise<void> }> {
  const page = `<!doctype html><html lang="en"><title>win a prize</title><main><form method="post" action="${action}"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">claim</button></form></main></html>`;
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://localhost:${port}/`, close: () => new Promise<void>((r) => srv.close(() => r())) };
}
