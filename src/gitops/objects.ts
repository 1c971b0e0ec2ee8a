import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GitRepo } from './git.js';

/** A commit that touched some of the paths asked about, with the blobs it changed them from and to. */
export interface PathCommit {
  sha: string;
  /** the first parent (undefined: a root commit): the files' state before this commit */
  parent: string | undefined;
  author: string;
  date: string;
  message: string;
  /** path → [blob before, blob after]; undefined: the file did not exist on that side */
  changed: Map<string, [string | undefined, string | undefined]>;
}

const NO_BLOB = /^0+$/;
const SHA = /^[0-9a-f]{40,64}$/;

/**
 * Reads the deploy repo's objects directly (git plumbing), so the history of a few files costs
 * one `git log` and one `git cat-file` process however many commits it spans, and a blob read
 * once is never read again (blob ids name their content).
 */
export class GitObjects {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly repo: GitRepo,
    private readonly maxCached = 256,
  ) {}

  /** The blob of each path at `rev` (absent: no such file there). */
  async blobsAt(rev: string, paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (paths.length === 0) return out;
    const raw = await this.repo.bytes(['ls-tree', '-z', '--full-tree', rev, '--', ...paths], `git ls-tree ${rev}`);
    for (const rec of raw.toString('utf8').split('\0')) {
      // <mode> SP <type> SP <object> TAB <path>
      const m = /^\d+ blob ([0-9a-f]+)\t([\s\S]*)$/.exec(rec);
      if (m) out.set(m[2]!, m[1]!);
    }
    return out;
  }

  /**
   * The newest `max` commits on the first-parent line of `rev` that changed any of `paths`,
   * newest first. First parent: the branch's own line is what ran; a merged branch counts once,
   * at its merge.
   */
  async pathLog(rev: string, paths: readonly string[], max: number): Promise<PathCommit[]> {
    const raw = await this.repo.bytes(
      [
        'log', '--first-parent', '--raw', '--no-abbrev', '--no-renames', '-z', `--max-count=${max}`,
        '--format=%x1e%H%x1f%P%x1f%an <%ae>%x1f%cI%x1f%B%x1f', rev, '--', ...paths,
      ],
      'git log',
    );
    const out: PathCommit[] = [];
    for (const rec of raw.toString('utf8').split(/\x1e(?=[0-9a-f]{40,64}\x1f)/)) {
      const end = rec.lastIndexOf('\x1f');
      const [sha = '', parents = '', author = '', date = '', ...msg] = rec.slice(0, end).split('\x1f');
      if (!SHA.test(sha)) continue;
      const parent = parents.split(' ')[0] || undefined;
      out.push({ sha, parent, author, date, message: msg.join('\x1f'), changed: parseRaw(rec.slice(end + 1)) });
    }
    return out;
  }

  /** The contents of each path at `rev` (absent: no such file there). */
  async contents(rev: string, paths: readonly string[]): Promise<Map<string, string>> {
    const blobs = await this.blobsAt(rev, paths);
    const texts = await this.read(blobs.values());
    const out = new Map<string, string>();
    for (const [p, id] of blobs) {
      const text = texts.get(id);
      if (text !== undefined) out.set(p, text);
    }
    return out;
  }

  /**
   * In a lean (blobless) clone, fetches in one request the blobs of `paths` at `commits` that are
   * not on disk yet (only those in `wanted`, when given): read one by one, each missing blob would
   * start a fetch of its own. Which are missing is asked without fetching anything (rev-list
   * --missing=print). A full clone has them all: nothing runs.
   */
  async prefetch(commits: readonly string[], paths: readonly string[], wanted?: ReadonlySet<string>): Promise<number> {
    const revs = commits.filter((c) => SHA.test(c) || c === 'HEAD' || c.startsWith('refs/'));
    if (revs.length === 0 || paths.length === 0 || !(await this.partial())) return 0;
    // --full-history --sparse: every commit given is listed, also one that did not touch the paths
    const listed = await this.repo.bytes(
      ['rev-list', '--objects', '--missing=print', '--no-walk', '--full-history', '--sparse', '--stdin', '--', ...paths],
      'git rev-list --missing',
      `${revs.join('\n')}\n`,
    );
    const missing = listed
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith('?'))
      .map((l) => l.slice(1).trim())
      .filter((id) => SHA.test(id) && (!wanted || wanted.has(id)));
    if (missing.length === 0) return 0;
    // what git's own lazy fetch runs, for all of them at once
    await this.repo.must(
      ['-c', 'fetch.negotiationAlgorithm=noop', 'fetch', '-q', 'origin', '--no-tags', '--no-write-fetch-head', '--recurse-submodules=no', '--filter=blob:none', '--stdin'],
      'git fetch (missing blobs)',
      `${missing.join('\n')}\n`,
    );
    return missing.length;
  }

  /** Whether the clone is partial (a promisor remote): read from its config, no process. */
  private async partial(): Promise<boolean> {
    const config = await readFile(path.join(this.repo.dir, '.git', 'config'), 'utf8').catch(() => '');
    return /^\s*promisor\s*=\s*true\s*$/im.test(config);
  }

  /** Blob contents by id; missing ids are absent from the result. */
  async read(ids: Iterable<string>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const wanted: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.cache.get(id);
      if (hit !== undefined) out.set(id, hit);
      else if (SHA.test(id)) wanted.push(id);
    }
    if (wanted.length === 0) return out;
    const raw = await this.repo.bytes(['cat-file', '--batch'], 'git cat-file', `${wanted.join('\n')}\n`);
    let at = 0;
    while (at < raw.length) {
      const nl = raw.indexOf(0x0a, at);
      if (nl < 0) break;
      const header = raw.subarray(at, nl).toString('utf8').split(' ');
      at = nl + 1;
      if (header[1] === 'missing' || header.length < 3) continue;
      const size = Number(header[2]);
      const text = raw.subarray(at, at + size).toString('utf8');
      at += size + 1; // the content is followed by a newline
      this.remember(header[0]!, text);
      out.set(header[0]!, text);
    }
    return out;
  }

  private remember(id: string, text: string): void {
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, text);
  }
}

/** `:<mode> <mode> <old> <new> <status>\0<path>\0…` (git log --raw -z) */
function parseRaw(raw: string): Map<string, [string | undefined, string | undefined]> {
  const out = new Map<string, [string | undefined, string | undefined]>();
  const parts = raw.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const m = /^\n?:\d+ \d+ ([0-9a-f]+) ([0-9a-f]+) [A-Z]\d*$/.exec(parts[i]!);
    if (!m) continue;
    const path = parts[++i];
    if (path === undefined) break;
    out.set(path, [NO_BLOB.test(m[1]!) ? undefined : m[1], NO_BLOB.test(m[2]!) ? undefined : m[2]]);
  }
  return out;
}
