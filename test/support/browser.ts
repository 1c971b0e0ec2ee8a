import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ROOT } from './harness.js';

/**
 * Real-browser tests: Debian's `chromium` (the system executable; nothing is downloaded) driven by
 * playwright-core. One browser per test file, a fresh context (cookies, storage) per test.
 */

/** where the screenshots go (gitignored): look at them after a run */
export const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');

/** a laptop and a phone: every page must read on both */
export const VIEWPORTS = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/** no single step waits longer than this: a page that has not answered by then is broken, not slow */
const ACTION_TIMEOUT_MS = 5_000;
const NAVIGATION_TIMEOUT_MS = 10_000;

/**
 * The chromium executable (`CHROMIUM_PATH`, else /usr/bin/chromium), or undefined when it is absent
 * on a developer's machine, which skips the browser tests with the reason printed. In CI
 * (`CI=true`) a missing browser fails: .ci/run installs it, so its absence is a broken setup.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exe = env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (existsSync(exe)) return exe;
  const why = `chromium not found at ${exe} (set CHROMIUM_PATH, or apt-get install chromium)`;
  if (env.CI === 'true') throw new Error(`${why}: the browser tests cannot be skipped in CI`);
  console.warn(`browser tests skipped: ${why}`);
  return undefined;
}

export interface BrowserSession {
  /** a new page in this test's context, with bounded timeouts and its console errors collected */
  page(): Promise<Page>;
  /** this test's context (made on first use, closed after the test) */
  context(): Promise<BrowserContext>;
  /**
   * a page in a context of its own (another person, the same person on another device, or a
   * browser with JavaScript off: `{ javaScriptEnabled: false }`), closed after the test
   */
  stranger(options?: BrowserContextOptions): Promise<Page>;
}

/**
 * Registers the hooks of a browser test file: launches chromium once (`executable` from
 * findChromium), and gives each test a fresh context, closed after it.
 */
export function useBrowser(executable: string | undefined): BrowserSession {
  let browser: Browser | undefined;
  let contexts: BrowserContext[] = [];
  let current: BrowserContext | undefined;
  beforeAll(async () => {
    if (executable) browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox'], timeout: NAVIGATION_TIMEOUT_MS });
  });
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
    current = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });
  const open = async (options: BrowserContextOptions = {}) => {
    if (!browser) throw new Error('no browser: guard the suite with describe.skipIf(!findChromium())');
    const c = await browser.newContext({ viewport: VIEWPORTS.laptop, locale: 'en-US', timezoneId: 'UTC', ...options });
    c.setDefaultTimeout(ACTION_TIMEOUT_MS);
    c.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    contexts.push(c);
    return c;
  };
  const pageIn = async (c: BrowserContext) => {
    const page = await c.newPage();
    watchProblems(page);
    return page;
  };
  const context = async () => (current ??= await open());
  return {
    context,
    page: async () => pageIn(await context()),
    stranger: async (options) => pageIn(await open(options)),
  };
}

// The functions given to page.evaluate run inside chromium; the project compiles without the DOM
// library (it is a Node program), so the few browser globals they use are declared here, in this module only.
declare const document: any;
declare const window: any;
declare function getComputedStyle(el: unknown): { overflowX: string };

const problems = new WeakMap<Page, string[]>();

/** console errors, uncaught exceptions and failed requests (a CSP refusal shows as a console error) */
function watchProblems(page: Page): void {
  const list: string[] = [];
  problems.set(page, list);
  page.on('console', (m) => {
    // a failed load is listed below with its address; the console line does not name it
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) list.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    // chromium asks for /favicon.ico by itself, whatever the page says
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') list.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => list.push(`exception: ${e.message}`));
  page.on('requestfailed', (r) => {
    // a live log's event stream is cut when the page goes away: that is not a problem of the page
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') list.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
}

/** What went wrong in the page so far (console errors, exceptions, failed requests), for `expect(...).toEqual([])`. */
export function pageProblems(page: Page): string[] {
  return [...(problems.get(page) ?? [])];
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

export interface A11yViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core inside the page (evaluated through the DevTools protocol, which the page's CSP
 * does not govern, so the app's policy stays as strict as it is) and fails on every `serious` or
 * `critical` violation, listing each rule with the elements it found. Returns the lesser ones.
 */
export async function checkA11y(page: Page, what = page.url()): Promise<A11yViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return (r.violations as any[]).map((v) => ({ id: v.id, impact: String(v.impact), help: v.help, targets: v.nodes.map((n: any) => n.target.join(' ')) }));
  });
  const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const lines = bad.map((v) => `  ${v.impact} ${v.id}: ${v.help}\n    ${v.targets.slice(0, 5).join('\n    ')}`);
    throw new Error(`accessibility of ${what}: ${bad.length} serious violation(s)\n${lines.join('\n')}`);
  }
  return found;
}

/**
 * Full-page screenshots of the page as it is, on a laptop and on a phone:
 * test-artifacts/screenshots/<name>-laptop.png and <name>-phone.png. The viewport is put back after.
 */
export async function shot(page: Page, name: string): Promise<string[]> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: use kebab-case letters and digits`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize() ?? VIEWPORTS.laptop;
  const files: string[] = [];
  try {
    for (const [label, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      const file = path.join(SCREENSHOTS, `${name}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
      files.push(file);
    }
  } finally {
    await page.setViewportSize(before);
  }
  return files;
}

/**
 * Whether the page is wider than its viewport at phone size (content that scrolls sideways):
 * the elements that stick out, by tag, id and class, or an empty list.
 */
export async function phoneOverflow(page: Page): Promise<string[]> {
  const before = page.viewportSize() ?? VIEWPORTS.laptop;
  await page.setViewportSize(VIEWPORTS.phone);
  try {
    return await page.evaluate(() => {
      const root = document.documentElement;
      if (root.scrollWidth <= root.clientWidth) return [];
      // inside a box that scrolls or clips sideways (a wide table in its own scroller) is fine
      const contained = (el: any) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return true;
        return false;
      };
      const out: string[] = [];
      for (const el of Array.from<any>(document.body.querySelectorAll('*'))) {
        // its box, or what overflows its box (one long word in a paragraph)
        const r = el.getBoundingClientRect();
        if (Math.max(r.right, r.left + el.scrollWidth) <= root.clientWidth + 1 || contained(el)) continue;
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}`);
      }
      return out.length ? out.slice(0, 10) : [`the page is ${root.scrollWidth}px wide`];
    });
  } finally {
    await page.setViewportSize(before);
  }
}
