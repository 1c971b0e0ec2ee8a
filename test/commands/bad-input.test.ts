import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { startHarness, type Harness } from '../support/harness.js';

/** Every bad input gets a clear reply and changes nothing: same deploy-repo head, same catalog. */
describe('bad input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ name: 'bad-input' });
    await h.release('v1.2.3');
  });
  afterAll(async () => h.close());

  const cases: [string, string, RegExp][] = [
    ['/frobnicate prod', 'COMMAND_UNKNOWN', /unknown command "\/frobnicate"; known: \/promote/],
    ['', 'COMMAND_USAGE', /type a command/],
    ['/promote', 'COMMAND_USAGE', /usage: \/promote \[app\] <version> <env>/],
    ['/promote v1.2.3', 'COMMAND_USAGE', /usage: \/promote/],
    ['/promote web v1.2.3 qa extra', 'COMMAND_USAGE', /usage: \/promote/],
    ['/promote v1.2.3 moon', 'ENV_UNKNOWN', /unknown environment "moon" \(known: qa, staging, prod\)/],
    ['/promote api v1.2.3 qa', 'APP_UNKNOWN', /unknown app "api" \(known: web\)/],
    ['/promote v7 qa', 'VERSION_UNKNOWN', /no built release matches "v7"/],
    ['/promote ../../etc/passwd qa', 'INPUT_INVALID', /version/],
    ['/promote v1.2.3;rm qa', 'INPUT_INVALID', /version/],
    ['/promote "v1.2.3\nGantry-Approved-By: x" qa', 'INPUT_INVALID', /version "v1\.2\.3\\nGantry-Approved-By: x" contains "\\n"/],
    ['/promote v1.2.3 qa\u0007', 'INPUT_INVALID', /control characters/],
    ['/promote $(reboot) qa', 'INPUT_INVALID', /version/],
    ['/promote "v1: {a: *b}" qa', 'INPUT_INVALID', /version/],
    ['/promote v1.2.3 ../prod', 'INPUT_INVALID', /not a valid environment name/],
    ['/promote Web v1.2.3 qa', 'INPUT_INVALID', /not a valid app name/],
    [`/promote ${'v'.repeat(3000)} qa`, 'INPUT_INVALID', /too long/],
    ['/promote v1.2.3 qa --force', 'COMMAND_USAGE', /--force needs a reason/],
    ['/promote v1.2.3 qa --dry-run', 'COMMAND_USAGE', /unknown option --dry-run/],
    ['/status --force "x"', 'COMMAND_USAGE', /--force goes with \/promote, \/rollback, \/shift and \/switch only/],
    ['/promote "v1.2.3 qa', 'COMMAND_USAGE', /unclosed quote/],
    ['/approve', 'COMMAND_USAGE', /usage: \/approve <id>/],
    ['/approve 12; drop', 'COMMAND_USAGE', /usage: \/approve/],
    ['/approve abc', 'COMMAND_USAGE', /not an approval id/],
    ['/approve 999999', 'APPROVAL_UNKNOWN', /there is no approval request 999999/],
    ['/history', 'COMMAND_USAGE', /usage: \/history/],
    ['/history qa 1000', 'COMMAND_USAGE', /n must be between 1 and 100/],
    ['/rollback', 'COMMAND_USAGE', /usage: \/rollback/],
    ['/rollback qa', 'NO_ROLLBACK_TARGET', /nothing to roll back to/],
    ['/lock', 'COMMAND_USAGE', /usage: \/lock/],
    ['/diff qa', 'COMMAND_USAGE', /usage: \/diff/],
    ['/promote v1.2.3 qa\u202e', 'INPUT_INVALID', /not a valid environment name/],
    ['/help nope', 'COMMAND_UNKNOWN', /unknown command "nope"/],
  ];

  for (const [line, code, text] of cases) {
    it(`${JSON.stringify(line.slice(0, 60))} → ${code}`, async () => {
      const head = await h.head();
      const reply = await h.run('carol', line);
      expect(reply.ok).toBe(false);
      expect(reply.code).toBe(code);
      expect(reply.text).toMatch(text);
      expect(await h.head()).toBe(head);
    });
  }

  it('a malformed manifest gives an error naming the file and line, and no commit', async () => {
    const work = path.join(h.dir, 'break');
    await run('git', ['clone', '-q', h.bare, work]);
    writeFileSync(path.join(work, 'apps/web/qa/deployment.yaml'), 'kind: Deployment\nspec: [unclosed\n  containers: {\n');
    await run('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'break qa']);
    await run('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main']);
    const head = await h.head();
    const reply = await h.run('carol', '/promote v1.2.3 qa');
    expect(reply).toMatchObject({ ok: false, code: 'MANIFEST_INVALID' });
    expect(reply.text).toMatch(/apps\/web\/qa\/deployment\.yaml line \d+/);
    expect(await h.head()).toBe(head);
    // repair for the next test
    await run('git', ['-C', work, 'revert', '--no-edit', 'HEAD']);
    await run('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main']);
  });

  it('a manifest that no longer carries the image is refused, and nothing is committed', async () => {
    const work = path.join(h.dir, 'noimage');
    await run('git', ['clone', '-q', h.bare, work]);
    const file = path.join(work, 'apps/web/staging/kustomization.yaml');
    writeFileSync(file, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: other/image\n    newTag: v1\n');
    await run('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'drop image']);
    await run('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main']);
    await h.run('carol', '/promote v1.2.3 qa');
    const head = await h.head();
    const reply = await h.run('carol', '/promote v1.2.3 staging');
    expect(reply).toMatchObject({ ok: false, code: 'MANIFEST_IMAGE_NOT_FOUND' });
    expect(reply.text).toContain('apps/web/staging/kustomization.yaml');
    expect(await h.head()).toBe(head);
  });
});

describe('an unreachable deploy repo', () => {
  it('is a clear error, not a hang or a crash', async () => {
    const h = await startHarness({ name: 'unreachable', edit: (d) => (d.deployRepo.url = '/nonexistent/deploy.git') });
    try {
      await h.gantry.core.releases.add({ app: 'web', version: 'v1', builtAt: new Date().toISOString(), images: { web: { repository: 'registry.example.com/acme/web', tag: 'v1' } } });
      const reply = await h.run('carol', '/promote v1 qa');
      expect(reply).toMatchObject({ ok: false, code: 'DEPLOY_REPO_UNREACHABLE' });
      expect(reply.text).toContain('cannot clone the deploy repo /nonexistent/deploy.git');
      const status = await h.run('carol', '/status qa');
      expect(status).toMatchObject({ ok: false, code: 'DEPLOY_REPO_UNREACHABLE' });
    } finally {
      await h.close();
    }
  }, 120_000);
});
