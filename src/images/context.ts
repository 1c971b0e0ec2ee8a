import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import dockerignoreModule, { type Ignore } from '@balena/dockerignore';
import tar, { type Header } from 'tar-stream';
import { Spool, type SpoolSlot } from './spool.js';

/**
 * Source tarball → Docker build context. The source is GitHub's gzip'd tarball of one commit (one
 * top directory `owner-repo-sha/`). Only the build `context` subdirectory is kept, `.dockerignore`
 * is applied with Docker's own matching rules (the Dockerfile and `.dockerignore` are always sent,
 * as the docker CLI does), and nothing is ever extracted to disk or followed: symlinks travel as
 * symlinks and the daemon resolves them inside the context.
 */

export const DEFAULT_MAX_CONTEXT_BYTES = 512 * 1024 * 1024;
const MAX_DOCKERIGNORE_BYTES = 1024 * 1024;
// a CommonJS module whose `module.exports` is the factory and also carries it as `.default`
const dockerignore = dockerignoreModule.default;

/** The source or the requested context/Dockerfile cannot make a build context; retrying won't help. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

export interface ContextOptions {
  /** build context directory inside the source tree (default `.`) */
  context?: string;
  /** Dockerfile path relative to the context (default `Dockerfile`) */
  dockerfile?: string;
  /** largest context that is sent, in tar bytes, after .dockerignore (default 512 MiB) */
  maxBytes?: number;
  /** largest amount kept while reading, before .dockerignore is known (default 2 × maxBytes) */
  maxSpoolBytes?: number;
  signal?: AbortSignal;
  /** kept in memory up to this many bytes, then in a temp file (default 16 MiB) */
  memoryLimit?: number;
}

export interface BuildContext {
  /** the Dockerfile path inside the context, as the build API's `dockerfile` wants it */
  dockerfile: string;
  dockerfileText: string;
  /** entries and tar bytes that will be sent, and entries left out by .dockerignore */
  entries: number;
  bytes: number;
  ignored: number;
  /** a fresh tar stream of the context (may be called again, e.g. for a retry) */
  tar(): Readable;
  /** frees the spooled contents */
  dispose(): Promise<void>;
}

type EntryType = 'file' | 'directory' | 'symlink';
interface Entry {
  name: string;
  type: EntryType;
  mode: number;
  mtime: Date;
  size: number;
  linkname?: string;
  slot?: SpoolSlot;
}

