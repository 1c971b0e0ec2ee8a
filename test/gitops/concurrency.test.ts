import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { getUpdater } from '../../src/gitops/updaters/index.js';
import { run } from '../../src/util/exec.js';
import { startHarness, type Harness } from '../support/harness.js';

const N = 20;

describe('concurrent promotions to one environment', () => {
  const gantries: Harness[] = [];
  beforeAll(async () => {
    // 20 independent gantry instances: own Redis connections, own workers, own warm clones
    gantries.push(await startHarness({ name: 'conc-0' }));
    for (let i = 1; i < N; i++) gantries.push(await startHarness({ name: `conc-${i}`, shareWith: gantries[0] }));
  });
  afterAll(async () => {
    for (const g of gantries.slice(1)) await g.close();
    await gantries[0]?.close();
  });

  it('20 promotions started at once end as 20 commits, none lost, each commit parses', async () => {
    const first = gantries[0]!;
    const before = await first.head();
    for (let i = 1; i <= N; i++) await first.release(`v2.0.${i}`);
    const progress: string[] = [];
    const replies = await Promise.all(
      gantries.map((g, i) => g.run('carol', `/promote v2.0.${i + 1} qa`, (t) => progress.push(t))),
    );
    for (const r of replies) expect(r.ok, r.text).toBe(true);

    const log = (await first.git('log', '--format=%H', `${before}..main`)).trim().split('\n');
    expect(log).toHaveLength(N);
    const versions = new Set<string>();
    for (const sha of log) {
      const t = parseDeployTrailers(await first.git('log', '-1', '--format=%B', sha))!;
      versions.add(t.version);
      // every intermediate state is a valid manifest carrying exactly the version its commit claims
      const content = await first.file('apps/web/qa/deployment.yaml', sha);
      const found = getUpdater('kubernetes').read(content, { file: 'apps/web/qa/deployment.yaml', format: 'kubernetes' }, [
        { name: 'web', repository: 'registry.example.com/acme/web' },
      ]);
      expect(found.map((f) => f.tag)).toEqual([t.version, t.version]);
    }
    expect(versions.size).toBe(N);
    // the final manifest holds the last commit's version
    const last = parseDeployTrailers(await first.git('log', '-1', '--format=%B', 'main'))!;
    expect(await first.file('apps/web/qa/deployment.yaml')).toContain(`image: registry.example.com/acme/web:${last.version}\n`);
    // the lock really queued them, and told the waiting requests their position
    expect(progress.some((p) => /^queued behind \d+ other deployments? to qa$/.test(p))).toBe(true);
    // and the commits' parents chain: no force-push ever dropped one
    expect((await first.git('rev-list', '--count', `${before}..main`)).trim()).toBe(String(N));
  });
});

describe('a competing pusher', () => {
  it('is kept: gantry fetches, re-applies and pushes again, never forces', async () => {
    const g = await startHarness({ name: 'competing' });
    try {
      await g.release('v3.0.0');
      await g.release('v3.0.1');
      expect((await g.run('carol', '/promote v3.0.0 qa')).ok).toBe(true); // gantry's clone is now current
      // someone pushes to the deploy repo behind gantry's back
      const work = `${g.dir}/human`;
      await run('git', ['clone', '-q', g.bare, work]);
      await run('git', ['-C', work, '-c', 'user.name=h', '-c', 'user.email=h@h', 'commit', '-q', '--allow-empty', '-m', 'human change']);
      await run('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main']);
      const human = (await run('git', ['-C', work, 'rev-parse', 'HEAD'])).stdout.trim();
      const r = await g.run('carol', '/promote v3.0.1 qa');
      expect(r.ok, r.text).toBe(true);
      expect(r.result!.retries).toBe(1); // the first push was rejected
      expect((await g.git('rev-parse', 'main~1')).trim()).toBe(human);
      expect(await g.file('apps/web/qa/deployment.yaml')).toContain('acme/web:v3.0.1');
    } finally {
      await g.close();
    }
  });
});
