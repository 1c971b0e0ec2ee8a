import { afterEach, describe, expect, it } from 'vitest';
import { commentPayload, example, prPayload, pushPayload } from './fake-github.js';
import { eventually, sleep, startGithubEnv, type GithubEnv } from './github-env.js';

/**
 * A signed payload replayed under a new delivery id (someone who captured one delivery, a proxy
 * that retries with fresh headers) must not act twice: the inbox drops an event whose act (the
 * repository and what the event acts on, src/github/events.ts) it has seen, whatever its delivery
 * id. Each replay here is the same body, signed, under another id; the FakeGithub mocks answer
 * once, so a second act would also fail the test through a missing mock.
 */
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213';
const SHA2 = 'abcdef0123456789abcdef0123456789abcdef01';

describe('a signed payload replayed under new delivery ids acts once', () => {
  let env: GithubEnv;
  afterEach(async () => env?.close());

  /** Sends the payload under `times` fresh delivery ids; all are acknowledged (GitHub must not retry them). */
  async function replay(event: string, payload: unknown, times = 3): Promise<void> {
    const statuses = [];
    for (let i = 0; i < times; i++) statuses.push((await env.send(event, payload)).status);
    expect(statuses).toEqual(Array(times).fill(200));
  }

  /** Waits until the event queue settles, then returns its completed and failed counts. */
  async function settled(expected: number) {
    await eventually(async () => (await env.events!.getJobCounts('completed')).completed! >= expected, 10_000, 'events handled');
    await sleep(500); // a second event, had one been queued, would be handled by now
    return env.events!.getJobCounts('waiting', 'active', 'completed', 'failed');
  }

  it('pull_request.synchronize for the same head: one event job, one check run, one build', async () => {
    env = await startGithubEnv({ name: 'gh-replay-pr' });
    env.gh.installationToken().repoConfig(SHA2, undefined).checks();
    await replay('pull_request', prPayload(env.gh, { action: 'synchronize', number: 21, sha: SHA2 }));
    expect(await settled(1)).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
    expect(env.gh.runs()).toHaveLength(1);
    expect(await env.builds!.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });

    // a new event on the same pull request is no replay: closing it still cancels the build
    await env.send('pull_request', prPayload(env.gh, { action: 'closed', number: 21, sha: SHA2 }));
    await eventually(() => env.gh.runs()[0]!.conclusion === 'cancelled', 10_000, 'cancelled on close');
    env.gh.assertDone();
  });

  it('push (same ref and after): one event job, one check run', async () => {
    env = await startGithubEnv({ name: 'gh-replay-push' });
    env.gh.installationToken().repoConfig(SHA2, 'builds:\n  branches: [main]\n').checks({ updates: false });
    await replay('push', pushPayload(env.gh, { ref: 'refs/heads/main', sha: SHA2 }));
    expect(await settled(1)).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
    expect(env.gh.runs()).toHaveLength(1);
    expect(await env.builds!.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    env.gh.assertDone();
  });

  it('check_run.rerequested: one rebuild, one new check run', async () => {
    env = await startGithubEnv({ name: 'gh-replay-rerun' });
    env.gh.installationToken().repoConfig(SHA2, 'builds:\n  branches: [main]\n').checks({ updates: false });
    const payload = example('check_run', (e) => e.action === 'rerequested');
    Object.assign(payload, { installation: { id: env.gh.installationId }, repository: { ...payload.repository, name: 'web', full_name: 'acme/web', owner: { ...payload.repository.owner, login: 'acme' } } });
    payload.check_run.app.id = 1;
    payload.check_run.external_id = 'web|branch|main';
    payload.check_run.head_sha = SHA2;
    await replay('check_run', payload);
    expect(await settled(1)).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
    expect(env.gh.runs()).toHaveLength(1);
    expect(await env.builds!.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    env.gh.assertDone();
  });

  it('issue_comment "/gantry build": one permission check, one build', async () => {
    env = await startGithubEnv({ name: 'gh-replay-comment' });
    env.gh.installationToken().permission('hubot', 'write').pull(22, { sha: SHA, headRef: 'patch-1', fork: true }).repoConfig(SHA, undefined).checks({ updates: false });
    await replay('issue_comment', commentPayload(env.gh, { number: 22, login: 'hubot', body: '/gantry build' }));
    expect(await settled(1)).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
    expect(env.gh.runs()).toHaveLength(1);
    env.gh.assertDone();
  });

  it('the same payload replayed after its event job is gone (an hour later) still does nothing', async () => {
    env = await startGithubEnv({ name: 'gh-replay-late' });
    env.gh.installationToken().repoConfig(SHA, undefined).checks({ updates: false });
    const payload = prPayload(env.gh, { action: 'opened', number: 23, sha: SHA });
    await env.send('pull_request', payload);
    await settled(1);
    await env.events!.obliterate({ force: true });
    await replay('pull_request', payload, 2);
    await sleep(500);
    expect(await env.events!.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 });
    expect(env.gh.runs()).toHaveLength(1);
    env.gh.assertDone();
  });
});
