import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/server.js';
import type { GantryEvent } from '../../src/notify/events.js';
import { Keys } from '../../src/store/redis.js';
import { buildRoutes } from '../../src/web/builds/index.js';
import { webAuth } from '../../src/web/auth/index.js';
import { busyboxContext, dockerClient, dockerServices, type TestDockerServices } from '../support/docker.js';
import { prPayload } from '../github/fake-github.js';
import { eventually, startGithubEnv, testLog, type GithubEnv } from '../github/github-env.js';
import { serve } from '../http/serve.js';
import { sse } from '../support/sse.js';
import { signInAs } from '../support/web.js';

/**
 * Build pages on the real parts: a real docker build on the test dockerd, its log in the test's
 * Redis, read back by gantry's web routes over plain HTTP (the page, and the SSE stream a
 * browser's EventSource reads). GitHub is the recorded-shape fake of test/github/.
 */
// a commit of its own per run: the shared registry keeps release tags, and release tags never move
const SHA = randomBytes(20).toString('hex');
const PR = 1000 + (randomBytes(2).readUInt16BE() % 9000);
const NAME = 'gantry / build (web)';
const PUBLIC = 'https://gantry.example.com';

let services: TestDockerServices;
let docker: Docker;
beforeAll(async () => {
  services = await dockerServices();
  docker = dockerClient(services.dockerHost);
}, 120_000);
afterAll(async () => services?.stop());

