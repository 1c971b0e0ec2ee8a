import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { ContextError, prepareContext, type BuildContext, type ContextOptions } from '../../src/images/context.js';
import { tarballFromFiles, type SourceFile } from '../support/source-tarball.js';
import { busyboxContext } from '../support/docker.js';

interface Listed {
  type: string;
  linkname?: string;
  mode: number;
  uid: number;
  content?: string;
}

/** Every entry the daemon would receive, by name. */
async function list(ctx: BuildContext): Promise<Map<string, Listed>> {
  const out = new Map<string, Listed>();
  const extract = tar.extract();
  const data = await buffer(ctx.tar());
  Readable.from([data]).pipe(extract);
  for await (const e of extract) {
    const body = (await buffer(e as unknown as AsyncIterable<Buffer>)).toString('utf8');
    const h = e.header;
    out.set(h.name.replace(/\/$/, ''), { type: h.type, mode: h.mode, uid: h.uid, ...(h.linkname ? { linkname: h.linkname } : {}), ...(h.type === 'file' ? { content: body } : {}) });
  }
  return out;
}

async function prepare(files: Record<string, SourceFile>, opts: ContextOptions = {}, raw?: Array<{ name: string; content: string }>): Promise<BuildContext> {
  return prepareContext(tarballFromFiles(files, raw ? { raw } : {}), opts);
}

