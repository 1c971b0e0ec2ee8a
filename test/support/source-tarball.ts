import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar, { type Header } from 'tar-stream';

/**
 * Makes a source tarball shaped like GitHub's (gzip'd, one top directory `owner-repo-sha/`) from
 * a local directory or from files in memory, so tests and benchmarks feed the build
 * engine exactly what production feeds it.
 */

/** One file of an in-memory tree: its content, or a symlink, with an optional mode. */
export type SourceFile = string | Buffer | { content: string | Buffer; mode?: number } | { symlink: string } | { hardlink: string };

export interface TarballOptions {
  /** the top directory (GitHub: `owner-repo-sha`); default `acme-app-0000000` */
  top?: string;
  /** files added on top of (or instead of) the directory's, path → file */
  extra?: Record<string, SourceFile>;
  /** raw entry names, written as given (tests use them to smuggle `../x` or `/etc/x`) */
  raw?: Array<{ name: string; content: string }>;
}

/** A gzip'd tarball of `files` (paths relative to the repository root). */
export function tarballFromFiles(files: Record<string, SourceFile>, opts: TarballOptions = {}): Readable {
  const top = opts.top ?? 'acme-app-0000000';
  const pack = tar.pack();
  const mtime = new Date('2024-01-01T00:00:00Z');
  const dirs = new Set<string>();
  const entries: Array<[Partial<Header> & { name: string }, Buffer | undefined]> = [[{ name: `${top}/`, type: 'directory', mode: 0o775, mtime }, undefined]];
  for (const [name, file] of Object.entries({ ...files, ...opts.extra }).sort(([a], [b]) => (a < b ? -1 : 1))) {
    // parent directories first, as git archive writes them
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push([{ name: `${top}/${d}/`, type: 'directory', mode: 0o775, mtime }, undefined]);
      }
    }
    if (typeof file === 'object' && 'symlink' in file) {
      entries.push([{ name: `${top}/${name}`, type: 'symlink', linkname: file.symlink, mode: 0o777, mtime }, undefined]);
    } else if (typeof file === 'object' && 'hardlink' in file) {
      entries.push([{ name: `${top}/${name}`, type: 'link', linkname: `${top}/${file.hardlink}`, mode: 0o644, mtime }, undefined]);
    } else {
      const { content, mode } = typeof file === 'string' || Buffer.isBuffer(file) ? { content: file, mode: 0o644 } : file;
      entries.push([{ name: `${top}/${name}`, type: 'file', mode: mode ?? 0o644, mtime }, Buffer.from(content)]);
    }
  }
  for (const r of opts.raw ?? []) entries.push([{ name: r.name, type: 'file', mode: 0o644, mtime }, Buffer.from(r.content)]);
  void (async () => {
    for (const [header, data] of entries) {
      await new Promise<void>((resolve, reject) => {
        const cb = (err?: Error | null) => (err ? reject(err) : resolve());
        if (data) pack.entry(header, data, cb);
        else pack.entry(header, cb);
      });
    }
    pack.finalize();
  })().catch((e: unknown) => pack.destroy(e as Error));
  return Readable.from(pack, { objectMode: false }).pipe(createGzip({ level: 1 }));
}

/** A gzip'd tarball of the directory `dir` (symlinks kept as symlinks, never followed). */
export async function tarballFromDirectory(dir: string, opts: TarballOptions = {}): Promise<Readable> {
  return tarballFromFiles(await readTree(dir), opts);
}

async function readTree(root: string, rel = ''): Promise<Record<string, SourceFile>> {
  const out: Record<string, SourceFile> = {};
  for (const d of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    const abs = path.join(root, r);
    if (d.isSymbolicLink()) out[r] = { symlink: await readlink(abs) };
    else if (d.isDirectory()) Object.assign(out, await readTree(root, r));
    else if (d.isFile()) out[r] = { content: await readFile(abs), mode: (await lstat(abs)).mode & 0o777 };
  }
  return out;
}
