import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, listen } from '../../src/http/server.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { Keys } from '../../src/store/redis.js';
import { LoginLinks } from '../../src/web/auth/links.js';
import type { WebDeps } from '../../src/web/deps.js';
import { webRoutes } from '../../src/web/routes.js';
import { checkA11y, findChromium, pageProblems, shot, useBrowser } from '../support/browser.js';
import { busyboxContext, dockerClient, dockerServices, type TestDockerServices } from '../support/docker.js';
import { prPayload } from '../github/fake-github.js';
import { eventually, startGithubEnv, testLog, type GithubEnv } from '../github/github-env.js';

/**
 * A developer clicks "Details" on gantry's check run: the build's page in chromium, its lines
 * arriving while a real docker build runs (the test's dockerd and registry), and all of them still
 * there after it ended, with the image reference and digest. GitHub is the recorded-shape fake.
 */
const chromiumPath = findChromium();

const SHA = '2b3c4d5e6f708192a3b4c5d6e7f8091011121314';
const NAME = 'gantry / build (web)';
const PR = 1000 + (randomBytes(2).readUInt16BE() % 9000);
const TICK = /^tick (\d)$/gm;

describe.skipIf(!chromiumPath)('a build page in a real browser', () => {
  const b = useBrowser(chromiumPath);
  let services: TestDockerServices;
  let docker: Docker;
  let env: GithubEnv;
  let server: Server;
  let base: string;
  let links: LoginLinks;

  beforeAll(async () => {
    services = await dockerServices();
    docker = dockerClient(services.dockerHost);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = await startGithubEnv({
      name: 'browser-build',
      github: 'all',
      docker,
      env: { GANTRY_REGISTRY: services.registry },
      // check runs link the build page on this server
      worker: { publicUrl: base },
      edit: (c) => void (c.builds = { logLines: 1000 }),
    });
    const g = env.h.gantry;
    const now = () => new Date();
    const deps: WebDeps = { services: g.services, redis: g.redis, keys: new Keys(env.h.prefix), log: testLog(), publicUrl: base, now };
    server = createHttpServer(webRoutes(deps, { sessionSecret: 'browser-build-session-secret-0123456789abcdef' }), testLog());
    await listen(server, port, '127.0.0.1');
    // the links /gantry login hands out (browser.test.ts signs in through chat; here only the page matters)
    links = new LoginLinks(g.redis, new Keys(env.h.prefix), { ttlMs: 60_000, now, publicUrl: () => base });
  }, 120_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await env?.close();
    await services?.stop();
  });

  /** a page signed in by a one-time link, as carol */
  async function signedIn(page: Page): Promise<Page> {
    await page.goto((await links.issue('shell:carol')).url);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL(`${base}/`);
    return page;
  }

  it("streams a real build's lines into the page while it runs, and keeps them after, with the image and digest", async () => {
    const page = await signedIn(await b.page());

    const cfg = `images:\n  web:\n    args: { NONCE: "${Date.now()}" }\n`;
    env.gh.installationToken().repoConfig(SHA, cfg).checks().tarball(SHA, await busyboxContext('chatty', { top: `acme-web-${SHA.slice(0, 7)}` }));
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: PR, sha: SHA }));
    const run = await eventually(() => env.gh.run(NAME, SHA), 30_000, 'check run');
    const details = run.history[0]!.details_url as string;
    expect(details).toMatch(new RegExp(`^${base}/builds/[A-Za-z0-9_-]{22}$`));

    // "Details": the page exists once the build has started (a 404 before that is not counted below)
    await eventually(async () => (await page.goto(details))?.status() === 200, 60_000, 'build page');
    const problemsBefore = pageProblems(page).length;
    const log = page.locator('#build-log');
    const atLoad = (await log.textContent()) ?? '';
    const ticksAtLoad = [...atLoad.matchAll(TICK)].length;
    await checkA11y(page, 'build page (running)');
    await shot(page, 'build-running');

    // the ticks come half a second apart, each appended to the same page (no reload in between)
    const loads: number[] = [];
    page.on('load', () => loads.push(Date.now()));
    const seen = new Map<string, number>();
    await eventually(async () => {
      const text = loads.length ? '' : ((await log.textContent()) ?? '');
      for (const [t] of text.matchAll(TICK)) if (!seen.has(t)) seen.set(t, Date.now());
      return seen.size === 8 || loads.length > 0;
    }, 60_000, 'tick lines in the page');
    expect(loads, 'the page reloaded before all ticks arrived live').toEqual([]);
    expect(ticksAtLoad, 'the build was over before the page could follow it').toBeLessThan(8);
    const live = [...seen.entries()].filter(([t]) => !atLoad.includes(t)).map(([, at]) => at);
    expect(live.length).toBeGreaterThanOrEqual(2);
    // they arrived as the build printed them (half a second apart, give or take the log's batching
    // on a busy machine), not in one piece at its end
    expect(Math.max(...live) - Math.min(...live)).toBeGreaterThan(400);
    await shot(page, 'build-streaming');

    // at the end the page shows the outcome by itself (live-log.js reloads it once)
    await page.locator('.build-state-succeeded').waitFor({ timeout: 60_000 });
    const done = await eventually(() => (env.gh.run(NAME, SHA)?.status === 'completed' ? env.gh.run(NAME, SHA) : undefined), 30_000, 'check run completed');
    expect(done.conclusion, done.output.summary).toBe('success');
    const digest = /`(sha256:[0-9a-f]{64})`/.exec(done.output.summary!)![1]!;

    // kept: a fresh visit (another device) reads the whole log, the image and the digest, without the live script
    const later = await signedIn(await b.stranger());
    expect((await later.goto(details))?.status()).toBe(200);
    const kept = (await later.locator('#build-log').textContent()) ?? '';
    expect([...kept.matchAll(TICK)].map((m) => m[1])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(kept).toContain('bulk line 299');
    const facts = (await later.locator('main').textContent()) ?? '';
    expect(facts).toContain(digest);
    expect(facts).toContain(`${services.registry}/acme/web:pr-${PR}-${SHA.slice(0, 7)}`);
    expect(await later.locator('script[src*="live-log"]').count()).toBe(0);
    await checkA11y(later, 'build page (done)');
    await shot(later, 'build-done');
    expect(pageProblems(page).slice(problemsBefore)).toEqual([]);
    expect(pageProblems(later)).toEqual([]);
    env.gh.assertDone();
  });

  it("a failed build's page points at the failing Dockerfile line and step, and the list of builds reads", async () => {
    const sha = SHA.replace(/^2/, '3');
    // the installation token is cached and the check-run mocks persist from the test before
    env.gh.repoConfig(sha, undefined).tarball(sha, await busyboxContext('failing', { top: `acme-web-${sha.slice(0, 7)}` }));
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: PR + 1, sha }));
    const run = await eventually(() => (env.gh.run(NAME, sha)?.status === 'completed' ? env.gh.run(NAME, sha) : undefined), 90_000, 'build to fail');
    expect(run.conclusion).toBe('failure');
    const page = await signedIn(await b.page());
    expect((await page.goto(run.history[0]!.details_url as string))?.status()).toBe(200);
    // the line and the step, highlighted, and the link from the summary to the step in the log
    expect(await page.locator('mark.dockerfile-line').textContent()).toContain('line 10');
    const step = page.locator('#failed-step');
    expect(await step.textContent()).toMatch(/^Step 5\/\d+ : RUN echo "about to fail"/);
    await page.locator('a[href="#failed-step"]').click();
    expect(new URL(page.url()).hash).toBe('#failed-step');
    expect(await step.isVisible()).toBe(true);
    await checkA11y(page, 'build page (failed)');
    await shot(page, 'build-failed');
    expect((await page.goto(`${base}/builds`))?.status()).toBe(200);
    expect(await page.locator('main').textContent()).toMatch(/failed[\s\S]*succeeded|succeeded[\s\S]*failed/);
    await checkA11y(page, 'builds list');
    await shot(page, 'builds');
    expect(pageProblems(page)).toEqual([]);
    env.gh.assertDone();
  });
});
