import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { githubRoutes, startGithubWorkers, WEBHOOK_PATH } from '../../src/github/server.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { eventJobId } from '../../src/github/ingest.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { commentPayload, prPayload, pushPayload } from './fake-github.js';
import { eventually, sleep, startGithubEnv, testLog, testSettings, WEBHOOK_SECRET, type GithubEnv } from './github-env.js';

const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213';
const SHA2 = 'abcdef0123456789abcdef0123456789abcdef01';

describe('GitHub webhooks → queued events → check runs and build jobs (no engine)', () => {
  let env: GithubEnv;
  afterEach(async () => env?.close());

  it('pull_request.opened: the check run is created queued and a build job waits with the PR tags', async () => {
    env = await startGithubEnv({ name: 'gh-pr' });
    env.gh.installationToken().repoConfig(SHA, undefined).checks({ updates: false });
    const res = await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 7, sha: SHA }));
    expect(res.status).toBe(200);
    const run = await eventually(() => env.gh.run('gantry / build (web)', SHA), 10_000, 'check run');
    expect(run).toMatchObject({ status: 'queued', external_id: 'web|pr|7' });
    expect(run.output.summary).toContain('pr-7-1a2b3c4');
    const job = await eventually(() => env.builds!.getJob(`acme/web@${SHA}/web/pr-7`), 5000, 'build job');
    expect(job.data).toMatchObject({ checkRunId: run.id, tags: ['pr-7-1a2b3c4', 'sha-1a2b3c4'], version: 'pr-7-1a2b3c4', dockerfile: 'Dockerfile', context: '.' });
    expect(job.data.repository).toBe('registry.example.com/acme/web');
    expect(job.data.labels).toMatchObject({ 'org.opencontainers.image.source': 'https://github.com/acme/web', 'org.opencontainers.image.revision': SHA });
    env.gh.assertDone();
  });

  it('rejects a delivery with a bad signature, and ignores repos no app is built from', async () => {
    env = await startGithubEnv({ name: 'gh-sig', github: 'none' });
    const payload = prPayload(env.gh, { action: 'opened', number: 1, sha: SHA });
    const body = JSON.stringify(payload);
    const bad = await fetch(`${env.url}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'd-bad', 'x-hub-signature-256': `sha256=${createHmac('sha256', 'wrong').update(body).digest('hex')}` },
      body,
    });
    expect(bad.status).toBe(400);
    payload.repository.name = 'other';
    payload.repository.full_name = 'acme/other';
    const unknown = await env.send('pull_request', payload, 'd-unknown');
    expect(unknown.status).toBe(200);
    // nothing reached the inbox: the bad signature was refused, the unknown repo ignored
    expect(await env.inboxLength()).toBe(0);
  });

  it('a redelivered webhook does nothing twice: one event job, one check run', async () => {
    env = await startGithubEnv({ name: 'gh-dup' });
    env.gh.installationToken().repoConfig(SHA, undefined).checks({ updates: false });
    const payload = prPayload(env.gh, { action: 'opened', number: 8, sha: SHA });
    const first = await env.send('pull_request', payload, 'delivery-72d3162e');
    const second = await env.send('pull_request', payload, 'delivery-72d3162e');
    expect([first.status, second.status]).toEqual([200, 200]);
    await eventually(async () => (await env.events!.getJobCounts('completed')).completed === 1, 10_000, 'event handled');
    // an hour later the event job is gone; a redelivery still does nothing (the inbox remembers the id for 3 days)
    await (await env.events!.getJob(eventJobId('delivery-72d3162e')))!.remove();
    expect((await env.send('pull_request', payload, 'delivery-72d3162e')).status).toBe(200);
    await sleep(500);
    expect(await env.events!.getJob(eventJobId('delivery-72d3162e'))).toBeUndefined();
    expect(await env.events!.getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 0, active: 0, completed: 0 });
    expect(env.gh.runs()).toHaveLength(1);
    expect(await env.builds!.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    env.gh.assertDone();
  });

  it('an invalid .github/gantry.yml fails the check run naming the line and key, and builds nothing', async () => {
    env = await startGithubEnv({ name: 'gh-badcfg' });
    const text = ['images:', '  web:', '    dockerfile: Dockerfile', '    target: 12 stages', 'autoDeploy:', '  prod: { tags: ["v*"] }', ''].join('\n');
    env.gh.installationToken().repoConfig(SHA, text).checks({ updates: false });
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 9, sha: SHA }));
    const run = await eventually(() => env.gh.run('gantry / build (web)'), 10_000, 'check run');
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run.output.summary).toContain('.github/gantry.yml line 4: images.web.target must be a stage name');
    expect(run.output.summary).toContain('.github/gantry.yml line 6: autoDeploy.prod cannot be auto-deployed: prod needs 1 approval(s)');
    expect(run.output.annotations?.[0]).toMatchObject({ path: '.github/gantry.yml', start_line: 4, annotation_level: 'failure' });
    expect(await env.builds!.queue.getJobCounts('waiting')).toEqual({ waiting: 0 });
    env.gh.assertDone();
  });

  it('a new push to the PR cancels the queued build of the old head (check run cancelled)', async () => {
    env = await startGithubEnv({ name: 'gh-supersede' });
    env.gh.installationToken().repoConfig(SHA, undefined).repoConfig(SHA2, undefined).checks();
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 10, sha: SHA }));
    const old = await eventually(() => env.gh.run('gantry / build (web)', SHA), 10_000, 'first check run');
    await env.send('pull_request', prPayload(env.gh, { action: 'synchronize', number: 10, sha: SHA2 }));
    const fresh = await eventually(() => env.gh.run('gantry / build (web)', SHA2), 10_000, 'second check run');
    expect(fresh.status).toBe('queued');
    // the old head's check run is concluded by the new head's event (before or after it queues its
    // own build); under a loaded CI machine that took more than 10 s twice, so allow 30 s (it
    // returns as soon as the run is concluded)
    await eventually(() => env.gh.checkRuns.get(old.id)?.status === 'completed', 30_000, 'old check run concluded');
    expect(env.gh.checkRuns.get(old.id)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect(env.gh.checkRuns.get(old.id)!.output.summary).toContain('superseded by abcdef0');
    expect(await env.builds!.getJob(`acme/web@${SHA}/web/pr-10`)).toBeUndefined();
    await eventually(() => env.builds!.getJob(`acme/web@${SHA2}/web/pr-10`), 5000, 'new build job');
    // closing the PR cancels what is left
    await env.send('pull_request', prPayload(env.gh, { action: 'closed', number: 10, sha: SHA2 }));
    await eventually(() => env.gh.checkRuns.get(fresh.id)!.conclusion === 'cancelled', 10_000, 'cancelled on close');
    expect(env.gh.checkRuns.get(fresh.id)!.output.summary).toContain('the pull request was closed');
    expect(await env.builds!.getJob(`acme/web@${SHA2}/web/pr-10`)).toBeUndefined();
    env.gh.assertDone();
  });

  it('a fork PR is not built until a user with write permission comments /gantry build', async () => {
    env = await startGithubEnv({ name: 'gh-fork' });
    const cfg = 'images:\n  web:\n    args:\n      MODE: release\n      TOKEN: { env: GANTRY_BUILD_ARG_NPM_TOKEN }\n      PLAIN_SECRET: { value: s3cr3t, secret: true }\n';
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 11, sha: SHA, fork: true, headRef: 'patch-1' }));
    await eventually(async () => (await env.events!.getJobCounts('completed')).completed === 1, 5000, 'event handled');
    expect(env.gh.runs()).toHaveLength(0);

    // a reader asks: refused (the permission API says read)
    env.gh.installationToken().permission('mallory', 'read');
    await env.send('issue_comment', commentPayload(env.gh, { number: 11, login: 'mallory', body: '/gantry build' }));
    await eventually(async () => (await env.events!.getJobCounts('completed')).completed === 2, 5000, 'comment handled');
    expect(env.gh.runs()).toHaveLength(0);
    expect(await env.builds!.queue.getJobCounts('waiting')).toEqual({ waiting: 0 });
    env.gh.assertDone();

    // a writer asks: built, with fork restrictions
    env.gh.permission('hubot', 'write').pull(11, { sha: SHA, headRef: 'patch-1', fork: true }).repoConfig(SHA, cfg).checks({ updates: false });
    await env.send('issue_comment', commentPayload(env.gh, { number: 11, login: 'hubot', body: 'looks safe\n/gantry build' }));
    const run = await eventually(() => env.gh.run('gantry / build (web)'), 10_000, 'check run');
    expect(run.status).toBe('queued');
    const job = await eventually(() => env.builds!.getJob(`acme/web@${SHA}/web/pr-11`), 5000, 'build job');
    expect(job.data.tags).toEqual(['pr-11-1a2b3c4']);
    expect(job.data.args).toEqual({ MODE: { value: 'release' } });
    expect(job.data.trigger).toMatchObject({ kind: 'pr', fork: true });
    env.gh.assertDone();
  });

  it('branch pushes build only when the rules say so; check_run.rerequested builds again', async () => {
    env = await startGithubEnv({ name: 'gh-push' });
    env.gh.installationToken().repoConfig(SHA, undefined).repoConfig(SHA2, 'builds:\n  branches: [main]\n').checks({ updates: false });
    await env.send('push', pushPayload(env.gh, { ref: 'refs/heads/feature/x', sha: SHA }));
    await env.send('push', pushPayload(env.gh, { ref: 'refs/heads/main', sha: SHA2 }));
    const jobId = `acme/web@${SHA2}/web/branch-main`;
    const job = await eventually(() => env.builds!.getJob(jobId), 10_000, 'build job');
    await eventually(async () => (await env.events!.getJobCounts('completed')).completed === 2, 5000, 'both pushes handled');
    expect(env.gh.runs()).toHaveLength(1);
    expect(env.gh.runs()[0]!.external_id).toBe('web|branch|main');
    expect(job.data).toMatchObject({ version: 'main-abcdef0', tags: ['main-abcdef0', 'sha-abcdef0'] });
    // the build finished long ago (job cleaned up); "Re-run" on the check
    await job.remove();
    env.gh.repoConfig(SHA2, 'builds:\n  branches: [main]\n');
    const rerun = { action: 'rerequested', installation: { id: env.gh.installationId }, repository: { name: 'web', full_name: 'acme/web', owner: { login: 'acme' } } };
    const { example } = await import('./fake-github.js');
    const payload = { ...example('check_run', (e) => e.action === 'rerequested'), ...rerun };
    payload.check_run.app.id = 1;
    payload.check_run.external_id = 'web|branch|main';
    payload.check_run.head_sha = SHA2;
    await env.send('check_run', payload);
    await eventually(async () => env.gh.runs().length === 2 && (await env.builds!.getJob(jobId))?.data.checkRunId === env.gh.runs()[1]!.id, 10_000, 'rebuild queued with a new check run');
    expect(env.gh.runs()).toHaveLength(2);
    env.gh.assertDone();
  });

  it('check_suite.rerequested rebuilds every gantry check run of the suite', async () => {
    env = await startGithubEnv({ name: 'gh-suite' });
    env.gh.installationToken().repoConfig(SHA, undefined).repoConfig(SHA, undefined).pull(13, { sha: SHA, headRef: 'feature', fork: false }).checks({ updates: false });
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 13, sha: SHA }));
    const job = await eventually(() => env.builds!.getJob(`acme/web@${SHA}/web/pr-13`), 10_000, 'build job');
    await job.remove();
    const first = env.gh.runs()[0]!;
    env.gh.api.get('/repos/acme/web/check-suites/5/check-runs').query(true).reply(200, {
      total_count: 2,
      check_runs: [
        { id: first.id, name: first.name, head_sha: SHA, external_id: 'web|pr|13', status: 'completed', conclusion: 'failure', app: { id: 1, slug: 'gantry' } },
        { id: 99, name: 'ci / test', head_sha: SHA, external_id: '', status: 'completed', conclusion: 'success', app: { id: 15368, slug: 'github-actions' } },
      ],
    });
    const { example } = await import('./fake-github.js');
    const payload = example('check_suite', (e) => e.action === 'rerequested');
    Object.assign(payload, { installation: { id: env.gh.installationId }, repository: { ...payload.repository, name: 'web', full_name: 'acme/web', owner: { ...payload.repository.owner, login: 'acme' } } });
    payload.check_suite.app.id = 1;
    payload.check_suite.id = 5;
    payload.check_suite.head_sha = SHA;
    await env.send('check_suite', payload);
    await eventually(async () => env.gh.runs().length === 2 && (await env.builds!.getJob(`acme/web@${SHA}/web/pr-13`))?.data.checkRunId === env.gh.runs()[1]!.id, 10_000, 'rebuild');
    env.gh.assertDone();
  });

  it('events a dead pump left half-moved are queued by the next one', async () => {
    env = await startGithubEnv({ name: 'gh-pump', github: 'none' });
    const event = { type: 'push', kind: 'branch', name: 'feature/x', sha: SHA, installationId: 42, owner: 'acme', repo: 'web', delivery: 'd-moving', app: 'web', receivedAt: new Date().toISOString() };
    await env.h.gantry.redis.lpush(`${env.h.prefix}:gh:inbox:moving`, JSON.stringify(event));
    env.gh.installationToken().repoConfig(SHA, undefined);
    const workers = startGithubWorkers({ core: env.h.gantry.core, redisUrl: env.h.gantry.redisUrl, prefix: env.h.prefix, settings: env.settings, log: testLog(), only: 'events' });
    try {
      await eventually(async () => (await workers.events!.getJob(eventJobId('d-moving')))?.returnvalue === 'not-built', 10_000, 'event handled');
      expect(await env.h.gantry.redis.llen(`${env.h.prefix}:gh:inbox:moving`)).toBe(0);
      env.gh.assertDone();
    } finally {
      await workers.close();
    }
  });

  it('answers 5xx when Redis cannot take the event, so the delivery is retried', async () => {
    const port = await freePort();
    const base = await startGithubEnv({ name: 'gh-down', github: 'none' });
    env = base;
    const { routes, close } = await githubRoutes({ core: base.h.gantry.core, redisUrl: `redis://127.0.0.1:${port}`, prefix: base.h.prefix, settings: testSettings(), log: testLog() });
    const server = createHttpServer(routes, testLog());
    const p = await listen(server, 0, '127.0.0.1');
    try {
      const body = JSON.stringify(prPayload(base.gh, { action: 'opened', number: 12, sha: SHA }));
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${p}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'd-down', 'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}` },
        body,
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      server.close();
      await close();
    }
  });
});
