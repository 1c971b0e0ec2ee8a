import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * A deploy repo written by hand, the way a team has it before gantry arrives: six formats, with
 * comments, CRLF line endings, odd indentation, 4-space JSON and a pinned digest. An
 * environment's history is what its files said, commit by commit, whoever wrote them.
 */
const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const PROD: Record<string, string> = {
  'apps/web/prod/deployment.yaml': [
    '# web in prod -- written by hand, CRLF',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '    name: web   # four-space indent',
    'spec:',
    '    replicas: 2',
    '    template:',
    '        spec:',
    '            containers:',
    '                - name: web',
    "                  image: 'registry.example.com/acme/web:v1.0.0'   # quoted, commented",
    '                  ports: [{ containerPort: 8080 }]',
    '',
  ].join('\r\n'),
  'apps/web/prod/kustomization.yaml': [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources: [deployment.yaml]',
    'images:',
    '  # the image gantry moves',
    '  - name: registry.example.com/acme/web',
    '    newTag: "v1.0.0"',
    '',
  ].join('\n'),
  'apps/web/prod/values.yaml': [
    '# Helm values, three-space indent',
    'image:',
    '   repository: registry.example.com/acme/web',
    "   tag: 'v1.0.0'     # keep in sync",
    '   pullPolicy: IfNotPresent',
    'resources: { limits: { memory: 256Mi } }',
    '',
  ].join('\n'),
  'apps/web/marathon/prod.json': `${JSON.stringify(
    { id: '/web/prod', instances: 3, container: { type: 'DOCKER', docker: { image: 'registry.example.com/acme/web:v1.0.0', forcePullImage: false } } },
    null,
    4,
  )}\n`,
  'apps/web/compose/prod.yml': [
    'services:',
    '  web:',
    `    image: registry.example.com/acme/web:v1.0.0@${DIGEST}   # pinned by hand`,
    '    restart: always',
    '',
  ].join('\n'),
  'apps/web/flux/prod.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: registry.example.com/acme/web:v1.0.0 # {"$imagepolicy": "flux-system:web"}',
    '',
  ].join('\n'),
};
const QA = { 'apps/web/qa/deployment.yaml': PROD['apps/web/prod/deployment.yaml']!.replace('name: web   #', 'name: web-qa   #') };
const STAGING = { 'apps/web/staging/kustomization.yaml': PROD['apps/web/prod/kustomization.yaml']! };

function seedDir(): { dir: string; remove(): void } {
  const tmp = tempDir('hand-written');
  for (const [rel, text] of Object.entries({ ...PROD, ...QA, ...STAGING })) {
    mkdirSync(path.dirname(path.join(tmp.dir, rel)), { recursive: true });
    writeFileSync(path.join(tmp.dir, rel), text);
  }
  return tmp;
}

/** qa, staging and prod as the hand-written repo lays them out; `open` drops prod's approvals. */
function handWritten(open: boolean) {
  return (d: Record<string, any>) => {
    d.apps.web.deploy = {
      qa: [{ file: 'apps/web/qa/deployment.yaml', format: 'kubernetes' }],
      staging: [{ file: 'apps/web/staging/kustomization.yaml', format: 'kustomize' }],
      prod: [
        { file: 'apps/web/prod/deployment.yaml', format: 'kubernetes' },
        { file: 'apps/web/prod/kustomization.yaml', format: 'kustomize' },
        { file: 'apps/web/prod/values.yaml', format: 'helm' },
        { file: 'apps/web/marathon/prod.json', format: 'marathon' },
        { file: 'apps/web/compose/prod.yml', format: 'compose' },
        { file: 'apps/web/flux/prod.yaml', format: 'flux', policies: { web: 'flux-system:web' } },
      ],
    };
    if (open) {
      delete d.environments.prod.approvals;
      delete d.environments.prod.from;
    }
  };
}

