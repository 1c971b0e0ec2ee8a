import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepo } from '../../src/gitops/git.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { serveGitHttp } from '../support/git-http.js';
import { EXAMPLES } from '../support/harness.js';

const TOKEN = 'ghp_cloneTestToken0123456789';

/** The warm clone when things go wrong around it: a crowd at start-up, a clone cut short, a private repo. */
describe('the warm clone of the deploy repo', () => {
  let tmp: ReturnType<typeof tempDir>;
  let bare: string;
  let n = 0;
  const repo = (url = bare, token?: string) =>
    new GitRepo({ url, branch: 'main', workdir: path.join(tmp.dir, `work-${++n}`), author: { name: 'gantry', email: 'gantry@localhost' }, ...(token ? { token } : {}) });
  beforeAll(async () => {
    tmp = tempDir('clone');
    bare = path.join(tmp.dir, 'deploy.git');
    await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
  });
  afterAll(() => tmp?.remove());

  it('commands arriving together in a fresh process share one clone (none fails on "destination exists")', async () => {
    const r = repo();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => r.ensure().then(() => r.readFile('apps/web/qa/deployment.yaml'))));
    expect(results.filter((x) => x.status === 'rejected').map((x) => String((x as PromiseRejectedResult).reason))).toEqual([]);
  });

  it('a clone cut short by a crash (no remote-tracking branch yet) is made again', async () => {
    const r = repo();
    // what `git clone` leaves when it is killed before the fetch: a repository with a remote and no refs
    mkdirSync(r.dir, { recursive: true });
    await run('git', ['init', '-q', r.dir]);
    await run('git', ['-C', r.dir, 'remote', 'add', 'origin', bare]);
    await r.ensure();
    expect(await r.readFile('apps/web/qa/deployment.yaml')).toContain('registry.example.com/acme/web:v1.0.0');
  });

  it('a private deploy repo over HTTP: the first clone, fetch and push send GANTRY_DEPLOY_TOKEN, which is never written to disk', async () => {
    const git = await serveGitHttp(bare, TOKEN);
    try {
      const r = repo(git.url, TOKEN);
      await r.ensure(); // before the fix, the clone went out without the token and failed here
      await r.refresh();
      const pushed = await r.commitAndPush([{ path: 'notes.txt', content: 'hello\n' }], 'a note\n');
      expect(pushed).not.toBe('rejected');
      expect(git.refused).toBe(0);
      expect(git.served).toBeGreaterThan(2);
      expect(readFileSync(path.join(r.dir, '.git', 'config'), 'utf8')).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
      expect(readFileSync(path.join(r.dir, '.git', 'config'), 'utf8')).not.toContain(TOKEN);
      // and a wrong token is an error that names the repo, not the token
      const wrong = repo(git.url, 'ghp_wrongToken');
      const err = await wrong.ensure().then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message).toMatch(/^cannot clone the deploy repo http:\/\/127\.0\.0\.1:\d+\/deploy\.git/);
      expect(err?.message).not.toContain('ghp_wrongToken');
    } finally {
      await git.close();
    }
  });
});
