import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepo } from '../../src/gitops/git.js';
import type { ChangeSet } from '../../src/gitops/tree-edit.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';

const AUTHOR = { name: 'gantry', email: 'gantry@localhost' };

async function git(dir: string, args: string[], input?: string): Promise<string> {
  const r = await run('git', ['-C', dir, '-c', `user.name=${AUTHOR.name}`, '-c', `user.email=${AUTHOR.email}`, ...args], input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** What `git add`/`git rm` would be given for the same change, done by hand in a twin clone. */
type CliStep = { rm: string } | { write: string; content: string };

/**
 * Index-less commits against the git CLI: each change is made once by gantry's commit writer and
 * once with `git rm`/`git add` + `git commit` in a twin clone of the same commit; the trees must
 * have the same id (so the same entries, modes and order, byte for byte).
 */
describe('commits written without the index', () => {
  let tmp: ReturnType<typeof tempDir>;
  let bare: string;
  let twin: string;
  let repo: GitRepo;
  let base: string;

  beforeAll(async () => {
    tmp = tempDir('commit-writer');
    const seed = path.join(tmp.dir, 'seed');
    const files: Record<string, string> = {
      'apps/web/qa/deployment.yaml': 'image: reg/web:v1\n',
      'apps/web/prod/deployment.yaml': 'image: reg/web:v0\n',
      'a.yaml': 'a\n',
      'a/x.yaml': 'x\n',
      'a-b': 'ab\n',
      'a0': 'zero\n',
      'only/one.yaml': 'one\n',
      'bin/run.sh': '#!/bin/sh\necho hi\n',
      'bin/notes.txt': 'notes\n',
      'previews/web/pr-1/a.yaml': 'pa\n',
      'previews/web/pr-1/sub/b.yaml': 'pb\n',
      'previews/web/pr-2/a.yaml': 'pa2\n',
    };
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(seed, p)), { recursive: true });
      writeFileSync(path.join(seed, p), c);
    }
    chmodSync(path.join(seed, 'bin/run.sh'), 0o755);
    symlinkSync('run.sh', path.join(seed, 'bin/link'));
    await git(tmp.dir, ['init', '-q', '-b', 'main', seed]);
    await git(seed, ['add', '-A']);
    await git(seed, ['commit', '-q', '-m', 'seed']);
    bare = path.join(tmp.dir, 'deploy.git');
    await git(tmp.dir, ['clone', '-q', '--bare', seed, bare]);
    twin = path.join(tmp.dir, 'twin');
    await git(tmp.dir, ['clone', '-q', bare, twin]);
    repo = new GitRepo({ url: bare, branch: 'main', workdir: path.join(tmp.dir, 'work'), author: AUTHOR });
    await repo.ensure();
    base = await repo.knownHead();
  });
  afterAll(() => {
    repo?.close();
    tmp?.remove();
  });

  async function cliTree(steps: CliStep[]): Promise<string> {
    await git(twin, ['reset', '-q', '--hard', base]);
    await git(twin, ['clean', '-q', '-fdx']);
    for (const s of steps) {
      if ('rm' in s) {
        await git(twin, ['rm', '-r', '-q', '--', s.rm]);
        rmSync(path.join(twin, s.rm), { recursive: true, force: true });
      } else {
        mkdirSync(path.dirname(path.join(twin, s.write)), { recursive: true });
        writeFileSync(path.join(twin, s.write), s.content);
        await git(twin, ['add', '--', s.write]);
      }
    }
    await git(twin, ['commit', '-q', '--allow-empty', '-F', '-'], 'change\n');
    return (await git(twin, ['rev-parse', 'HEAD^{tree}'])).trim();
  }

  async function gantryTree(change: ChangeSet): Promise<string> {
    const out = await repo.writeCommit(change, 'change\n');
    if (out === 'unchanged') return (await git(repo.dir, ['rev-parse', `${base}^{tree}`])).trim();
    expect((await git(repo.dir, ['rev-parse', `${out.sha}^`])).trim()).toBe(base);
    return (await git(repo.dir, ['rev-parse', `${out.sha}^{tree}`])).trim();
  }

  const files = (o: Record<string, string | null>) => new Map(Object.entries(o));

  const cases: { name: string; change: ChangeSet; cli: CliStep[] }[] = [
    { name: 'modify one manifest', change: { files: files({ 'apps/web/qa/deployment.yaml': 'image: reg/web:v2\n' }) }, cli: [{ write: 'apps/web/qa/deployment.yaml', content: 'image: reg/web:v2\n' }] },
    { name: 'add a file in a new nested directory', change: { files: files({ 'apps/api/staging/deep/x.yaml': 'x: 1\n' }) }, cli: [{ write: 'apps/api/staging/deep/x.yaml', content: 'x: 1\n' }] },
    { name: 'delete the last file of a directory (the directory disappears)', change: { files: files({ 'only/one.yaml': null }) }, cli: [{ rm: 'only/one.yaml' }] },
    {
      name: 'replace a directory (a preview written again)',
      change: { files: files({ 'previews/web/pr-1/a.yaml': 'new\n', 'previews/web/pr-1/c/d.yaml': 'd\n' }), replaceDirs: ['previews/web/pr-1'] },
      cli: [{ rm: 'previews/web/pr-1' }, { write: 'previews/web/pr-1/a.yaml', content: 'new\n' }, { write: 'previews/web/pr-1/c/d.yaml', content: 'd\n' }],
    },
    { name: 'remove a directory (a preview removed; its parent stays for its sibling)', change: { files: files({}), replaceDirs: ['previews/web/pr-1'] }, cli: [{ rm: 'previews/web/pr-1' }] },
    {
      name: 'files next to a same-prefix directory (a.yaml, a/, a-b, a0)',
      change: { files: files({ 'a.yaml': 'a2\n', 'a/y.yaml': 'y\n', 'a-b': 'ab2\n', 'a.b': 'dot\n', 'a0': null }) },
      cli: [{ write: 'a.yaml', content: 'a2\n' }, { write: 'a/y.yaml', content: 'y\n' }, { write: 'a-b', content: 'ab2\n' }, { write: 'a.b', content: 'dot\n' }, { rm: 'a0' }],
    },
    {
      name: 'an executable edited keeps its mode; a symlink beside it is kept',
      change: { files: files({ 'bin/run.sh': '#!/bin/sh\necho bye\n', 'bin/notes.txt': 'more\n' }) },
      cli: [{ write: 'bin/run.sh', content: '#!/bin/sh\necho bye\n' }, { write: 'bin/notes.txt', content: 'more\n' }],
    },
    { name: 'a file replaces a directory', change: { files: files({ only: 'now a file\n' }) }, cli: [{ rm: 'only' }, { write: 'only', content: 'now a file\n' }] },
    { name: 'a directory replaces a file', change: { files: files({ 'a-b/inner.yaml': 'in\n' }) }, cli: [{ rm: 'a-b' }, { write: 'a-b/inner.yaml', content: 'in\n' }] },
  ];

  for (const c of cases) {
    it(`${c.name}: the same tree as git add/rm + git commit`, async () => {
      const mine = await gantryTree(c.change);
      expect(mine).toBe(await cliTree(c.cli));
      expect(mine).not.toBe((await git(repo.dir, ['rev-parse', `${base}^{tree}`])).trim());
    });
  }

  it('a directory replaced by what it already holds is unchanged (nothing is written)', async () => {
    const same = { files: files({ 'previews/web/pr-2/a.yaml': 'pa2\n' }), replaceDirs: ['previews/web/pr-2'] };
    expect(await repo.writeCommit(same, 'x\n')).toBe('unchanged');
  });

  it('the message bytes are those `git commit -F -` writes (whitespace cleanup)', async () => {
    const message = '\n\n  promote web v1.2 to prod \t\n\n\n\nGantry-App: web  \r\n# not a comment here\n\n\nGantry-Environment: prod';
    const out = await repo.writeCommit({ files: files({ 'a.yaml': 'msg\n' }) }, message);
    if (out === 'unchanged') throw new Error('unchanged');
    const mine = await git(repo.dir, ['cat-file', 'commit', out.sha]);
    await git(twin, ['reset', '-q', '--hard', base]);
    writeFileSync(path.join(twin, 'a.yaml'), 'msg\n');
    await git(twin, ['add', 'a.yaml']);
    await git(twin, ['commit', '-q', '-F', '-'], message);
    const theirs = await git(twin, ['cat-file', 'commit', 'HEAD']);
    const body = (raw: string) => raw.slice(raw.indexOf('\n\n') + 2);
    expect(body(mine)).toBe(body(theirs));
    expect(body(mine)).toBe(await git(twin, ['stripspace'], message));
    // the identity lines are git's (name, email, seconds, zone)
    const idents = (raw: string) => raw.split('\n').filter((l) => /^(author|committer) /.test(l)).map((l) => l.replace(/ \d+ [+-]\d{4}$/, ''));
    expect(idents(mine)).toEqual(idents(theirs));
  });

  it('a tree out of git\'s order (which git never writes) is sorted again, as git add + git commit would leave it', async () => {
    const dir = path.join(tmp.dir, 'unsorted');
    await git(tmp.dir, ['init', '-q', '--bare', '-b', 'main', dir]);
    const blob = async (text: string) => (await git(dir, ['hash-object', '-w', '--stdin'], text)).trim();
    const a = await blob('a\n');
    const b = await blob('b\n');
    // b.yaml before a.yaml: only a tool writing trees by hand makes this
    const entry = (name: string, id: string) => Buffer.concat([Buffer.from(`100644 ${name}\0`), Buffer.from(id, 'hex')]);
    const tree = execFileSync('git', ['-C', dir, 'hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], { input: Buffer.concat([entry('b.yaml', b), entry('a.yaml', a)]) }).toString().trim();
    const commit = (await git(dir, ['commit-tree', tree, '-m', 'by hand'])).trim();
    await git(dir, ['update-ref', 'refs/heads/main', commit]);
    const other = new GitRepo({ url: dir, branch: 'main', workdir: path.join(tmp.dir, 'unsorted-work'), author: AUTHOR });
    try {
      await other.ensure();
      const out = await other.writeCommit({ files: files({ 'b.yaml': 'b2\n' }) }, 'change\n');
      if (out === 'unchanged') throw new Error('unchanged');
      const b2 = await blob('b2\n');
      const sorted = (await git(dir, ['mktree'], `100644 blob ${a}\ta.yaml\n100644 blob ${b2}\tb.yaml\n`)).trim();
      expect((await git(other.dir, ['rev-parse', `${out.sha}^{tree}`])).trim()).toBe(sorted);
    } finally {
      other.close();
    }
  });

  it('a path that leaves the repo is refused and writes nothing', async () => {
    for (const bad of ['../x.yaml', 'a//b', '.git/config', '/etc/passwd']) {
      await expect(repo.writeCommit({ files: files({ [bad]: 'x' }) }, 'x\n')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    }
    await expect(repo.replaceDirAndPush('previews/web/pr-1', [{ path: 'elsewhere/a.yaml', content: 'x' }], 'x\n')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(base);
  });
});

describe('the push and the reads of the index-less path', () => {
  let tmp: ReturnType<typeof tempDir>;
  let bare: string;
  let repo: GitRepo;

  beforeAll(async () => {
    tmp = tempDir('commit-push');
    const seed = path.join(tmp.dir, 'seed');
    mkdirSync(path.join(seed, 'apps/web/qa'), { recursive: true });
    writeFileSync(path.join(seed, 'apps/web/qa/deployment.yaml'), 'image: reg/web:v1\n');
    writeFileSync(path.join(seed, 'apps/web/qa/service.yaml'), 'port: 80\n');
    await git(tmp.dir, ['init', '-q', '-b', 'main', seed]);
    await git(seed, ['add', '-A']);
    await git(seed, ['commit', '-q', '-m', 'seed']);
    bare = path.join(tmp.dir, 'deploy.git');
    await git(tmp.dir, ['clone', '-q', '--bare', seed, bare]);
    repo = new GitRepo({ url: bare, branch: 'main', workdir: path.join(tmp.dir, 'work'), author: AUTHOR });
    await repo.ensure();
  });
  afterAll(() => {
    repo?.close();
    tmp?.remove();
  });

  it('a pushed commit is the remote branch, the local branch and the tracking ref; the remote passes git fsck', async () => {
    const pushed = await repo.commitAndPush([{ path: 'apps/web/qa/deployment.yaml', content: 'image: reg/web:v2\n' }], 'promote web v2 to qa\n');
    if (pushed === 'rejected') throw new Error('rejected');
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(pushed.sha);
    expect((await git(repo.dir, ['rev-parse', 'HEAD', 'refs/remotes/origin/main'])).trim().split('\n')).toEqual([pushed.sha, pushed.sha]);
    await git(bare, ['fsck', '--strict', '--no-dangling']);
    expect(await repo.readFile('apps/web/qa/deployment.yaml')).toBe('image: reg/web:v2\n');
    expect(await repo.filesUnder('apps/web')).toEqual([
      { path: 'apps/web/qa/deployment.yaml', content: 'image: reg/web:v2\n' },
      { path: 'apps/web/qa/service.yaml', content: 'port: 80\n' },
    ]);
  });

  it('a push after someone else pushed is rejected, moves nothing, and refresh brings the branch in', async () => {
    const other = path.join(tmp.dir, 'other');
    await git(tmp.dir, ['clone', '-q', bare, other]);
    writeFileSync(path.join(other, 'apps/web/qa/service.yaml'), 'port: 8080\n');
    await git(other, ['commit', '-q', '-am', 'by hand']);
    await git(other, ['push', '-q', 'origin', 'main']);
    const theirs = (await git(other, ['rev-parse', 'HEAD'])).trim();
    const before = await repo.knownHead();
    expect(await repo.commitAndPush([{ path: 'apps/web/qa/deployment.yaml', content: 'image: reg/web:v3\n' }], 'promote web v3 to qa\n')).toBe('rejected');
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(theirs);
    expect((await git(repo.dir, ['rev-parse', 'HEAD'])).trim()).toBe(before);
    await repo.refresh();
    expect((await git(repo.dir, ['rev-parse', 'HEAD'])).trim()).toBe(theirs);
    expect(await repo.readFile('apps/web/qa/service.yaml')).toBe('port: 8080\n');
    const pushed = await repo.commitAndPush([{ path: 'apps/web/qa/deployment.yaml', content: 'image: reg/web:v3\n' }], 'promote web v3 to qa\n');
    expect(pushed).not.toBe('rejected');
    expect((await git(bare, ['rev-parse', 'main^'])).trim()).toBe(theirs);
  });

  it('a file that is not there is a clear error naming it and the branch', async () => {
    await expect(repo.readFile('apps/web/prod/deployment.yaml')).rejects.toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringContaining('apps/web/prod/deployment.yaml') });
    await expect(repo.readFile('../../etc/passwd')).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    await expect(repo.readFile('apps/web')).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });
});
