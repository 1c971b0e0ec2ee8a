import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { said } from '../support/said.js';
import { shellActor } from '../../src/chat/shell/shell.js';
import { execute } from '../../src/commands/execute.js';
import { githubDeploymentRole } from '../../src/github/server.js';
import type { GantryEvent } from '../../src/notify/events.js';
import { busyboxContext, dockerClient, dockerServices, fetchManifest, type TestDockerServices } from '../support/docker.js';
import { prPayload, pushPayload } from './fake-github.js';
import { eventually, startGithubEnv, testLog, type GithubEnv } from './github-env.js';

/**
 * The whole path on the real parts: signed webhook → gantry's HTTP server → Redis → check run →
 * source tarball (GitHub's API, recorded shape) → real dockerd build → real registry push →
 * check run completed; then the release, /promote and the GitHub Deployment.
 */
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213';
const SHA2 = 'abcdef0123456789abcdef0123456789abcdef01';
const SHA3 = '5555555555555555555555555555555555555555';
const NAME = 'gantry / build (web)';

let services: TestDockerServices;
let docker: Docker;
beforeAll(async () => {
  services = await dockerServices();
  docker = dockerClient(services.dockerHost);
}, 120_000);
afterAll(async () => services?.stop());

describe('builds on the real engine, reported as check runs', () => {
  let env: GithubEnv;
  afterEach(async () => env?.close());

  const start = (name: string, o: Parameters<typeof startGithubEnv>[0] = { name }) =>
    startGithubEnv({ ...o, name, github: 'all', docker, env: { GANTRY_REGISTRY: services.registry, ...o.env } });

  it('pull_request.opened → check run queued → image built and pushed → check run completed with the digest', async () => {
    env = await start('gh-int');
    const cfg = 'images:\n  web:\n    args: { GREETING: bonjour }\ntest:\n  command: ["/bin/cat", "/greeting"]\n  timeout: 20s\n';
    env.gh.installationToken().repoConfig(SHA, cfg).checks().tarball(SHA, await busyboxContext('hello', { top: `acme-web-${SHA.slice(0, 7)}` }));
    const t0 = Date.now();
    const res = await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 42, sha: SHA }));
    expect(res.status).toBe(200);
    const queued = await eventually(() => env.gh.run(NAME, SHA), 10_000, 'check run');
    expect(queued.history[0]).toMatchObject({ status: 'queued', head_sha: SHA });
    expect(Date.now() - t0).toBeLessThan(5000);

    const done = await eventually(() => (env.gh.run(NAME, SHA)?.status === 'completed' ? env.gh.run(NAME, SHA) : undefined), 90_000, 'build to complete');
    expect(done.conclusion, done.output.summary).toBe('success');
    expect(done.history.some((b) => b.status === 'in_progress')).toBe(true);
    const digest = /`(sha256:[0-9a-f]{64})`/.exec(done.output.summary!)?.[1];
    expect(digest).toBeDefined();
    expect(done.output.summary).toContain(`${services.registry}/acme/web:pr-42-1a2b3c4`);
    expect(done.output.summary).toContain('smoke test | passed (exit 0');
    expect(done.output.text).toContain('bonjour from gantry');

    // the registry has exactly that manifest
    const manifest = await fetchManifest(services.registry, 'acme/web', digest!);
    expect(manifest.status).toBe(200);
    expect(manifest.digestHeader).toBe(digest);
    const byTag = await fetchManifest(services.registry, 'acme/web', 'sha-1a2b3c4');
    expect(byTag.digestHeader).toBe(digest);
    const info = await docker.getImage(`${services.registry}/acme/web:pr-42-1a2b3c4`).inspect();
    expect(info.Config.Labels).toMatchObject({ 'org.opencontainers.image.revision': SHA, 'org.opencontainers.image.source': 'https://github.com/acme/web', 'org.opencontainers.image.version': 'pr-42-1a2b3c4' });
    env.gh.assertDone();
  });

  it('100 redeliveries of one webhook, 50 of them at once: one check run, one build, one push', async () => {
    env = await start('gh-redeliver');
    // each of these answers once: a second config fetch, check run or tarball download fails the test
    env.gh.installationToken().repoConfig(SHA, undefined).checks().tarball(SHA, await busyboxContext('hello', { top: `acme-web-${SHA.slice(0, 7)}` }));
    const payload = prPayload(env.gh, { action: 'opened', number: 44, sha: SHA });
    const delivery = '0b9a5e80-8f5c-11ef-9b3f-6d4e0c6b1d2a';
    const statuses: number[] = [];
    // GitHub's "Redeliver", an impatient operator and a retrying proxy: 50 at once, then 50 more one by one while it builds
    statuses.push(...(await Promise.all(Array.from({ length: 50 }, () => env.send('pull_request', payload, delivery)))).map((r) => r.status));
    for (let i = 0; i < 50; i++) statuses.push((await env.send('pull_request', payload, delivery)).status);
    expect(statuses).toEqual(Array(100).fill(200));

    const done = await eventually(() => (env.gh.run(NAME, SHA)?.status === 'completed' ? env.gh.run(NAME, SHA) : undefined), 90_000, 'build to complete');
    expect(done.conclusion, done.output.summary).toBe('success');
    expect(env.gh.runs()).toHaveLength(1);
    // the check run is concluded a few Redis calls before the job itself completes
    await eventually(async () => (await env.builds!.queue.getJobCounts('active')).active === 0, 5000, 'the build job to end');
    expect(await env.events!.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
    expect(await env.builds!.queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
    // one build ran: the registry has the one image it pushed
    const digest = /`(sha256:[0-9a-f]{64})`/.exec(done.output.summary!)?.[1];
    expect((await fetchManifest(services.registry, 'acme/web', 'pr-44-1a2b3c4')).digestHeader).toBe(digest);
    env.gh.assertDone();
  });

  it('a failing Dockerfile step fails the check with an annotation on its line', async () => {
    env = await start('gh-fail');
    env.gh.installationToken().repoConfig(SHA, undefined).checks().tarball(SHA, await busyboxContext('failing'));
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 43, sha: SHA }));
    const done = await eventually(() => (env.gh.run(NAME, SHA)?.status === 'completed' ? env.gh.run(NAME, SHA) : undefined), 90_000, 'build to fail');
    expect(done.conclusion).toBe('failure');
    expect(done.output.title).toMatch(/^step 5 failed: RUN echo "about to fail"/);
    expect(done.output.annotations).toEqual([expect.objectContaining({ path: 'Dockerfile', start_line: 10, annotation_level: 'failure' })]);
    expect(done.output.annotations![0]!.message).toContain('about to fail');
    expect(done.output.summary).toContain('`Dockerfile` line 10');
    env.gh.assertDone();
  });

  it('a new push to the PR stops the running docker build of the old head; its check run ends cancelled', async () => {
    env = await start('gh-cancel');
    env.gh
      .installationToken()
      .repoConfig(SHA, 'images:\n  web:\n    args: { NONCE: "' + Date.now() + '" }\n')
      .repoConfig(SHA2, undefined)
      .checks()
      .tarball(SHA, await busyboxContext('slow'))
      .tarball(SHA2, await busyboxContext('hello'));
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 44, sha: SHA }));
    // the `sleep 60` step runs in a build container
    const sleeping = async () => (await docker.listContainers()).filter((c) => c.Command.includes('sleep 60'));
    await eventually(async () => (await sleeping()).length > 0, 60_000, 'the slow step to run');
    const t = Date.now();
    await env.send('pull_request', prPayload(env.gh, { action: 'synchronize', number: 44, sha: SHA2 }));
    const old = await eventually(() => (env.gh.run(NAME, SHA)?.status === 'completed' ? env.gh.run(NAME, SHA) : undefined), 30_000, 'old build to stop');
    expect(old.conclusion).toBe('cancelled');
    expect(old.output.summary).toContain('superseded by abcdef0');
    await eventually(async () => (await sleeping()).length === 0, 15_000, 'the build container to go');
    expect(Date.now() - t).toBeLessThan(30_000);
    const fresh = await eventually(() => (env.gh.run(NAME, SHA2)?.status === 'completed' ? env.gh.run(NAME, SHA2) : undefined), 90_000, 'new build');
    expect(fresh.conclusion).toBe('success');
    await eventually(async () => (await env.builds!.getJob(`acme/web@${SHA}/web/pr-44`))?.failedReason?.startsWith('BUILD_CANCELLED'), 5000, 'old job ended cancelled');
    env.gh.assertDone();
  });

  it('a tag push builds a release that /promote resolves; the deploy is recorded as a GitHub Deployment', async () => {
    env = await start('gh-tag', { name: 'gh-tag', deployWorkers: false });
    const events: GantryEvent[] = [];
    const { Redis } = await import('ioredis');
    const unsubscribe = await env.h.gantry.core.bus.subscribe(new Redis(env.h.gantry.redisUrl), (e) => events.push(e));
    const deployments = githubDeploymentRole({ core: env.h.gantry.core, settings: env.settings, log: testLog(), redisUrl: env.h.gantry.redisUrl, prefix: env.h.gantry.prefix, redis: env.h.gantry.redis });
    env.h.gantry.startWorkers(undefined, { afterDeploy: deployments.afterDeploy, notifiers: [deployments.notifier] });
    env.gh.installationToken().repoConfig(SHA3, undefined).checks().tarball(SHA3, await busyboxContext('hello'));
    const push = pushPayload(env.gh, { ref: 'refs/tags/v1.2.3', sha: SHA3 });
    push.head_commit.timestamp = '2026-11-30T16:00:00+08:00';
    await env.send('push', push);
    const release = await eventually(() => env.h.gantry.core.releases.get('web', 'v1.2.3'), 90_000, 'release');
    // the tagged commit's time, from the push: where /stats' lead time starts
    expect(release.changedAt).toBe('2026-11-30T08:00:00.000Z');
    const run = env.gh.run(NAME, SHA3)!;
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success', external_id: 'web|tag|v1.2.3' });
    expect(release).toMatchObject({ app: 'web', version: 'v1.2.3', commit: SHA3, url: `https://github.com/acme/web/runs/${run.id}`, registeredBy: 'github:gantry' });
    expect(release.images.web).toMatchObject({ repository: `${services.registry}/acme/web`, tag: 'v1.2.3' });
    expect(run.output.summary).toContain(release.images.web!.digest!);
    await eventually(() => events.find((e) => e.type === 'release-built'), 5000, 'release-built event');
    expect(events.find((e) => e.type === 'build-succeeded')).toBeDefined();

    // the hook authenticates on its own (app JWT, then an installation token)
    env.gh.deploymentsApi().installationToken();
    const reply = said(await execute(env.h.gantry.core, '/promote v1.2.3 qa', { actor: shellActor(env.h.gantry.core, 'carol') }));
    expect(reply.ok, reply.text).toBe(true);
    expect(await env.h.file('apps/web/qa/deployment.yaml')).toContain('image: registry.example.com/acme/web:v1.2.3');
    expect(reply.result!.commit).toBe(await env.h.head());
    await eventually(() => env.gh.deploymentStatuses.length === 1, 10_000, 'deployment status');
    expect(env.gh.deployments[0]).toMatchObject({ ref: SHA3, environment: 'qa', auto_merge: false, required_contexts: [], payload: { version: 'v1.2.3', commit: SHA3, deployCommit: reply.result!.commit } });
    expect(env.gh.deploymentStatuses[0]).toMatchObject({ state: 'success', description: `deployed web v1.2.3 to qa (deploy commit ${reply.result!.commit.slice(0, 7)})` });
    await unsubscribe();
    env.gh.assertDone();
  });

  it('a push to dev builds `dev-<sha7>` and auto-deploys it to qa through the deploy queue', async () => {
    env = await start('gh-auto');
    env.gh.installationToken().repoConfig(SHA2, undefined).checks().tarball(SHA2, await busyboxContext('hello'));
    await env.send('push', pushPayload(env.gh, { ref: 'refs/heads/dev', sha: SHA2 }));
    await eventually(async () => (await env.h.file('apps/web/qa/deployment.yaml')).includes('registry.example.com/acme/web:dev-abcdef0'), 90_000, 'auto-deploy to qa');
    const message = await env.h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Action: auto');
    expect(message).toContain('Gantry-Version: dev-abcdef0');
    expect(await env.h.gantry.core.releases.get('web', 'dev-abcdef0')).toMatchObject({ commit: SHA2 });
    env.gh.assertDone();
  });
});
