import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitHubPullRequests } from '../../src/gitops/pull-request.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('pull-request mode', () => {
  let h: Harness;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    h = await startHarness({
      name: 'pr-mode',
      pullRequests: new GitHubPullRequests('acme/deploy', 'ghs_test_token', 'https://api.github.com'),
      edit: (d) => {
        d.environments.prod.mode = 'pull-request';
        delete d.environments.prod.approvals;
        delete d.environments.prod.from;
      },
    });
    await h.release('v1.2.3');
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    await h.close();
  });

  it('pushes a branch with the deploy commit and opens a pull request; the deploy branch stays as it was', async () => {
    const head = await h.head();
    let sent: Record<string, string> = {};
    const github = nock('https://api.github.com')
      .post('/repos/acme/deploy/pulls', (body: Record<string, string>) => {
        sent = body;
        return true;
      })
      .matchHeader('authorization', 'Bearer ghs_test_token')
      .reply(201, { number: 42, html_url: 'https://github.com/acme/deploy/pull/42' });
    const r = await h.run('alice', '/promote v1.2.3 prod');
    expect(r.ok, r.text).toBe(true);
    expect(github.isDone()).toBe(true);
    expect(r.text).toMatch(/^opened pull request #42 to promote web v1\.2\.3 to prod: https:\/\/github\.com\/acme\/deploy\/pull\/42\n {2}branch gantry\/prod\/web-v1\.2\.3-\w+, commit [0-9a-f]{7}; prod changes when it is merged$/);
    expect(await h.head()).toBe(head);
    expect(sent.base).toBe('main');
    expect(sent.title).toBe('promote web v1.2.3 to prod');
    expect(sent.body).toContain('Gantry-Requested-By: shell:alice (alice)');
    const branch = r.result!.pullRequest!.branch;
    expect(sent.head).toBe(branch);
    expect(await h.file('apps/web/prod/values.yaml', branch)).toContain('tag: "v1.2.3"');
    expect((await h.git('rev-parse', `${branch}~1`)).trim()).toBe(head);
  });

  it('a refusal by GitHub is a clear error', async () => {
    await h.release('v1.2.4');
    const github = nock('https://api.github.com').post('/repos/acme/deploy/pulls').reply(403, { message: 'Resource not accessible by integration' });
    const r = await h.run('alice', '/promote v1.2.4 prod');
    expect(r).toMatchObject({ ok: false, code: 'DEPLOY_REFUSED' });
    expect(r.text).toContain('GitHub did not open the pull request in acme/deploy: HTTP 403 Resource not accessible by integration');
    expect(github.isDone()).toBe(true);
  });

  it('GitHub briefly failing is retried, reusing the branch the first attempt pushed', async () => {
    await h.release('v1.2.5');
    const github = nock('https://api.github.com')
      .post('/repos/acme/deploy/pulls')
      .reply(502, { message: 'Bad Gateway' })
      .post('/repos/acme/deploy/pulls')
      .reply(201, { number: 43, html_url: 'https://github.com/acme/deploy/pull/43' });
    const r = await h.run('alice', '/promote v1.2.5 prod');
    expect(r.ok, r.text).toBe(true);
    expect(r.text).toContain('opened pull request #43');
    expect(github.isDone()).toBe(true);
    expect(await h.file('apps/web/prod/values.yaml', r.result!.pullRequest!.branch)).toContain('tag: "v1.2.5"');
  });
});
