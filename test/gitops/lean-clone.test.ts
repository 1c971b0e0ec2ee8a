import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { GitRepo } from '../../src/gitops/git.js';
import { sparseDirsOf } from '../../src/gitops/sparse.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { defaultConfigData, EXAMPLES, startHarness, type Harness } from '../support/harness.js';

/** prod without approvals or order, so history can be built quickly */
function openProd(d: Record<string, any>): void {
  delete d.environments.prod.approvals;
  delete d.environments.prod.from;
}

const git = async (cwd: string, ...args: string[]) => {
  const r = await run('git', args, { cwd });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** Files under dir (relative), .git left out. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((p) => !p.startsWith('.git'))
    .sort();
}

/** Which of `paths` at `rev` have their blob on disk in the clone, asked without fetching anything. */
async function missingBlobs(clone: string, rev: string, paths: string[]): Promise<string[]> {
  const out = await git(clone, 'rev-list', '--objects', '--missing=print', '--no-walk', '--full-history', '--sparse', rev, '--', ...paths);
  return out.split('\n').filter((l) => l.startsWith('?')).map((l) => l.slice(1));
}

/** The warm clone is lean: blobless, with a sparse checkout of the directories the config names. */
describe('the lean warm clone', () => {
  let tmp: ReturnType<typeof tempDir>;
  let seed: string;
  beforeAll(() => {
    tmp = tempDir('lean-clone');
    // the example deploy files, and files of other teams gantry never edits
    seed = path.join(tmp.dir, 'seed');
    cpSync(EXAMPLES, seed, { recursive: true });
    mkdirSync(path.join(seed, 'teams', 'data'), { recursive: true });
    writeFileSync(path.join(seed, 'teams', 'data', 'big.yaml'), `${'x: 1\n'.repeat(5000)}`);
    writeFileSync(path.join(seed, 'README.md'), 'deploy repo\n');
  });
  afterAll(() => tmp?.remove());

  it('the sparse set is the directories of every deploy file, without duplicates', () => {
    const config = ConfigSchema.parse(defaultConfigData());
    expect(sparseDirsOf(config)).toEqual(['apps/web/marathon', 'apps/web/prod', 'apps/web/qa', 'apps/web/staging']);
  });

  describe('through gantry (a plain path URL)', () => {
    let h: Harness;
    let second: Harness | undefined;
    beforeAll(async () => {
      h = await startHarness({ name: 'lean-clone', edit: openProd, seed });
    });
    afterAll(async () => {
      await second?.close();
      await h?.close();
    });

    it('holds only the configured directories and their blobs; a promotion and /history of old blobs work', async () => {
      for (const v of ['v1', 'v2', 'v3']) {
        await h.release(v);
        const r = await h.run('alice', `/promote ${v} prod`);
        expect(r.ok, r.text).toBe(true);
      }
      expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v3"');
      const clone = h.gantry.core.repo.dir;
      expect(tree(clone)).toEqual([
        'README.md',
        'apps/web/marathon/prod-deploy.json',
        'apps/web/prod/values.yaml',
        'apps/web/qa/deployment.yaml',
        'apps/web/staging/kustomization.yaml',
      ]);
      expect(await missingBlobs(clone, 'HEAD', ['teams/data/big.yaml', 'apps/web/base/deployment.yaml'])).toHaveLength(2);
      expect(await git(clone, 'config', 'remote.origin.promisor')).toBe('true\n');

      // a new process on the same deploy repo: its clone has today's blobs only
      second = await startHarness({ name: 'lean-clone-2', edit: openProd, shareWith: h, workers: false });
      await second.gantry.core.repo.ensure();
      const repo2 = second.gantry.core.repo;
      await repo2.maintenance.run(); // quiet, so packs counted below are fetches only
      const packs = () => readdirSync(path.join(repo2.dir, '.git', 'objects', 'pack')).filter((f) => f.endsWith('.pack')).length;
      const before = packs();
      const old = await missingBlobs(repo2.dir, 'HEAD~1', ['apps/web/prod/values.yaml']);
      expect(old).toHaveLength(1);
      const hist = await second.run('bob', '/history prod 3');
      expect(hist.ok, hist.text).toBe(true);
      expect(hist.text).toMatch(/v3[\s\S]*v2[\s\S]*v1/);
      // the old blobs of both files came in one fetch, not one per blob
      expect(packs()).toBe(before + 1);
      expect(await missingBlobs(repo2.dir, 'HEAD~1', ['apps/web/prod/values.yaml'])).toEqual([]);
      // and a rollback reads the same history
      const rb = await second.run('bob', '/rollback prod');
      expect(rb.ok, rb.text).toBe(true);
      expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v2"');
    });
  });

  it('a file:// URL gives a lean clone too; a sparse set changed by a reload is applied on the next refresh', async () => {
    const bare = path.join(tmp.dir, 'deploy.git');
    await ensureLocalDeployRepo(bare, 'main', seed);
    const repo = new GitRepo({
      url: pathToFileURL(bare).href,
      branch: 'main',
      workdir: path.join(tmp.dir, 'work-file'),
      author: { name: 'gantry', email: 'gantry@localhost' },
      sparse: ['apps/web/qa'],
    });
    try {
      await repo.ensure();
      expect(tree(repo.dir)).toEqual(['README.md', 'apps/web/qa/deployment.yaml']);
      expect(await missingBlobs(repo.dir, 'HEAD', ['apps/web/prod/values.yaml'])).toHaveLength(1);
      // a file outside the cone is still readable from the object database (fetched when read)
      expect(await repo.show('HEAD', 'apps/web/prod/values.yaml')).toContain('registry.example.com/acme/web');
      repo.setSparse(['apps/web/prod', 'apps/web/qa']);
      await repo.refresh();
      expect(tree(repo.dir)).toEqual(['README.md', 'apps/web/prod/values.yaml', 'apps/web/qa/deployment.yaml']);
      expect(existsSync(path.join(repo.dir, 'teams'))).toBe(false);
    } finally {
      await repo.close();
    }
  });

  it('a full clone left by an older gantry is adopted as it is', async () => {
    const bare = path.join(tmp.dir, 'deploy.git');
    const dir = path.join(tmp.dir, 'work-full');
    await git(tmp.dir, 'clone', '-q', bare, dir);
    const repo = new GitRepo({ url: bare, branch: 'main', workdir: dir, author: { name: 'gantry', email: 'gantry@localhost' }, sparse: ['apps/web/qa'] });
    try {
      await repo.ensure();
      expect(tree(dir)).toContain('teams/data/big.yaml');
      expect(await missingBlobs(dir, 'HEAD', ['teams/data/big.yaml'])).toEqual([]);
    } finally {
      await repo.close();
    }
  });
});