describe('build context from a source tarball', () => {
  it('strips the top directory and applies .dockerignore with exceptions, directory patterns and **', async () => {
    const ctx = await prepare({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '# comment\nsecret.txt\n*.bak\n!keep.bak\ndocs\n!docs/keep.md\n**/*.tmp\nbuild/\n',
      'app.txt': 'app',
      'secret.txt': 'no',
      'debug.bak': 'no',
      'keep.bak': 'yes',
      'docs/readme.md': 'no',
      'docs/keep.md': 'yes',
      'src/a.tmp': 'no',
      'src/deep/b.tmp': 'no',
      'src/main.c': 'yes',
      'build/out.o': 'no',
    });
    try {
      const names = [...(await list(ctx)).keys()].sort();
      expect(names).toEqual(['.dockerignore', 'Dockerfile', 'app.txt', 'docs/keep.md', 'keep.bak', 'src', 'src/deep', 'src/main.c']);
      expect(ctx.dockerfile).toBe('Dockerfile');
      expect(ctx.dockerfileText).toBe('FROM scratch\n');
      expect(ctx.ignored).toBe(8); // secret, debug.bak, docs, docs/readme.md, 2 × .tmp, build, build/out.o
    } finally {
      await ctx.dispose();
    }
  });

  it('sends the Dockerfile and .dockerignore even when .dockerignore names them', async () => {
    const ctx = await prepare({ Dockerfile: 'FROM scratch\n', '.dockerignore': '*\n', 'a.txt': 'a' });
    expect([...(await list(ctx)).keys()].sort()).toEqual(['.dockerignore', 'Dockerfile']);
    await ctx.dispose();
  });

  it('applies a .dockerignore that comes after the files it ignores', async () => {
    // '-' sorts before '.', so these precede .dockerignore in the tarball
    const ctx = await prepare({ '-early.secret': 'no', '-early.txt': 'yes', '.dockerignore': '*.secret\n', Dockerfile: 'FROM scratch\n' });
    expect([...(await list(ctx)).keys()].sort()).toEqual(['-early.txt', '.dockerignore', 'Dockerfile']);
    expect(ctx.ignored).toBe(1);
    await ctx.dispose();
  });

  it('keeps only the context subdirectory, with the Dockerfile inside it', async () => {
    const src = await busyboxContext('monorepo', { busyboxAt: 'services/api/busybox' });
    const ctx = await prepareContext(Readable.from([src]), { context: 'services/api/', dockerfile: './docker/Dockerfile' });
    try {
      const entries = await list(ctx);
      expect([...entries.keys()].sort()).toEqual(['.dockerignore', 'busybox', 'docker', 'docker/Dockerfile', 'src', 'src/main.txt']);
      expect(ctx.dockerfile).toBe('docker/Dockerfile');
      expect(entries.get('busybox')!.mode & 0o777).toBe(0o755);
      expect(entries.get('src/main.txt')).toMatchObject({ uid: 0, content: 'api main\n' });
    } finally {
      await ctx.dispose();
    }
  });

  it('sends symlinks as symlinks, unresolved, even when they point outside', async () => {
    const ctx = await prepare({ Dockerfile: 'FROM scratch\n', 'out': { symlink: '../../../etc/passwd' }, 'in': { symlink: 'Dockerfile' } });
    const entries = await list(ctx);
    expect(entries.get('out')).toMatchObject({ type: 'symlink', linkname: '../../../etc/passwd' });
    expect(entries.get('in')).toMatchObject({ type: 'symlink', linkname: 'Dockerfile' });
    await ctx.dispose();
  });

  it('turns a hard link into a copy of its target', async () => {
    // '-' sorts before '.': the target is read before .dockerignore leaves it out
    const ctx = await prepare({ Dockerfile: 'FROM scratch\n', '-a.txt': 'same bytes', 'b.txt': { hardlink: '-a.txt' }, '.dockerignore': '-a.txt\n' });
    const entries = await list(ctx);
    expect([...entries.keys()].sort()).toEqual(['.dockerignore', 'Dockerfile', 'b.txt']);
    expect(entries.get('b.txt')).toMatchObject({ type: 'file', content: 'same bytes' });
    await ctx.dispose();
    const refused = prepare({ Dockerfile: 'FROM scratch\n', 'a.txt': 'x', 'b.txt': { hardlink: 'a.txt' }, '.dockerignore': 'a.txt\n' });
    await expect(refused).rejects.toThrow(/hard link b.txt points to a file .dockerignore leaves out/);
  });

  it('resolves a Dockerfile symlink inside the context', async () => {
    const ctx = await prepare({ 'docker/Dockerfile.real': 'FROM scratch\nRUN true\n', Dockerfile: { symlink: 'docker/Dockerfile.real' }, '.dockerignore': 'docker\n' });
    expect(ctx.dockerfileText).toBe('FROM scratch\nRUN true\n');
    // the build API is pointed at the target, which is sent although .dockerignore names its directory
    expect(ctx.dockerfile).toBe('docker/Dockerfile.real');
    expect([...(await list(ctx)).keys()].sort()).toEqual(['.dockerignore', 'Dockerfile', 'docker/Dockerfile.real']);
    await ctx.dispose();
  });

  it('spools large contexts to disk and sends the same bytes', async () => {
    const big = Buffer.alloc(300_000, 7);
    const ctx = await prepare({ Dockerfile: 'FROM scratch\n', 'a.bin': big, 'b.bin': big, 'c.txt': 'small' }, { memoryLimit: 100_000 });
    const entries = await list(ctx);
    expect(entries.get('a.bin')!.content).toBe(big.toString('utf8'));
    expect(entries.get('b.bin')!.content).toBe(big.toString('utf8'));
    expect(entries.get('c.txt')!.content).toBe('small');
    // a second stream gives the same bytes (a retry can resend)
    expect((await buffer(ctx.tar())).equals(await buffer(ctx.tar()))).toBe(true);
    await ctx.dispose();
  });

  describe('refuses, with a context error that says where', () => {
    const cases: Array<[string, () => Promise<BuildContext>, RegExp]> = [
      ['a path with ..', () => prepare({ Dockerfile: 'FROM scratch\n' }, {}, [{ name: 'acme-app-0000000/../../evil', content: 'x' }]), /escapes/],
      ['an absolute path', () => prepare({ Dockerfile: 'FROM scratch\n' }, {}, [{ name: '/etc/evil', content: 'x' }]), /absolute path/],
      ['an entry under a symlink', () => prepare({ Dockerfile: 'FROM scratch\n', link: { symlink: '/etc' } }, {}, [{ name: 'acme-app-0000000/link/passwd', content: 'x' }]), /under the symlink link/],
      ['a missing Dockerfile', () => prepare({ 'app/Dockerfile.dev': 'FROM scratch\n' }, { context: 'app' }), /Dockerfile app\/Dockerfile not found/],
      ['a missing context directory', () => prepare({ Dockerfile: 'FROM scratch\n' }, { context: 'services/api' }), /context directory services\/api not found/],
      ['a context directory behind a symlink', () => prepare({ 'src/api/Dockerfile': 'FROM scratch\n', api: { symlink: 'src/api' } }, { context: 'api' }), /lies under the symlink api/],
      ['a context outside the source', () => prepare({ Dockerfile: 'FROM scratch\n' }, { context: '../other' }), /must stay inside/],
      ['a Dockerfile outside the context', () => prepare({ Dockerfile: 'FROM scratch\n' }, { dockerfile: '/Dockerfile' }), /must stay inside/],
      ['a Dockerfile symlink out of the context', () => prepare({ 'app/Dockerfile': { symlink: '../Dockerfile' }, Dockerfile: 'FROM scratch\n' }, { context: 'app' }), /points outside the context/],
      ['a context over the size limit', () => prepare({ Dockerfile: 'FROM scratch\n', 'a.bin': Buffer.alloc(4096) }, { maxBytes: 4096 }), /larger than/],
      ['a source that is not gzip', () => prepareContext(Readable.from([Buffer.from('not a tarball at all')])), /not a valid gzip/],
    ];
    for (const [what, run, message] of cases) {
      it(what, async () => {
        const err = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ContextError);
        expect((err as Error).message).toMatch(message);
      });
    }
  });

  it('stops reading the source when aborted', async () => {
    const ac = new AbortController();
    // a source that never ends
    const endless = new Readable({ read() {} });
    const p = prepareContext(endless, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop now')), 50);
    await expect(p).rejects.toThrow('stop now');
    expect(endless.destroyed).toBe(true);
  });
});
