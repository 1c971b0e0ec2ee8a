import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BundleRequest } from '../../src/domain/bundle.js';
import { parseBundleTrailers } from '../../src/gitops/bundle-trailers.js';
import { run } from '../../src/util/exec.js';
import type { Harness } from '../support/harness.js';
import { startBundleHarness } from './seed.js';

const carol = { id: 'shell:carol', name: 'carol' };

describe('bundle jobs are checked, and a moving deploy repo is met', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startBundleHarness('bundle-guard');
  });
  afterEach(async () => h.close());

  /** A job put on the bundle queue by hand, as anyone with Redis could; the worker's answer. */
  const forge = (data: Record<string, unknown>) => {
    const job = { id: `forged-${Math.random().toString(36).slice(2)}`, action: 'promote', bundle: '2026.12', env: 'qa', requestedBy: carol, approvedBy: [], ...data };
    return h.gantry.core.bundles!.queue.submit(job as unknown as BundleRequest).then(
      (r) => `written: ${r.commit}`,
      (e: Error) => e.message,
    );
  };

  it('refuses forged jobs (versions of its own, an app the config does not deploy, approvals of other requests), writing nothing', async () => {
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote bundle 2026.12 ${env}`)).ok).toBe(true);
    const asked = await h.run('carol', '/promote bundle 2026.12 prod');
    const approval = asked.approval!.id;
    // a bundle in the store naming an app the config does not have (written to Redis directly)
    await h.gantry.core.bundles!.store.add({ name: 'ghost-1', apps: [{ app: 'ghost', version: 'v1.0.0' }], createdAt: new Date().toISOString(), createdBy: 'x' });
    const head = await h.head();

    // the versions come from the bundle store: a job bringing its own is forged
    expect(await forge({ env: 'prod', apps: [{ app: 'web', version: 'v1.2.4' }] })).toMatch(/refused: its data: Unrecognized key: "apps"/);
    expect(await forge({ bundle: 'ghost-1' })).toMatch(/bundle ghost-1 names ghost, which is not deployed to qa \(config\)/);
    expect(await forge({ bundle: 'nope' })).toMatch(/there is no bundle nope/);
    expect(await forge({ bundle: '../2026.12' })).toMatch(/bundle: /);
    // prod asks for an approval: none, or approvers named without one, or someone else's approval
    expect(await forge({ env: 'prod' })).toMatch(/promote to prod needs 1 approval/);
    expect(await forge({ env: 'qa', approvedBy: [{ id: 'shell:alice' }] })).toMatch(/approvers/);
    expect(await forge({ env: 'prod', approval, approvedBy: [{ id: 'shell:alice' }] })).toMatch(new RegExp(`refused: it is not the request approval ${approval} was asked for`));
    expect(await forge({ env: 'prod', action: 'rollback', approval })).toMatch(new RegExp(`refused: it is not the request approval ${approval} was asked for`));
    expect(await h.head()).toBe(head);
    expect((await h.gantry.core.approvals.get(approval))!.status).toBe('pending');
    // the approval still works for the one it was asked for
    expect((await h.run('alice', `/approve ${approval}`)).ok).toBe(true);
    expect(parseBundleTrailers(await h.git('log', '-1', '--format=%B', 'main')).map((t) => `${t.app} ${t.version}`)).toEqual(['api v3.4.0', 'web v1.2.3']);
  });

  it('refuses to roll a bundle back when one of its apps moved since, naming it; nothing written', async () => {
    expect((await h.run('carol', '/promote bundle 2026.12 qa')).ok).toBe(true);
    expect((await h.run('carol', '/promote web v1.2.4 qa')).ok).toBe(true);
    const head = await h.head();
    const back = await h.run('bob', '/rollback bundle 2026.12 qa');
    expect(back).toMatchObject({ ok: false, code: 'NO_ROLLBACK_TARGET' });
    expect(back.text).toContain('rollback of bundle 2026.12 in qa refused as a whole; nothing was written');
    expect(back.text).toContain('- web: web runs v1.2.4 in qa now, not v1.2.3 that the bundle put there');
    expect(back.text).not.toContain('- api');
    expect(await h.head()).toBe(head);
    expect(await h.file('apps/api/qa/deployment.yaml')).toContain('acme/api:v3.4.0');
  });

  it('a competing push between plan and push: rebase and retry, one bundle commit on top, the other commit kept', async () => {
    const head = await h.head();
    // a second clone with a commit of its own, pushed by the bare repo's pre-receive hook while
    // gantry's bundle push is in flight (once): gantry's push then loses the race for the ref
    const human = path.join(h.dir, 'human');
    await run('git', ['clone', '-q', h.bare, human]);
    writeFileSync(path.join(human, 'NOTES.md'), 'a human was here\n');
    await run('git', ['-C', human, 'add', 'NOTES.md']);
    await run('git', ['-C', human, '-c', 'user.name=h', '-c', 'user.email=h@h', 'commit', '-q', '-m', 'human change']);
    const humanSha = (await run('git', ['-C', human, 'rev-parse', 'HEAD'])).stdout.trim();
    const mark = path.join(h.dir, 'raced');
    const hook = path.join(h.bare, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        'cat >/dev/null',
        `[ -e '${mark}' ] && exit 0`,
        `touch '${mark}'`,
        // the nested push is a push of its own, not part of the quarantined one in flight
        `env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES -u GIT_DIR git -C '${human}' push -q origin HEAD:main >&2`,
        '',
      ].join('\n'),
    );
    chmodSync(hook, 0o755);

    const reply = await h.run('carol', '/promote bundle 2026.12 qa');
    expect(reply.ok, reply.text).toBe(true);
    expect(existsSync(mark)).toBe(true);
    expect(reply.kind === 'bundle-deployed' && reply.result.retries).toBe(1);
    // human, then one bundle commit with both apps; nothing lost, nothing forced
    expect((await h.git('log', '--format=%s', `${head}..main`)).trim().split('\n')).toEqual(['promote bundle 2026.12 to qa (api v3.4.0, web v1.2.3)', 'human change']);
    expect((await h.git('rev-parse', 'main~1')).trim()).toBe(humanSha);
    expect(await h.file('NOTES.md')).toBe('a human was here\n');
    expect((await h.git('show', '--name-only', '--format=', 'main')).trim().split('\n').sort()).toEqual(['apps/api/qa/deployment.yaml', 'apps/web/qa/deployment.yaml']);
  });
});
