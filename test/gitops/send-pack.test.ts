import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitRepo } from '../../src/gitops/git.js';
import { packOf, parseReport, pkt } from '../../src/gitops/pack-wire.js';
import { directRemote } from '../../src/gitops/send-pack.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { serveGitHttp } from '../support/git-http.js';

const AUTHOR = { name: 'gantry', email: 'gantry@localhost' };
const TOKEN = 'ghs_sendpacktoken';

async function git(dir: string, args: string[], input?: string): Promise<string> {
  const r = await run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args], input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The git subcommands a GitRepo runs from now on (it runs every one through git()). */
function watchGit(repo: GitRepo): string[] {
  const seen: string[] = [];
  const original = repo.git.bind(repo);
  repo.git = (args, ...rest) => {
    seen.push(args[0]!);
    return original(args, ...rest);
  };
  return seen;
}

/**
 * gantry's own push (src/gitops/send-pack.ts): the objects it wrote, packed in-process and handed
 * to the remote's real receive-pack, locally and through git http-backend; the same answers as
 * `git push` for a moved branch and a refusal, and `git push` wherever git's config decides.
 */
describe('the push of the objects gantry wrote', () => {
  let tmp: ReturnType<typeof tempDir>;
  let bare: string;
  let repo: GitRepo | undefined;

  beforeEach(async () => {
    tmp = tempDir('send-pack');
    const seed = path.join(tmp.dir, 'seed');
    mkdirSync(path.join(seed, 'apps/web/prod'), { recursive: true });
    writeFileSync(path.join(seed, 'apps/web/prod/deployment.yaml'), 'image: reg/web:v1\n');
    writeFileSync(path.join(seed, 'README.md'), 'deploy\n');
    await git(tmp.dir, ['init', '-q', '-b', 'main', seed]);
    await git(seed, ['add', '-A']);
    await git(seed, ['commit', '-q', '-m', 'seed']);
    bare = path.join(tmp.dir, 'deploy.git');
    await git(tmp.dir, ['clone', '-q', '--bare', seed, bare]);
  });
  afterEach(async () => {
    await repo?.close();
    repo = undefined;
    tmp.remove();
  });

  async function open(url: string, token?: string): Promise<{ repo: GitRepo; commands: string[] }> {
    repo = new GitRepo({ url, branch: 'main', workdir: path.join(tmp.dir, 'work'), author: AUTHOR, ...(token ? { token } : {}) });
    await repo.ensure();
    return { repo, commands: watchGit(repo) };
  }

  const promote = (r: GitRepo, version: string) => r.commitAndPush([{ path: 'apps/web/prod/deployment.yaml', content: `image: reg/web:${version}\n` }], `promote web ${version} to prod\n`);

  it('to a local repo: no git push runs; the remote, the tracking ref and the branch are the commit; git fsck --strict is clean', async () => {
    const { repo: r, commands } = await open(bare);
    for (const v of ['v2', 'v3']) {
      const pushed = await promote(r, v);
      if (pushed === 'rejected') throw new Error('rejected');
      expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(pushed.sha);
      expect((await git(r.dir, ['rev-parse', 'refs/remotes/origin/main', 'refs/heads/main'])).trim().split('\n')).toEqual([pushed.sha, pushed.sha]);
    }
    expect(commands).not.toContain('push');
    expect(await git(bare, ['show', 'main:apps/web/prod/deployment.yaml'])).toBe('image: reg/web:v3\n');
    expect((await git(bare, ['rev-list', '--count', 'main'])).trim()).toBe('3');
    await git(bare, ['fsck', '--strict', '--no-dangling']);
  });

  it('over smart HTTP with the token: no git push runs, and the remote has the commit', async () => {
    const server = await serveGitHttp(bare, TOKEN);
    try {
      const { repo: r, commands } = await open(server.url, TOKEN);
      const servedBefore = server.served;
      const pushed = await promote(r, 'v2');
      if (pushed === 'rejected') throw new Error('rejected');
      expect(commands).not.toContain('push');
      // the ref advertisement and the pack: two requests, both with the token
      expect(server.served - servedBefore).toBe(2);
      expect(server.refused).toBe(0);
      expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(pushed.sha);
      await git(bare, ['fsck', '--strict', '--no-dangling']);
    } finally {
      await server.close();
    }
  });

  it('a branch that moved on is a rejection (nothing sent, nothing moved), and the retry after a refresh lands', async () => {
    const { repo: r, commands } = await open(bare);
    const other = path.join(tmp.dir, 'other');
    await git(tmp.dir, ['clone', '-q', bare, other]);
    writeFileSync(path.join(other, 'README.md'), 'by hand\n');
    await git(other, ['commit', '-q', '-am', 'by hand']);
    await git(other, ['push', '-q', 'origin', 'main']);
    const theirs = (await git(other, ['rev-parse', 'HEAD'])).trim();
    expect(await promote(r, 'v2')).toBe('rejected');
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(theirs);
    await r.refresh();
    const pushed = await promote(r, 'v2');
    if (pushed === 'rejected') throw new Error('rejected');
    expect((await git(bare, ['rev-parse', 'main^'])).trim()).toBe(theirs);
    expect(commands).not.toContain('push');
  });

  it("a refusal by the remote's hook is an error with the hook's words and the reason; the hook ran once, nothing moved", async () => {
    const { repo: r, commands } = await open(bare);
    const ran = path.join(tmp.dir, 'hook-ran');
    const hook = path.join(bare, 'hooks', 'pre-receive');
    writeFileSync(hook, `#!/bin/sh\necho ran >> '${ran}'\necho "deploys are frozen by the platform team" >&2\nexit 1\n`);
    chmodSync(hook, 0o755);
    const before = (await git(bare, ['rev-parse', 'main'])).trim();
    const err = await promote(r, 'v2').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'DEPLOY_REPO_UNREACHABLE', message: expect.stringContaining('remote: deploys are frozen by the platform team') });
    expect((err as Error).message).toContain('! [remote rejected] main (pre-receive hook declined)');
    expect(readFileSync(ran, 'utf8')).toBe('ran\n');
    expect(commands).not.toContain('push');
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(before);
    expect((await git(r.dir, ['rev-parse', 'refs/heads/main', 'refs/remotes/origin/main'])).trim().split('\n')).toEqual([before, before]);
  });

  it('a pack the remote cannot unpack goes to git push, whose error is reported; once the remote takes packs again the next push lands', async () => {
    const { repo: r, commands } = await open(bare);
    // a remote that takes no pack from this client: receive-pack refuses to unpack anything
    await git(bare, ['config', 'receive.maxInputSize', '1']);
    const pushed = r.commitAndPush([{ path: 'apps/web/prod/deployment.yaml', content: 'image: reg/web:v2\n' }], 'promote web v2 to prod\n');
    // git push hits the same limit: the error is git's
    await expect(pushed).rejects.toMatchObject({ code: 'DEPLOY_REPO_UNREACHABLE' });
    expect(commands).toContain('push');
    await git(bare, ['config', '--unset', 'receive.maxInputSize']);
    const again = await promote(r, 'v2');
    if (again === 'rejected') throw new Error('rejected');
    expect((await git(bare, ['rev-parse', 'main'])).trim()).toBe(again.sha);
  });

  it('goes to git push where git config or the environment decides how a push goes', async () => {
    const { repo: r } = await open(bare);
    expect(await directRemote(r.dir, bare, undefined)).toEqual({ kind: 'local', dir: bare });
    expect(await directRemote(r.dir, `file://${bare}`, undefined)).toEqual({ kind: 'local', dir: bare });
    await git(r.dir, ['config', 'url.ssh://elsewhere/.insteadOf', '/nowhere/']);
    expect(await directRemote(r.dir, bare, undefined)).toBeUndefined();
    await git(r.dir, ['config', '--unset', 'url.ssh://elsewhere/.insteadOf']);
    await git(r.dir, ['config', 'remote.origin.pushurl', 'git@example.com:acme/deploy.git']);
    expect(await directRemote(r.dir, bare, undefined)).toBeUndefined();
    await git(r.dir, ['config', '--unset', 'remote.origin.pushurl']);
    await git(r.dir, ['config', 'remote.origin.url', 'git@example.com:acme/deploy.git']);
    expect(await directRemote(r.dir, bare, undefined)).toBeUndefined();
    await git(r.dir, ['config', 'remote.origin.url', 'https://example.com/acme/deploy.git']);
    expect(await directRemote(r.dir, bare, TOKEN)).toEqual({ kind: 'http', url: 'https://example.com/acme/deploy.git', headers: { authorization: `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}` } });
    await git(r.dir, ['config', 'http.proxy', 'http://proxy.internal:3128']);
    expect(await directRemote(r.dir, bare, TOKEN)).toBeUndefined();
    await git(r.dir, ['config', '--unset', 'http.proxy']);
    process.env.HTTPS_PROXY = 'http://proxy.internal:3128';
    try {
      expect(await directRemote(r.dir, bare, TOKEN)).toBeUndefined();
    } finally {
      delete process.env.HTTPS_PROXY;
    }
  });

  it('a tree edited from one the remote has travels as a delta (a pack of about 100 bytes), which git unpacks and index-pack --fix-thin completes', async () => {
    const dir = path.join(tmp.dir, 'thin.git');
    await git(tmp.dir, ['init', '-q', '--bare', dir]);
    const blob = (await git(dir, ['hash-object', '-w', '--stdin'], 'image: reg/app:v1\n')).trim();
    const other = (await git(dir, ['hash-object', '-w', '--stdin'], 'image: reg/app:v2\n')).trim();
    const listing = (pick: (i: number) => string) => Array.from({ length: 500 }, (_, i) => `100644 blob ${pick(i)}\tapp-${String(i).padStart(3, '0')}.yaml\n`).join('');
    const base = (await git(dir, ['mktree'], listing(() => blob))).trim();
    const baseBody = execFileSync('git', ['-C', dir, 'cat-file', 'tree', base]);
    // the edit as gantry makes it, never written to this repo: entry 250 names another blob
    const entry = (i: number) => Buffer.concat([Buffer.from(`100644 app-${String(i).padStart(3, '0')}.yaml\0`), Buffer.from(i === 250 ? other : blob, 'hex')]);
    const body = Buffer.concat(Array.from({ length: 500 }, (_, i) => entry(i)));
    const edited = createHash('sha1').update(Buffer.concat([Buffer.from(`tree ${body.length}\0`), body])).digest('hex');
    expect((await run('git', ['-C', dir, 'cat-file', '-e', edited])).code).not.toBe(0);
    const pack = packOf([{ type: 'tree', body, base: { id: base, body: baseBody } }], 'sha1');
    expect(body.length).toBeGreaterThan(15_000);
    expect(pack.length).toBeLessThan(200); // 15 KB whole
    // what receive-pack runs: unpack-objects for a few objects, index-pack --fix-thin for many
    expect(execFileSync('git', ['-C', dir, 'unpack-objects', '-q'], { input: pack }).length).toBe(0);
    expect(execFileSync('git', ['-C', dir, 'cat-file', 'tree', edited]).equals(body)).toBe(true);
    // a repo holding only the base: index-pack adds it to the pack (--fix-thin) to resolve the delta
    const copy = path.join(tmp.dir, 'thin-copy.git');
    await git(tmp.dir, ['init', '-q', '--bare', copy]);
    execFileSync('git', ['-C', copy, 'hash-object', '-w', '-t', 'tree', '--stdin'], { input: baseBody });
    execFileSync('git', ['-C', copy, 'index-pack', '--stdin', '--fix-thin'], { input: pack });
    expect(execFileSync('git', ['-C', copy, 'cat-file', 'tree', edited]).equals(body)).toBe(true);
  });

  it('reads report-status with and without side-band: a moved branch, a refusal, and a pack the remote could not unpack', () => {
    const report = (...lines: string[]) => Buffer.concat([...lines.map((l) => pkt(`${l}\n`)), Buffer.from('0000')]);
    const banded = (inner: Buffer) => Buffer.concat([pkt(Buffer.concat([Buffer.from([2]), Buffer.from('progress\n')])), pkt(Buffer.concat([Buffer.from([1]), inner])), Buffer.from('0000')]);
    const ok = report('unpack ok', 'ok refs/heads/main');
    expect(parseReport(ok, false)).toEqual({ unpack: 'ok', refs: new Map([['refs/heads/main', 'ok']]), messages: [] });
    // band 2 is what the remote said on the way (git push prints it as `remote:` lines)
    expect(parseReport(banded(ok), true)).toEqual({ unpack: 'ok', refs: new Map([['refs/heads/main', 'ok']]), messages: ['progress'] });
    expect(parseReport(report('unpack ok', 'ng refs/heads/main failed to lock'), false).refs.get('refs/heads/main')).toBe('failed to lock');
    expect(parseReport(report('unpack index-pack abnormal exit', 'ng refs/heads/main unpacker error'), false).unpack).toBe('index-pack abnormal exit');
  });
});
