import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepo } from '../../src/gitops/git.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { EXAMPLES } from '../support/harness.js';

const git = async (cwd: string, args: string[], env?: NodeJS.ProcessEnv) => {
  const r = await run('git', args, { cwd, ...(env ? { env: { ...process.env, ...env } } : {}) });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** git processes whose working directory is `dir` (from /proc: what is left running there). */
function gitProcessesIn(dir: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm.startsWith('git') && cwd.startsWith(dir)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('the warm clone maintenance', () => {
  let tmp: ReturnType<typeof tempDir>;
  let bare: string;
  beforeAll(async () => {
    tmp = tempDir('maintenance');
    bare = path.join(tmp.dir, 'deploy.git');
    await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
  });
  afterAll(() => tmp?.remove());

  it('writes a commit-graph with Bloom filters that path-limited walks use, packs loose objects, and close() leaves no git process', async () => {
    const repo = new GitRepo({ url: bare, branch: 'main', workdir: path.join(tmp.dir, 'work'), author: { name: 'gantry', email: 'gantry@localhost' }, maintenance: { everyMs: 3_600_000 } });
    await repo.ensure();
    await repo.maintenance.run(); // ensure() only schedules the first run
    // commits made in the clone leave loose objects
    for (let i = 0; i < 5; i++) {
      const pushed = await repo.commitAndPush([{ path: `apps/web/qa/note-${i}.txt`, content: `${i}\n` }], `note ${i}\n`);
      expect(pushed).not.toBe('rejected');
    }
    const loose = async () => Number(/^count: (\d+)$/m.exec(await git(repo.dir, ['count-objects', '-v']))![1]);
    expect(await loose()).toBeGreaterThan(0);
    const runs = repo.maintenance.runs;
    await repo.maintenance.run();
    expect(repo.maintenance.runs).toBe(runs + 1);
    expect(await loose()).toBe(0);

    // a split commit-graph covering every commit, with changed-path Bloom filters in the new layer
    await git(repo.dir, ['commit-graph', 'verify']);
    const chain = path.join(repo.dir, '.git', 'objects', 'info', 'commit-graphs');
    expect(readdirSync(chain).some((f) => f.endsWith('.graph'))).toBe(true);
    const trace = path.join(tmp.dir, 'trace2.json');
    await git(repo.dir, ['log', '--format=%H', 'HEAD', '--', 'apps/web/prod/values.yaml'], { GIT_TRACE2_EVENT: trace });
    const stats = readFileSync(trace, 'utf8');
    expect(stats).toContain('"category":"bloom"');
    // the note commits did not touch the file: their filters said "definitely not"
    expect(Number(/definitely_not\\?":(\d+)/.exec(stats)?.[1] ?? 0)).toBeGreaterThan(0);

    // close() waits for a run under way; nothing of ours keeps running in the clone
    void repo.maintenance.run();
    await repo.close();
    expect(gitProcessesIn(repo.dir)).toEqual([]);
    const after = repo.maintenance.runs;
    await repo.maintenance.run(); // closed: nothing starts
    expect(repo.maintenance.runs).toBe(after);
  });
});
