import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { startHarness, type Harness } from '../support/harness.js';

/** prod without approvals or order, so the history can be built quickly */
function openProd(d: Record<string, any>): void {
  delete d.environments.prod.approvals;
  delete d.environments.prod.from;
}

describe('/rollback', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ name: 'rollback', edit: openProd });
    for (const v of ['v1', 'v2', 'v3']) {
      await h.release(v);
      const r = await h.run('alice', `/promote ${v} prod`);
      expect(r.ok, r.text).toBe(true);
    }
  });
  afterEach(async () => h.close());

  it('after v1 → v2 → v3, /rollback prod restores v2 and holds the environment; /rollback prod v1 restores v1', async () => {
    const r = await h.run('bob', '/rollback prod');
    expect(r.ok, r.text).toBe(true);
    expect(r.text).toContain('rolled back web in prod to v2 (was v3)');
    expect(r.text).toContain('prod is on hold');
    expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v2"');
    expect(await h.file('apps/web/marathon/prod-deploy.json')).toContain('"registry.example.com/acme/web:v2"');
    const t = parseDeployTrailers(await h.git('log', '-1', '--format=%B', 'main'))!;
    expect(t).toMatchObject({ action: 'rollback', version: 'v2', previousVersion: 'v3', env: 'prod' });
    expect(t.requestedBy.id).toBe('shell:bob');

    // the hold: an automatic deploy is refused, a promotion by hand lifts it
    await h.release('v4');
    const auto = h.gantry.core.deployer.deploy({ id: 'auto-1', action: 'auto', app: 'web', env: 'prod', version: 'v4', requestedBy: { id: 'github:ci' }, approvedBy: [] });
    await expect(auto).rejects.toMatchObject({ code: 'ENV_HELD' });
    expect((await h.run('bob', '/status prod')).text).toContain('web v2 [on hold after rollback]');

    const r1 = await h.run('bob', '/rollback prod v1');
    expect(r1.ok, r1.text).toBe(true);
    expect(r1.text).toContain('rolled back web in prod to v1 (was v2)');
    expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v1"');
  });

  it('a second rollback goes further back, never forward to what was rolled back from', async () => {
    expect((await h.run('bob', '/rollback prod')).text).toContain('to v2');
    expect((await h.run('bob', '/rollback prod')).text).toContain('to v1');
    // before v1 came the seeded files (v1.0.0, written without gantry): history is what the files said
    expect((await h.run('bob', '/rollback prod')).text).toContain('to v1.0.0 (was v1)');
    expect(await h.run('bob', '/rollback prod')).toMatchObject({ ok: false, code: 'NO_ROLLBACK_TARGET' });
  });

  it('works from the deploy repo alone when Redis lost every release', async () => {
    await h.gantry.redis.del(`${h.prefix}:rel:web`, `${h.prefix}:rel:web:by-time`);
    const r = await h.run('bob', '/rollback prod');
    expect(r.ok, r.text).toBe(true);
    expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v2"');
    expect((await h.run('bob', '/rollback web prod v1')).ok).toBe(true);
    expect((await h.run('bob', '/history prod 2')).text).toMatch(/rollback v1 \(from v2\) by bob$/m);
  });

  it('is refused to people without rollback rights and to blocked releases, and allowed during a freeze', async () => {
    const head = await h.head();
    expect(await h.run('carol', '/rollback prod')).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    await h.run('bob', '/block v2 leaks memory');
    expect(await h.run('bob', '/rollback prod v2')).toMatchObject({ ok: false, code: 'RELEASE_BLOCKED' });
    expect(await h.head()).toBe(head);
  });
});

describe('/rollback in a freeze window', () => {
  it('rolls back while promotions are frozen', async () => {
    // Wednesday 10:00 UTC, inside a window that opened on Wednesday 09:00 UTC for 2 hours
    const now = () => new Date('2026-11-18T10:00:00Z');
    const h = await startHarness({
      name: 'rollback-freeze',
      now,
      edit: (d) => {
        openProd(d);
        d.environments.prod.freeze = [{ cron: '0 9 * * 3', duration: '2h', timezone: 'UTC', reason: 'release train' }];
      },
    });
    try {
      await h.release('v1.0.0');
      await h.release('v1');
      const frozen = await h.run('alice', '/promote v1 prod');
      expect(frozen).toMatchObject({ ok: false, code: 'ENV_FROZEN' });
      expect(frozen.text).toContain('prod is frozen (release train) until Nov 18, 2026, 11:00 UTC');
      const forced = await h.run('alice', '/promote v1 prod --force "customer outage"');
      expect(forced.ok, forced.text).toBe(true);
      expect(await h.git('log', '-1', '--format=%B', 'main')).toContain('Gantry-Override: customer outage (passed freeze: release train)');
      const back = await h.run('bob', '/rollback prod v1.0.0');
      expect(back.ok, back.text).toBe(true);
    } finally {
      await h.close();
    }
  });
});
