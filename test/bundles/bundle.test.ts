import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBundleTrailers } from '../../src/gitops/bundle-trailers.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import type { Harness } from '../support/harness.js';
import { startBundleHarness } from './seed.js';

describe('bundles: several apps, one approval, one commit', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startBundleHarness('bundle');
  });
  afterEach(async () => h.close());

  it('promotes every app in one commit with every trailer; /status and /history read each app', async () => {
    const reply = await h.run('carol', '/promote bundle 2026.12 qa');
    expect(reply.ok, reply.text).toBe(true);
    expect(reply.text).toContain('promoted bundle 2026.12 to qa: one commit');
    expect(reply.text).toContain('api v3.4.0 (was v3.3.0)');
    expect(reply.text).toContain('web v1.2.3 (was v1.0.0)');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe('promote bundle 2026.12 to qa (api v3.4.0, web v1.2.3)');
    expect(message).toContain('Gantry-Bundle: 2026.12\n');
    expect(parseBundleTrailers(message).map((t) => [t.app, t.version, t.previousVersion])).toEqual([
      ['api', 'v3.4.0', 'v3.3.0'],
      ['web', 'v1.2.3', 'v1.0.0'],
    ]);
    expect(parseDeployTrailers(message, 'web')).toMatchObject({ app: 'web', env: 'qa', version: 'v1.2.3', previousVersion: 'v1.0.0', bundle: '2026.12' });
    // both apps' files in the one commit, nothing else changed
    const files = (await h.git('show', '--name-only', '--format=', 'main')).trim().split('\n').sort();
    expect(files).toEqual(['apps/api/qa/deployment.yaml', 'apps/web/qa/deployment.yaml']);
    expect(await h.file('apps/api/qa/deployment.yaml')).toContain('image: registry.example.com/acme/api:v3.4.0  # keep\n');
    const history = await h.run('carol', '/history api qa');
    expect(history.text).toContain('v3.4.0');
    // order: the bundle ran in qa, so staging takes it
    expect((await h.run('carol', '/promote bundle 2026.12 staging')).ok).toBe(true);
  });

  it('refuses the whole bundle when one app is refused, names every reason, writes nothing', async () => {
    expect((await h.run('bob', '/block web v1.2.3 corrupts sessions')).ok).toBe(true);
    const head = await h.head();
    // api alone could go to qa: the blocked web stops both
    const blocked = await h.run('carol', '/promote bundle 2026.12 qa');
    expect(blocked).toMatchObject({ ok: false, code: 'RELEASE_BLOCKED' });
    expect(blocked.text).toContain('bundle 2026.12 to qa refused as a whole; nothing was written');
    expect(blocked.text).toMatch(/- web: .*corrupts sessions/);
    expect(blocked.text).not.toContain('- api');
    // every app's reason, each named
    const refused = await h.run('carol', '/promote bundle 2026.12 staging');
    expect(refused).toMatchObject({ ok: false, code: 'ORDER_VIOLATION' });
    expect(refused.text).toContain('- api: api v3.4.0 has not run in qa yet');
    expect(refused.text).toContain('- web: web v1.2.3 has not run in qa yet');
    expect(await h.head()).toBe(head);
  });

  it('asks once for prod with every change in one message; one vote writes one commit; rollback returns every app', async () => {
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote bundle 2026.12 ${env}`)).ok).toBe(true);
    const head = await h.head();
    const asked = await h.run('carol', '/promote bundle 2026.12 prod');
    expect(asked.ok, asked.text).toBe(true);
    const id = asked.approval!.id;
    expect(asked.text).toContain(`approval ${id} requested: promote bundle 2026.12 to prod needs 1 approval from leads`);
    expect(asked.text).toContain('api v3.4.0 (now v3.3.0)');
    expect(asked.text).toContain('apps/api/prod/deployment.yaml:11');
    expect(asked.text).toContain('apps/web/prod/values.yaml:6');
    expect(await h.head()).toBe(head);
    // the approval cannot be used by a single-app deploy job
    const forged = await h.gantry.core.queue.submit({ ...(await h.gantry.core.approvals.get(id))!.request }).catch((e: Error) => e);
    expect(String(forged)).toMatch(/approval \d+ is for bundle 2026.12/);

    const approved = await h.run('alice', `/approve ${id}`);
    expect(approved.ok, approved.text).toBe(true);
    expect(approved.text).toContain('promoted bundle 2026.12 to prod');
    expect(await h.git('rev-list', '--count', `${head}..main`)).toBe('1\n');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Approved-By: shell:alice (alice)');
    expect(message).toContain(`Gantry-Request: approval-${id}`);
    expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v1.2.3"');
    expect((await h.gantry.core.approvals.get(id))!.status).toBe('executed');

    // someone moves web alone: the bundle's rollback says which app moved and writes nothing
    const back = await h.run('bob', '/rollback bundle 2026.12 prod');
    expect(back.ok, back.text).toBe(true);
    expect(back.text).toContain('rolled back bundle 2026.12 in prod');
    expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v1.0.0"');
    expect(await h.file('apps/api/prod/deployment.yaml')).toContain('acme/api:v3.3.0');
    const rb = await h.git('log', '-1', '--format=%B', 'main');
    expect(parseBundleTrailers(rb).map((t) => [t.app, t.action, t.version])).toEqual([
      ['api', 'rollback', 'v3.3.0'],
      ['web', 'rollback', 'v1.2.3'.replace('1.2.3', '1.0.0')],
    ]);
  });

  it('/promote --from staging prod: every app that differs, one approval, one commit; then nothing left to promote', async () => {
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote bundle 2026.12 ${env}`)).ok).toBe(true);
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote web v1.2.4 ${env}`)).ok).toBe(true);
    expect((await h.run('carol', '/promote --from qa qa')).code).toBe('COMMAND_USAGE');
    expect((await h.run('carol', '/promote --from moon prod')).code).toBe('ENV_UNKNOWN');
    const head = await h.head();
    const asked = await h.run('carol', '/promote --from staging prod');
    expect(asked.ok, asked.text).toBe(true);
    const name = asked.approval!.bundle!.name;
    expect(name).toMatch(/^staging-[0-9a-f]{8}$/);
    expect(asked.text).toContain(`promote bundle ${name} to prod needs 1 approval from leads`);
    expect(asked.text).toContain('api v3.4.0 (now v3.3.0)');
    expect(asked.text).toContain('web v1.2.4 (now v1.0.0)');
    expect(await h.head()).toBe(head);
    expect(await h.gantry.core.bundles!.store.get(name)).toMatchObject({ createdBy: 'shell:carol', apps: [{ app: 'api', version: 'v3.4.0' }, { app: 'web', version: 'v1.2.4' }] });

    expect((await h.run('alice', `/approve ${asked.approval!.id}`)).ok).toBe(true);
    expect(await h.git('rev-list', '--count', `${head}..main`)).toBe('1\n');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Gantry-Bundle: ${name}\n`);
    expect(parseBundleTrailers(message).map((t) => [t.app, t.version, t.previousVersion])).toEqual([
      ['api', 'v3.4.0', 'v3.3.0'],
      ['web', 'v1.2.4', 'v1.0.0'],
    ]);
    expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v1.2.4"');
    const again = await h.run('carol', '/promote --from staging prod');
    expect(again).toMatchObject({ ok: false, code: 'ALREADY_DEPLOYED' });
    expect(again.text).toContain('nothing to promote');
  });

  it('refuses bad input clearly and changes nothing', async () => {
    const head = await h.head();
    expect(await h.run('carol', '/promote bundle nope qa')).toMatchObject({ ok: false, code: 'VERSION_UNKNOWN' });
    expect(await h.run('carol', '/promote bundle 2026.12')).toMatchObject({ ok: false, code: 'COMMAND_USAGE' });
    const { bundleFromPairs, parsePairs } = await import('../../src/commands/register-bundle.js');
    const d = { config: h.config, releases: h.gantry.core.releases, bundles: h.gantry.core.bundles!.store };
    await expect(bundleFromPairs(d, 'x', parsePairs(['web=v1.2.3', 'web=v1.2.4']), 't', new Date())).rejects.toThrow('web is named twice');
    await expect(bundleFromPairs(d, 'x', parsePairs(['nope=v1']), 't', new Date())).rejects.toThrow('unknown app "nope"');
    await expect(bundleFromPairs(d, 'x', parsePairs(['web=v9.9.9']), 't', new Date())).rejects.toThrow('web v9.9.9 is not a built release');
    expect(() => parsePairs(['web'])).toThrow('"web" is not app=version');
    expect(await h.head()).toBe(head);
  });
});