/** A commit made by a person, straight to the deploy repo: gantry is not involved. */
async function commitByHand(h: Harness, rel: string, edit: (text: string) => string): Promise<void> {
  const clone = path.join(h.dir, `by-hand-${Date.now()}`);
  const git = async (...args: string[]) => {
    const r = await run('git', ['-c', 'user.name=Dana Ops', '-c', 'user.email=dana@acme.example', ...args], { cwd: clone });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  await run('git', ['clone', '-q', h.bare, clone]);
  const { readFileSync } = await import('node:fs');
  writeFileSync(path.join(clone, rel), edit(readFileSync(path.join(clone, rel), 'utf8')));
  await git('commit', '-qam', `ops: edit ${rel} by hand`);
  await git('push', '-q', 'origin', 'HEAD:main');
}

describe('history of a hand-written deploy repo', () => {
  let h: Harness;
  let seed: { dir: string; remove(): void };
  afterEach(async () => {
    await h?.close();
    seed?.remove();
  });

  it('promote qa → staging → prod, then /rollback prod returns every prod file byte for byte; a second finds nothing earlier', async () => {
    seed = seedDir();
    h = await startHarness({ name: 'hand-written', seed: seed.dir, edit: handWritten(false) });
    await h.release('v1.1.0');
    for (const env of ['qa', 'staging']) {
      const r = await h.run('carol', `/promote v1.1.0 ${env}`);
      expect(r.ok, r.text).toBe(true);
      expect(r.text).toContain(`(was v1.0.0)`);
    }
    const asked = await h.run('carol', '/promote v1.1.0 prod');
    expect(asked.ok, asked.text).toBe(true);
    // the approvers see exactly the image lines, in every format
    expect(asked.approval!.changes.map((c) => c.file).sort()).toEqual(Object.keys(PROD).sort());
    const approved = await h.run('alice', `/approve ${asked.approval!.id}`);
    expect(approved.ok, approved.text).toBe(true);
    for (const [rel, text] of Object.entries(PROD)) {
      const now = await h.file(rel);
      expect(now, rel).not.toBe(text);
      // only the image line changed, and only in its version
      const diff = now.split('\n').filter((line, i) => line !== text.split('\n')[i]);
      expect(diff, rel).toHaveLength(1);
      expect(diff[0], rel).toContain('v1.1.0');
    }

    const head = await h.head();
    const back = await h.run('bob', '/rollback prod');
    expect(back.ok, back.text).toBe(true);
    expect(back.text).toContain('rolled back web in prod to v1.0.0 (was v1.1.0)');
    for (const [rel, text] of Object.entries(PROD)) expect(await h.file(rel), rel).toBe(text);
    expect(await h.git('diff', '--stat', head, 'main', '--', 'apps/web/qa', 'apps/web/staging')).toBe('');
    const t = parseDeployTrailers(await h.git('log', '-1', '--format=%B', 'main'))!;
    expect(t).toMatchObject({ action: 'rollback', version: 'v1.0.0', previousVersion: 'v1.1.0' });

    const rolled = await h.head();
    const again = await h.run('bob', '/rollback prod');
    expect(again).toMatchObject({ ok: false, code: 'NO_ROLLBACK_TARGET' });
    expect(again.text).toContain('has nothing before v1.0.0');
    expect(await h.head()).toBe(rolled);

    const history = (await h.run('bob', '/history prod')).text.split('\n');
    expect(history[1]).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC rollback v1\.0\.0 \(from v1\.1\.0\) by bob$/);
    expect(history[2]).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC promote v1\.1\.0 \(from v1\.0\.0\) by carol, approved by alice$/);
    expect(history[3]).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC manual v1\.0\.0 by gantry <gantry@localhost>$/);
  });

  it('a rollback changes only the image references: edits made by hand since the promotion stay', async () => {
    seed = seedDir();
    h = await startHarness({ name: 'hand-written-edits', seed: seed.dir, edit: handWritten(true) });
    await h.release('v1.1.0');
    await h.release('v1.2.0');
    expect((await h.run('alice', '/promote v1.1.0 prod')).ok).toBe(true);
    // someone scales prod by hand, then v1.2.0 goes out; rolling back keeps the scale-up
    await commitByHand(h, 'apps/web/prod/deployment.yaml', (t) => t.replace('replicas: 2', 'replicas: 5'));
    expect((await h.run('alice', '/promote v1.2.0 prod')).ok).toBe(true);
    const back = await h.run('bob', '/rollback prod');
    expect(back.text).toContain('rolled back web in prod to v1.1.0 (was v1.2.0)');
    const k8s = await h.file('apps/web/prod/deployment.yaml');
    expect(k8s).toBe(PROD['apps/web/prod/deployment.yaml']!.replace('replicas: 2', 'replicas: 5').replace('web:v1.0.0', 'web:v1.1.0'));

    // a version a person put there by hand is history too
    await commitByHand(h, 'apps/web/prod/values.yaml', (t) => t.replace('keep in sync', 'keep in sync with the chart'));
    const hist = (await h.run('bob', '/history prod 10')).text;
    expect(hist).not.toContain('ops: edit'); // a commit that changed no image is no deployment
    const v1 = await h.run('bob', '/rollback prod v1.0.0');
    expect(v1.ok, v1.text).toBe(true);
    // back to the hand-written references (the pinned digest included), the scale-up kept
    expect(await h.file('apps/web/compose/prod.yml')).toBe(PROD['apps/web/compose/prod.yml']);
    expect(await h.file('apps/web/prod/deployment.yaml')).toBe(PROD['apps/web/prod/deployment.yaml']!.replace('replicas: 2', 'replicas: 5'));
  });

  it('/rollback <env> <version> refuses a release that never ran there, even for on-call in a freeze', async () => {
    seed = seedDir();
    const now = () => new Date('2026-11-18T10:00:00Z');
    h = await startHarness({
      name: 'hand-written-untested',
      seed: seed.dir,
      now,
      edit: (d) => {
        handWritten(false)(d);
        d.environments.prod.freeze = [{ cron: '0 9 * * 3', duration: '2h', timezone: 'UTC', reason: 'release train' }];
      },
    });
    await h.release('v2.0.0-untested');
    const head = await h.head();
    const r = await h.run('bob', '/rollback prod v2.0.0-untested');
    expect(r).toMatchObject({ ok: false, code: 'NO_ROLLBACK_TARGET' });
    expect(r.text).toContain('never ran in prod');
    expect(r.text).toContain('/promote web v2.0.0-untested prod');
    expect(await h.head()).toBe(head);
    expect(await h.gantry.core.approvals.pending()).toEqual([]);
  });

  it('a blocked version is rolled back to only with --force, recorded as passing the block', async () => {
    seed = seedDir();
    h = await startHarness({ name: 'hand-written-blocked', seed: seed.dir, edit: handWritten(true) });
    await h.release('v1.0.0');
    await h.release('v1.1.0');
    expect((await h.run('alice', '/promote v1.1.0 prod')).ok).toBe(true);
    expect((await h.run('bob', '/block v1.0.0 corrupts sessions')).ok).toBe(true);
    const head = await h.head();
    const refused = await h.run('bob', '/rollback prod');
    expect(refused).toMatchObject({ ok: false, code: 'RELEASE_BLOCKED' });
    expect(refused.text).toContain('--force "reason" with break-glass rights');
    expect(await h.head()).toBe(head);
    // bob is on call but has no break-glass rights; alice (a lead) has both
    expect(await h.run('bob', '/rollback prod --force "sessions are fine, v1.1.0 is worse"')).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    const forced = await h.run('alice', '/rollback prod --force "sessions are fine, v1.1.0 is worse"');
    expect(forced.ok, forced.text).toBe(true);
    expect(forced.text).toContain('override: sessions are fine, v1.1.0 is worse (passed block by shell:bob (bob): corrupts sessions)');
    expect(await h.git('log', '-1', '--format=%B', 'main')).toContain('Gantry-Override: sessions are fine, v1.1.0 is worse (passed block by shell:bob (bob): corrupts sessions)');
  });

  it('a reference to the app that is not valid refuses the whole promotion, naming file and line', async () => {
    seed = seedDir();
    h = await startHarness({ name: 'hand-written-invalid', seed: seed.dir, edit: handWritten(true) });
    await h.release('v1.1.0');
    // a canary container someone added by hand with a build suffix no registry accepts
    await commitByHand(h, 'apps/web/prod/deployment.yaml', (t) =>
      t.replace('                  ports:', "                  ports: []\r\n                - name: canary\r\n                  image: registry.example.com/acme/web:v1.0.0+build.7\r\n                  env:"),
    );
    const head = await h.head();
    const r = await h.run('alice', '/promote v1.1.0 prod');
    expect(r).toMatchObject({ ok: false, code: 'MANIFEST_UNSUPPORTED' });
    expect(r.text).toContain('apps/web/prod/deployment.yaml line 15');
    expect(r.text).toContain('"registry.example.com/acme/web:v1.0.0+build.7" is not an image reference');
    expect(await h.head()).toBe(head);
  });
});
