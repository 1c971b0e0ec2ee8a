import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/server.js';
import { Voice } from '../../src/i18n/voice.js';
import { assetRoutes } from '../../src/web/assets.js';
import { html, trusted } from '../../src/web/html.js';
import { layout } from '../../src/web/layout.js';
import { sendHtml } from '../../src/web/respond.js';
import { checkA11y, findChromium, pageProblems, phoneOverflow, shot, useBrowser } from '../support/browser.js';
import { serve } from '../http/serve.js';

/**
 * The browser tests' own ground: Debian's chromium loads gantry's page frame and stylesheet under
 * gantry's real security headers, and the checks the page tests rely on (CSP refusals seen as
 * problems, axe-core's serious violations, sideways overflow on a phone) do fail when they should.
 */
const chromiumPath = findChromium();

const viewer = { voice: new Voice('en', 'UTC') };
const page = (path: string, body: ReturnType<typeof html>): Route => ({
  method: 'GET',
  path,
  handler: (_req, res) => sendHtml(res, 200, layout(viewer, { title: 'Frame', section: 'overview', body })),
});
const routes: Route[] = [
  page('/frame', html`<p>Every app, every environment.</p><table><caption>apps</caption><thead><tr><th scope="col">app</th><th scope="col">prod</th></tr></thead><tbody><tr><td>web</td><td>v1.2.3</td></tr></tbody></table>`),
  // what the CSP must refuse: an inline script and an inline style
  page('/inline', html`<p id="x">untouched</p>${trusted('<script>document.getElementById("x").textContent = "ran"</script>')}`),
  // what axe must report: a button nobody can name
  page('/unreadable', html`<button type="button"></button>`),
  // one word longer than a phone is wide
  page('/wide', html`<p id="wide">${'x'.repeat(400)}</p>`),
  ...assetRoutes(),
];

describe.skipIf(!chromiumPath)('the browser test infrastructure (Debian chromium, playwright-core)', () => {
  const b = useBrowser(chromiumPath);
  let web: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    web = await serve(routes);
  });
  afterAll(async () => {
    await web?.close();
  });

  it('renders the page frame with its stylesheet under the strict CSP, accessible, on a laptop and a phone', async () => {
    const p = await b.page();
    const res = await p.goto(`${web.url}/frame`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Frame');
    expect(await p.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    // the stylesheet arrived and applies: the body's font is not the browser's default serif
    const css = await p.evaluate('getComputedStyle(document.body).fontFamily');
    expect(String(css)).not.toMatch(/^"?Times/);
    expect(await checkA11y(p)).toBeDefined();
    expect(await phoneOverflow(p)).toEqual([]);
    expect(pageProblems(p)).toEqual([]);
    const files = await shot(p, 'infra-frame');
    expect(files.map((f) => f.replace(/.*\//, ''))).toEqual(['infra-frame-laptop.png', 'infra-frame-phone.png']);
  });

  it('chromium refuses inline script under gantry headers, and the refusal is a problem the tests see', async () => {
    const p = await b.page();
    await p.goto(`${web.url}/inline`);
    expect(await p.locator('#x').textContent()).toBe('untouched');
    expect(pageProblems(p).join('\n')).toMatch(/Content Security Policy/);
  });

  it('checkA11y fails on serious violations and names the rule and the element', async () => {
    const p = await b.page();
    await p.goto(`${web.url}/unreadable`);
    await expect(checkA11y(p)).rejects.toThrow(/serious violation\(s\)[\s\S]*critical button-name[\s\S]*button/);
  });

  it('phoneOverflow names what makes a page scroll sideways on a phone', async () => {
    const p = await b.page();
    await p.goto(`${web.url}/wide`);
    expect(await phoneOverflow(p)).toContain('p#wide');
  });

  it('serves the assets by name only, with their type and a validator', async () => {
    const p = await b.page();
    const css = await p.goto(`${web.url}/assets/gantry.css`);
    expect(css?.status()).toBe(200);
    expect(css?.headers()['content-type']).toBe('text/css; charset=utf-8');
    const etag = css?.headers()['etag'];
    expect(etag).toMatch(/^"[\w-]{16}"$/);
    expect((await p.goto(`${web.url}/assets/..%2Fpackage.json`))?.status()).toBe(404);
    expect((await p.goto(`${web.url}/assets/nothing.css`))?.status()).toBe(404);
  });
});