export async function prepareContext(source: NodeJS.ReadableStream, opts: ContextOptions = {}): Promise<BuildContext> {
  const ctxDir = relPath(opts.context ?? '.', 'context directory');
  const dockerfile = relPath(opts.dockerfile ?? 'Dockerfile', 'Dockerfile path');
  if (!dockerfile) throw new ContextError('the Dockerfile path is empty');
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_CONTEXT_BYTES;
  const maxSpool = opts.maxSpoolBytes ?? maxBytes * 2;
  const inRepo = (p: string) => (ctxDir ? `${ctxDir}/${p}` : p);
  const always = new Set([dockerfile, '.dockerignore']);

  const spool = new Spool(opts.memoryLimit);
  const entries: Entry[] = [];
  const byName = new Map<string, Entry>();
  const repoSymlinks = new Set<string>();
  let matcher: Ignore | undefined;
  let spooled = 0;
  let ignored = 0;
  let seenContext = ctxDir === '';
  const isIgnored = (name: string) => !!matcher && !always.has(name) && matcher.ignores(name);

  const src = source instanceof Readable ? source : new Readable().wrap(source);
  const extract = tar.extract();
  const gunzip = createGunzip({ chunkSize: 128 * 1024 }); // fewer, larger chunks: the tar parser's cost is per chunk
  const onAbort = () => extract.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // tar-stream's streams are streamx streams: plain pipe() with errors forwarded by hand
  src.on('error', (e: Error) => extract.destroy(e));
  gunzip.on('error', (e: Error) => extract.destroy(new ContextError(`the source is not a valid gzip'd tarball: ${e.message}`)));
  src.pipe(gunzip).pipe(extract);
  try {
    if (opts.signal?.aborted) onAbort();
    for await (const entry of extract) {
      const h = entry.header;
      const rel = stripTop(h.name);
      const type = entryType(h.type);
      if (type === 'symlink' && rel) repoSymlinks.add(rel);
      const name = rel === undefined ? undefined : within(ctxDir, rel);
      if (name === undefined || name === '' || !type) {
        entry.resume();
        continue;
      }
      seenContext = true;
      for (let d = posix.dirname(name); d !== '.'; d = posix.dirname(d)) {
        if (byName.get(d)?.type === 'symlink') throw new ContextError(`${inRepo(name)} lies under the symlink ${inRepo(d)}`);
      }
      if (type === 'link') {
        // a hard link becomes a copy of its target's bytes, so it never depends on what .dockerignore keeps
        // (git never writes hard links; other tarballs may)
        const targetName = within(ctxDir, stripTop(h.linkname ?? '') ?? '');
        const target = byName.get(targetName ?? '');
        if (!target?.slot) {
          const why = targetName && isIgnored(targetName) ? 'a file .dockerignore leaves out' : 'nothing earlier in the context';
          throw new ContextError(`hard link ${inRepo(name)} points to ${why} (${h.linkname ?? ''})`);
        }
        entry.resume();
        if (isIgnored(name)) ignored++;
        else add({ name, type: 'file', mode: h.mode ?? 0o644, mtime: h.mtime ?? new Date(0), size: target.size, slot: target.slot });
        continue;
      }
      if (isIgnored(name)) {
        ignored++;
        entry.resume();
        continue;
      }
      const size = type === 'file' ? (h.size ?? 0) : 0;
      if (type === 'file') {
        spooled += size;
        if (spooled > maxSpool) throw tooLarge(inRepo(''), maxSpool);
      }
      const slot = type === 'file' ? await spool.store(entry as AsyncIterable<Buffer>, size) : (entry.resume(), undefined);
      const e: Entry = { name, type, mode: h.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: h.mtime ?? new Date(0), size, slot };
      if (type === 'symlink') {
        e.linkname = h.linkname ?? '';
        // a symlinked Dockerfile's target is read by the build: never leave it out
        if (name === dockerfile) always.add(posix.normalize(posix.join(posix.dirname(name), e.linkname)));
      }
      add(e);
      if (name === '.dockerignore' && slot) {
        if (size > MAX_DOCKERIGNORE_BYTES) throw new ContextError(`${inRepo('.dockerignore')} is larger than 1 MiB`);
        matcher = dockerignore({ ignorecase: false }).add(await spool.text(slot));
      }
    }
  } catch (e) {
    // stop reading the source at once (a 1 GiB tarball must not be read to its end to fail)
    extract.destroy();
    src.destroy();
    await spool.dispose();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  try {
    if (!seenContext) {
      const link = [...repoSymlinks].find((l) => ctxDir === l || ctxDir.startsWith(`${l}/`));
      throw new ContextError(
        link ? `context directory ${ctxDir} lies under the symlink ${link}; gantry does not follow symlinks` : `context directory ${ctxDir} not found in the source`,
      );
    }
    // .dockerignore may have come after files it ignores: judge everything again
    const keep = matcher ? entries.filter((e) => !isIgnored(e.name)) : entries;
    ignored += entries.length - keep.length;
    const df = resolveDockerfile(byName, dockerfile, inRepo);
    // a symlinked Dockerfile's target is sent even when .dockerignore names it: the build reads it
    if (!keep.includes(df)) keep.push(df);
    const dockerfileText = await spool.text(df.slot!);
    const bytes = keep.reduce((n, e) => n + 512 + Math.ceil(e.size / 512) * 512, 1024);
    if (bytes > maxBytes) throw tooLarge(inRepo(''), maxBytes);
    return {
      dockerfile: df.name,
      dockerfileText,
      entries: keep.length,
      bytes,
      ignored,
      tar: () => packEntries(keep, spool),
      dispose: () => spool.dispose(),
    };
  } catch (e) {
    await spool.dispose();
    throw e;
  }

  function add(e: Entry): void {
    entries.push(e);
    byName.set(e.name, e);
  }
}

/** A tar stream of `entries`, uid/gid 0 as the docker CLI sends them. */
function packEntries(entries: readonly Entry[], spool: Spool): Readable {
  const pack = tar.pack();
  void (async () => {
    for (const e of entries) {
      const header: Partial<Header> & { name: string } = { name: e.name, type: e.type, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0, size: e.size };
      if (e.linkname !== undefined) header.linkname = e.linkname;
      if (e.type !== 'file' || e.slot?.kind === 'memory') {
        // bytes already in memory go in at once, without a stream per file
        const data = e.slot?.kind === 'memory' ? e.slot.data : undefined;
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error | null) => (err ? reject(err) : resolve());
          if (data) pack.entry(header, data, done);
          else pack.entry(header, done);
        });
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
        const data = spool.read(e.slot!);
        data.on('error', (err) => {
          sink.destroy(err);
          reject(err);
        });
        data.pipe(sink);
      });
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  // a Node stream for the HTTP client, which also ends the pack when destroyed
  return Readable.from(pack, { objectMode: false });
}