describe('build pages', () => {
  let env: GithubEnv;
  let site: Awaited<ReturnType<typeof serve>> | undefined;
  /** the signed-in reader's Cookie header */
  let cookie: Record<string, string>;
  afterEach(async () => {
    await site?.close();
    site = undefined;
    await env?.close();
  });

  /**
   * gantry's GitHub face with its build worker, and sign-in plus the build routes on a server of
   * their own (the check runs link PUBLIC, which stands for it); alice signs in by a chat link.
   */
  async function start(name: string, o: { logLines?: number } = {}) {
    const routes: Route[] = [];
    site = await serve(routes);
    env = await startGithubEnv({
      name,
      github: 'all',
      docker,
      env: { GANTRY_REGISTRY: services.registry },
      worker: { publicUrl: PUBLIC },
      gantry: { publicUrl: site.url },
      ...(o.logLines ? { edit: (c: Record<string, any>) => void (c.builds = { logLines: o.logLines }) } : {}),
    });
    const g = env.h.gantry;
    const deps = { services: g.services, redis: g.redis, keys: new Keys(env.h.prefix), log: testLog(), publicUrl: site.url, now: () => new Date() };
    const auth = webAuth(deps, {});
    routes.push(...auth.routes, ...buildRoutes(deps, auth.access, { heartbeatMs: 200 }));
    cookie = { cookie: (await signInAs(site.url, g.services.execute, 'shell:alice')).cookie };
    return site.url;
  }

  /** the build id from the check run's details_url, as GitHub got it when the run was created */
  async function buildIdOf(): Promise<string> {
    const run = await eventually(() => env.gh.run(NAME, SHA), 10_000, 'check run');
    const details = run.history[0]!.details_url as string;
    expect(details).toMatch(new RegExp(`^${PUBLIC}/builds/[A-Za-z0-9_-]{22}$`));
    return details.slice(`${PUBLIC}/builds/`.length);
  }

  it('streams a real build\'s lines over SSE while it runs, keeps them after, links the page from the check run and chat', async () => {
    const web = await start('web-builds-live', { logLines: 100 });
    const published: GantryEvent[] = [];
    const unsubscribe = await env.h.gantry.core.bus.subscribe(new Redis(env.h.gantry.redisUrl), (e) => published.push(e));
    const cfg = `images:\n  web:\n    args: { NONCE: "${Date.now()}" }\n`;
    env.gh.installationToken().repoConfig(SHA, cfg).checks().tarball(SHA, await busyboxContext('chatty', { top: `acme-web-${SHA.slice(0, 7)}` }));
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: PR, sha: SHA }));
    const id = await buildIdOf();

    // the page exists once the build started: running, with the live script
    const running = await eventually(async () => {
      const r = await fetch(`${web}/builds/${id}`, { headers: cookie });
      return r.status === 200 ? r.text() : undefined;
    }, 60_000, 'build page');
    expect(running).toContain('running');
    expect(running).toContain('<script src="/assets/live-log.js" defer></script>');

    const live = sse(`${web}/builds/${id}/events`, { headers: cookie });
    await live.ended;
    expect(live.status()).toBe(200);
    const ticks = live.events.filter((e) => /^tick \d$/.test(e.data));
    expect(ticks.map((e) => e.data)).toEqual(['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5', 'tick 6', 'tick 7', 'tick 8']);
    // they came while the build ran, half a second apart, not all at its end
    expect(ticks[7]!.at - ticks[0]!.at).toBeGreaterThan(2000);
    const end = live.events[live.events.length - 1]!;
    expect(end).toMatchObject({ event: 'end', data: 'succeeded' });
    // each line once, in stream order
    const ids = live.events.map((e) => e.id!);
    expect(new Set(ids).size).toBe(ids.length);

    const done = await eventually(() => (env.gh.run(NAME, SHA)?.status === 'completed' ? env.gh.run(NAME, SHA) : undefined), 30_000, 'check run completed');
    expect(done.conclusion, done.output.summary).toBe('success');
    const digest = /`(sha256:[0-9a-f]{64})`/.exec(done.output.summary!)![1]!;
    expect(done.history.find((b) => b.status === 'in_progress')?.details_url).toBe(`${PUBLIC}/builds/${id}`);

    // kept after the end: the page, bounded to the last 100 lines and saying so
    const page = await (await fetch(`${web}/builds/${id}`, { headers: cookie })).text();
    expect(page).toContain('succeeded');
    expect(page).toContain(digest);
    expect(page).toContain(`${services.registry}/acme/web:pr-${PR}-${SHA.slice(0, 7)}`);
    expect(page).toContain('bulk line 299');
    expect(page).not.toContain('bulk line 150\n');
    expect(page).toMatch(/The log was cut: its first \d+ lines are not kept \(at most 100 lines per build\)/);
    expect(page).not.toContain('live-log.js');

    // a reconnect with Last-Event-ID replays only what followed, then ends
    const from = live.events[live.events.length - 5]!;
    const again = sse(`${web}/builds/${id}/events`, { headers: { ...cookie, 'last-event-id': from.id! } });
    await again.ended;
    expect(again.events.map((e) => e.data)).toEqual(live.events.slice(-4).map((e) => e.data));

    // the chat report links the page, not the check run
    const report = await eventually(() => published.find((e) => e.type === 'build-succeeded'), 10_000, 'build-succeeded event');
    expect(report.type === 'build-succeeded' && report.build.url).toBe(`${PUBLIC}/builds/${id}`);
    await unsubscribe();
    env.gh.assertDone();
  });

  it("a failing build's page highlights the failing step and its Dockerfile line", async () => {
    const web = await start('web-builds-fail');
    env.gh.installationToken().repoConfig(SHA, undefined).checks().tarball(SHA, await busyboxContext('failing'));
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: PR + 1, sha: SHA }));
    const id = await buildIdOf();
    await eventually(() => env.gh.run(NAME, SHA)?.status === 'completed', 90_000, 'build to fail');
    const res = await fetch(`${web}/builds/${id}`, { headers: cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain('<span class="build-state build-state-failed">failed</span>');
    expect(page).toContain('<mark class="dockerfile-line">Dockerfile, line 10</mark>');
    expect(page).toMatch(/<mark id="failed-step" class="failed-step">Step 5\/\d+ : RUN echo &quot;about to fail&quot;/);
    // the step's output is in the log, its terminal colours removed
    expect(page).toContain('\non stderr too\n');
    // a finished build's events are a replay that ends at once
    const replay = sse(`${web}/builds/${id}/events`, { headers: cookie });
    await replay.ended;
    expect(replay.events.at(-1)).toMatchObject({ event: 'end', data: 'failed' });
    env.gh.assertDone();
  });

  it('unknown and malformed ids answer 404, a forged Last-Event-ID 400, and show nothing', async () => {
    const web = await start('web-builds-404');
    for (const path of ['/builds/AAAAAAAAAAAAAAAAAAAAAA', '/builds/..%2F..%2Fetc', '/builds/constructor', '/builds/__proto__/events', '/builds/x/y/z']) {
      const res = await fetch(`${web}${path}`, { headers: cookie });
      expect(res.status, path).toBe(404);
    }
    expect(await (await fetch(`${web}/builds/AAAAAAAAAAAAAAAAAAAAAA`, { headers: cookie })).text()).toContain('No build with this id');
    // a stream id that is no stream id is refused before any lookup
    const bad = await fetch(`${web}/builds/AAAAAAAAAAAAAAAAAAAAAA/events`, { headers: { ...cookie, 'last-event-id': '1-0; DEL *' } });
    expect(bad.status).toBe(400);
    const list = await fetch(`${web}/builds`, { headers: cookie });
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('No builds in the last 14d.');
  });

  it("a queued build's page exists before a builder takes it (the check run links it at once), then follows the build", async () => {
    const web = await start('web-builds-queued');
    const g = env.h.gantry;
    const { BuildLogStore } = await import('../../src/images/build-log.js');
    const store = new BuildLogStore(g.redis, new Keys(env.h.prefix), { retentionMs: 60_000, maxLines: 100 });
    const id = 'QQQQQQQQQQQQQQQQQQQQQQ';
    const meta = { app: 'web', image: 'web', repo: 'acme/web', sha: SHA, version: 'pr-7', trigger: 'pr #7', dockerfile: 'Dockerfile' };
    await store.queued(id, meta);
    const queued = await fetch(`${web}/builds/${id}`, { headers: cookie });
    expect(queued.status).toBe(200);
    const page = await queued.text();
    expect(page).toContain('queued, waiting for a builder');
    expect(page).toContain(`data-events="/builds/${id}/events"`);
    // the builder starts, writes and ends: the same page now has the log and the outcome
    const w = await store.start(id, meta);
    w.line('Step 1/1 : FROM scratch');
    await w.close();
    await store.end(id, { state: 'succeeded', ref: 'registry.example/web:pr-7', digest: `sha256:${'a'.repeat(64)}` });
    // a retried event queues it again: the page keeps what it has
    await store.queued(id, meta);
    const done = await (await fetch(`${web}/builds/${id}`, { headers: cookie })).text();
    expect(done).toContain('Step 1/1 : FROM scratch');
    expect(done).toContain('succeeded');
    expect(done).not.toContain('queued, waiting for a builder');
  });

  it('someone not signed in, or with a forged cookie, gets no page and no log', async () => {
    const web = await start('web-builds-closed');
    const g = env.h.gantry;
    const { BuildLogStore } = await import('../../src/images/build-log.js');
    const store = new BuildLogStore(g.redis, new Keys(env.h.prefix), { retentionMs: 60_000, maxLines: 100 });
    const w = await store.start('BBBBBBBBBBBBBBBBBBBBBB', { app: 'web', image: 'web', repo: 'acme/web', sha: SHA, version: 'pr-1', trigger: 'pr #1', dockerfile: 'Dockerfile' });
    w.line('secret-looking line');
    await w.close();
    const signedIn = await fetch(`${web}/builds/BBBBBBBBBBBBBBBBBBBBBB`, { headers: cookie });
    expect(await signedIn.text()).toContain('secret-looking line');
    const forged = `${cookie.cookie!.slice(0, -4)}AAAA`;
    for (const path of ['/builds', '/builds/BBBBBBBBBBBBBBBBBBBBBB', '/builds/BBBBBBBBBBBBBBBBBBBBBB/events']) {
      for (const headers of [{}, { cookie: forged }] as Record<string, string>[]) {
        const res = await fetch(`${web}${path}`, { headers, redirect: 'manual' });
        expect(res.status, path).toBe(303);
        expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
        expect(await res.text()).not.toContain('secret-looking');
      }
    }
  });
});
