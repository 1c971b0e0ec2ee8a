import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { PreviewWriter } from '../../src/previews/writer.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { expectedPreview, IMAGE1, IMAGE2, previewSeed, withPreviews } from './support.js';

/**
 * The preview writer on a real deploy repo (a bare git repo) and a real Redis branch lock: one
 * commit per change, whole directories, replay-safe, limit and ttl. The GitHub side is
 * test/github/previews.test.ts.
 */
describe('preview writer', () => {
  let h: Harness;
  let seed: ReturnType<typeof previewSeed>;
  afterEach(async () => {
    await h?.close();
    seed?.remove();
  });

  const start = async (name: string, o: { more?: Record<string, unknown>; template?: Record<string, string>; now?: () => Date } = {}) => {
    seed = previewSeed(name, o.template);
    h = await startHarness({ name, workers: false, seed: seed.dir, edit: withPreviews(o.more), ...(o.now ? { now: o.now } : {}) });
    const core = h.gantry.core;
    return new PreviewWriter({ config: core.config, repo: core.repo, lock: core.deployBranch!.lock, headHint: core.deployBranch!.headHint, log: silentLogger, now: () => core.now() });
  };
  const write = (w: PreviewWriter, pr: number, image = IMAGE1, request = `req-${pr}-${image.slice(-4)}`) =>
    w.apply({ kind: 'write', app: 'web', pr, image, version: `pr-${pr}-1a2b3c4`, requestedBy: 'github:octocat', request });
  const tree = async (dir: string) => (await h.git('ls-tree', '-r', '--name-only', 'main', '--', dir)).split('\n').filter(Boolean);

  it('writes the template with its placeholders filled, one commit with trailers; a second write of another digest changes only the image line', async () => {
    const w = await start('pv-write');
    const out = await write(w, 42);
    expect(out).toMatchObject({ outcome: 'written', dir: 'previews/web-pr-42', url: 'https://web-pr-42.preview.example.com/', commit: await h.head() });
    for (const [file, text] of expectedPreview()) expect(await h.file(`previews/web-pr-42/${file}`)).toBe(text);
    expect(await tree('previews')).toEqual(['previews/web-pr-42/README', 'previews/web-pr-42/ingress.yaml', 'previews/web-pr-42/kustomization.yaml']);
    expect(await h.git('log', '-1', '--format=%B', 'main')).toBe(
      `preview web pr-42-1a2b3c4 as pr-42\n\nGantry-App: web\nGantry-Environment: pr-42\nGantry-Version: pr-42-1a2b3c4\nGantry-Action: preview\nGantry-Image: ${IMAGE1}\nGantry-Requested-By: github:octocat\nGantry-Request: req-42-1111\n\n`,
    );
    expect(await h.git('diff', '--name-only', 'main~1', 'main')).toBe('previews/web-pr-42/README\npreviews/web-pr-42/ingress.yaml\npreviews/web-pr-42/kustomization.yaml\n');

    const again = await write(w, 42, IMAGE2);
    expect(again.outcome).toBe('written');
    for (const [file, text] of expectedPreview(IMAGE2.split('@')[1])) expect(await h.file(`previews/web-pr-42/${file}`)).toBe(text);
    const diff = await h.git('diff', '--unified=0', 'main~1', 'main');
    expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([`-        value: ${IMAGE1}`, `+        value: ${IMAGE2}`]);
    // the same content again is no commit at all
    const head = await h.head();
    expect((await write(w, 42, IMAGE2, 'req-other')).outcome).toBe('unchanged');
    expect(await h.head()).toBe(head);
  });

  it('a push by someone else in between is fetched and the preview written on top of it; a concurrent promotion waits its turn', async () => {
    const w = await start('pv-race');
    await write(w, 42);
    // another writer (a person, another tool) pushes straight to the deploy repo
    const other = path.join(h.dir, 'other');
    await run('git', ['clone', '-q', h.bare, other]);
    writeFileSync(path.join(other, 'NOTES.md'), 'hand-written\n');
    for (const args of [['add', 'NOTES.md'], ['-c', 'user.name=Dana', '-c', 'user.email=dana@example.com', 'commit', '-qm', 'notes'], ['push', '-q', 'origin', 'HEAD:main']]) {
      expect((await run('git', args, { cwd: other })).code).toBe(0);
    }
    await h.release('v9.9.9');
    const [preview, promoted] = await Promise.all([write(w, 42, IMAGE2), h.gantry.core.deployer.deploy({ id: 'race-1', app: 'web', env: 'qa', version: 'v9.9.9', action: 'promote', requestedBy: { id: 'shell:alice', name: 'alice' }, approvedBy: [] })]);
    expect(preview.outcome).toBe('written');
    const log = await h.git('log', '--format=%s', '-4', 'main');
    expect(log.split('\n').filter(Boolean).sort()).toEqual(['notes', 'preview web pr-42-1a2b3c4 as pr-42', 'preview web pr-42-1a2b3c4 as pr-42', 'promote web v9.9.9 to qa'].sort());
    expect(await h.file('NOTES.md')).toBe('hand-written\n');
    expect(await h.file('previews/web-pr-42/kustomization.yaml')).toContain(IMAGE2);
    expect(await h.file('apps/web/qa/deployment.yaml')).toContain('registry.example.com/acme/web:v9.9.9');
    expect(promoted.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a job run again finds its commit by the request trailer and writes nothing twice', async () => {
    const w = await start('pv-replay');
    const first = await write(w, 42);
    const replay = await w.apply({ kind: 'write', app: 'web', pr: 42, image: IMAGE2, version: 'pr-42-2222222', requestedBy: 'github:octocat', request: 'req-42-1111', maybeDone: true });
    expect(replay).toMatchObject({ outcome: 'replayed', commit: first.commit });
    expect(await h.head()).toBe(first.commit);
  });

  it('removes the whole directory in one commit; the template and other previews stay', async () => {
    const w = await start('pv-remove');
    await write(w, 42);
    await write(w, 7);
    const out = await w.apply({ kind: 'remove', app: 'web', pr: 42, requestedBy: 'github:octocat', request: 'close-42', reason: 'pull request merged' });
    expect(out).toMatchObject({ outcome: 'removed', dir: 'previews/web-pr-42' });
    expect(await tree('previews')).toEqual(['previews/web-pr-7/README', 'previews/web-pr-7/ingress.yaml', 'previews/web-pr-7/kustomization.yaml']);
    expect(await tree('templates/preview')).toHaveLength(3);
    expect(await h.git('log', '-1', '--format=%B', 'main')).toBe(
      'remove preview web pr-42 (pull request merged)\n\nGantry-App: web\nGantry-Environment: pr-42\nGantry-Action: preview-remove\nGantry-Requested-By: github:octocat\nGantry-Reason: pull request merged\nGantry-Request: close-42\n\n',
    );
    expect((await w.apply({ kind: 'remove', app: 'web', pr: 42, requestedBy: 'github:octocat', request: 'close-42b' })).outcome).toBe('unchanged');
  });

  it('refuses a new preview past the limit, saying which are open; an existing one is still updated', async () => {
    const w = await start('pv-limit', { more: { limit: 2 } });
    await write(w, 1);
    await write(w, 2);
    const head = await h.head();
    await expect(write(w, 3)).rejects.toMatchObject({ code: 'DEPLOY_REFUSED', message: 'app web already has 2 previews (limit 2: #1, #2); close one of them or raise apps.web.previews.limit' });
    expect(await h.head()).toBe(head);
    expect((await write(w, 2, IMAGE2)).outcome).toBe('written');
    expect((await w.list('web', 'main')).map((e) => [e.pr, e.image])).toEqual([
      [1, IMAGE1],
      [2, IMAGE2],
    ]);
  });

  it('/previews lists them from the deploy branch, in the shell as in chat', async () => {
    const w = await start('pv-list');
    expect((await h.run('alice', '/previews')).text).toBe('no previews of web are open');
    await write(w, 42);
    await write(w, 7, IMAGE2);
    const r = await h.run('alice', '/previews web');
    expect(r.ok, r.text).toBe(true);
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('previews of web, one per pull request:');
    expect(lines[1]).toMatch(/^#7  pr-7-1a2b3c4  https:\/\/web-pr-7\.preview\.example\.com\/  previews\/web-pr-7  updated /);
    expect(lines[2]).toMatch(/^#42  pr-42-1a2b3c4  https:\/\/web-pr-42\.preview\.example\.com\/  previews\/web-pr-42  updated /);
    expect(await h.run('alice', '/previews web qa')).toMatchObject({ ok: false, code: 'COMMAND_USAGE' });
  });

  it('a template with an unknown placeholder is refused naming file and line; nothing is written', async () => {
    const w = await start('pv-bad', { template: { 'service.yaml': 'kind: Service\nmetadata:\n  namespace: ${namespace}\n' } });
    const head = await h.head();
    await expect(write(w, 42)).rejects.toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringMatching(/^service\.yaml line 3: unknown placeholder \$\{namespace\}/) });
    expect(await h.head()).toBe(head);
    expect(await tree('previews')).toEqual([]);
  });

  it('the ttl sweep removes previews not updated for longer than ttl, one commit each, and nothing else', async () => {
    let now = Date.now();
    const w = await start('pv-ttl', { more: { ttl: '2d' }, now: () => new Date(now) });
    await write(w, 42);
    await write(w, 43);
    expect(await w.sweep()).toEqual([]);
    now += 3 * 86_400_000;
    const before = await h.head();
    const out = await w.sweep();
    expect(out.map((o) => [o.outcome, o.dir])).toEqual([
      ['removed', 'previews/web-pr-42'],
      ['removed', 'previews/web-pr-43'],
    ]);
    expect(await h.git('rev-list', '--count', `${before}..main`)).toBe('2\n');
    expect(await h.git('log', '-1', '--format=%B', 'main')).toMatch(/^remove preview web pr-43 \(not updated since .* \(ttl 2d\)\)\n\n[\s\S]*Gantry-Action: preview-remove\nGantry-Requested-By: gantry:ttl\n/);
    expect(await tree('previews')).toEqual([]);
    expect(await w.sweep()).toEqual([]);
  });
});