function resolveDockerfile(byName: Map<string, Entry>, dockerfile: string, inRepo: (p: string) => string): Entry {
  let e = byName.get(dockerfile);
  if (e?.type === 'symlink') {
    // one level, inside the context only: the daemon would resolve it the same way
    const target = posix.normalize(posix.join(posix.dirname(dockerfile), e.linkname ?? ''));
    if (target.startsWith('../') || target === '..' || posix.isAbsolute(target)) {
      throw new ContextError(`${inRepo(dockerfile)} is a symlink that points outside the context`);
    }
    e = byName.get(target);
    if (!e) throw new ContextError(`${inRepo(dockerfile)} is a symlink to ${inRepo(target)}, which is not in the context (or .dockerignore leaves it out)`);
  }
  if (!e || e.type !== 'file') throw new ContextError(`Dockerfile ${inRepo(dockerfile)} not found in the source`);
  return e;
}

/** Normalizes a user-given relative path; `''` is the root. */
function relPath(p: string, what: string): string {
  if (posix.isAbsolute(p) || p.split('/').includes('..')) throw new ContextError(`${what} ${p} must stay inside the source tree`);
  const n = posix.normalize(p).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

/** Drops the tarball's top directory; rejects absolute paths and `..` anywhere. */
function stripTop(name: string): string | undefined {
  if (posix.isAbsolute(name)) throw new ContextError(`the source tarball contains an absolute path: ${name}`);
  const parts = name.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new ContextError(`the source tarball contains a path that escapes it: ${name}`);
  return parts.length > 1 ? parts.slice(1).join('/') : undefined;
}

/** `rel` relative to the context directory, or undefined when outside it. */
function within(ctxDir: string, rel: string): string | undefined {
  if (!ctxDir) return rel;
  if (rel === ctxDir) return '';
  return rel.startsWith(`${ctxDir}/`) ? rel.slice(ctxDir.length + 1) : undefined;
}

function entryType(t: string | null | undefined): EntryType | 'link' | undefined {
  switch (t) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
    case 'symlink':
    case 'link':
      return t;
    default:
      return undefined; // devices and fifos cannot come from git
  }
}

function tooLarge(where: string, limit: number): ContextError {
  return new ContextError(`the build context ${where || '.'} is larger than ${Math.round(limit / 1024 / 1024)} MiB (after .dockerignore); ignore more or raise the limit`);
}
