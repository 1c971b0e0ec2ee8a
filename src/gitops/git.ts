import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import { run, runBytes, type ExecResult } from '../util/exec.js';
import { CatFile } from './cat-file.js';
import { LooseObjects, writeCommit } from './commit-writer.js';
import { GitObjects } from './objects.js';
import { moveRef, pushArgs, wasRejected } from './push.js';
import { parseTree, pathParts, TREE_MODE, type ChangeSet } from './tree-edit.js';
import type { Signer } from './signing.js';

export interface GitRepoOptions {
  url: string;
  branch: string;
  workdir: string;
  author: { name: string; email: string };
  /** GANTRY_DEPLOY_TOKEN: sent as an HTTP header per command, never written to .git/config or logs */
  token?: string;
  /** when set, every commit gantry writes (deploys, bundles, previews, PR branches) is signed with it */
  signer?: Signer;
}

export interface LogEntry {
  sha: string;
  author: string;
  date: string;
  message: string;
}

/**
 * The deploy repo through the git CLI: a working clone kept warm between deployments. Pushes are
 * never forced; a rejected push is reported so the caller can fetch, re-apply and retry.
 */
export class GitRepo {
  private lastRefresh = 0;
  /** when the remote-tracking ref was last fetched (a refresh fetches it too) */
  private lastFetch = 0;
  private maintaining = false;
  private lastMaintained = 0;
  /** HEAD of the working clone as of the last clone, refresh or push (undefined: unknown) */
  private known: string | undefined;
  /** settles once this process has a clone it can use (cloned now, or adopted) */
  private ready: Promise<void> | undefined;
  private readyDone = false;
  /** the clone's objects, read with plumbing (history of a few files, blobs by id) */
  readonly objects: GitObjects = new GitObjects(this);
  /** reads objects for the promotion path (manifests, trees, commits) over one long-lived pipe */
  readonly reader: CatFile;
  private syncTimer: NodeJS.Timeout | undefined;
  constructor(readonly opts: GitRepoOptions) {
    this.reader = new CatFile(opts.workdir, () => this.options());
  }

  /** Stops the object reader and any pending working-tree sync (the clone stays on disk). */
  close(): void {
    this.reader.close();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
  }

  get dir(): string {
    return this.opts.workdir;
  }

  /** `-c` options for every git command, the clone included: the token header must reach that too */
  private options(): string[] {
    const pre = ['-c', 'core.autocrlf=false', '-c', 'core.safecrlf=false', '-c', 'gc.auto=0'];
    if (this.opts.token && /^https?:/.test(this.opts.url)) {
      const basic = Buffer.from(`x-access-token:${this.opts.token}`).toString('base64');
      pre.push('-c', `http.extraHeader=Authorization: Basic ${basic}`);
    }
    return pre;
  }

  private git(args: string[], input?: string): Promise<ExecResult> {
    return run('git', [...this.options(), ...args], {
      cwd: existsSync(this.dir) ? this.dir : undefined,
      input,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    });
  }

  /** A plumbing command's output as bytes (object contents are sized in bytes). */
  async bytes(args: string[], what: string, input?: string): Promise<Buffer> {
    const r = await runBytes('git', [...this.options(), ...args], {
      cwd: this.dir,
      input,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    });
    if (r.code !== 0) throw gitError(what, { code: r.code, stdout: '', stderr: r.stderr });
    return r.stdout;
  }

  private async must(args: string[], what: string, input?: string): Promise<string> {
    const r = await this.git(args, input);
    if (r.code !== 0) throw gitError(what, r);
    return r.stdout;
  }

  /**
   * Makes sure this process has a working clone: clones the deploy repo when there is none, and
   * adopts one an earlier process left (see adopt). Concurrent callers share one clone.
   */
  ensure(): Promise<void> {
    const gitDir = path.join(this.dir, '.git');
    if (this.ready && this.readyDone && !existsSync(gitDir)) this.ready = undefined; // removed under us: clone again
    if (!this.ready) {
      this.readyDone = false;
      this.known = undefined;
      this.reader.close(false); // a clone made again is a new directory: its reader starts there
      this.ready = (existsSync(gitDir) ? this.adopt() : this.clone()).then(
        () => {
          this.readyDone = true;
          this.maintainSoon();
        },
        (e: unknown) => {
          this.ready = undefined; // try again next time
          throw e;
        },
      );
    }
    return this.ready;
  }

  private async clone(): Promise<void> {
    await mkdir(path.dirname(path.resolve(this.dir)), { recursive: true });
    const r = await run(
      'git',
      [...this.options(), 'clone', '-q', '--no-tags', '--single-branch', '--branch', this.opts.branch, this.opts.url, this.dir],
      { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
    );
    if (r.code !== 0) throw gitError(`cannot clone the deploy repo ${redact(this.opts.url)} (branch ${this.opts.branch})`, r, 'DEPLOY_REPO_UNREACHABLE');
    await this.must(['config', 'user.name', this.opts.author.name], 'git config');
    await this.must(['config', 'user.email', this.opts.author.email], 'git config');
    this.lastRefresh = this.lastFetch = Date.now();
  }

  /**
   * A clone found on disk was left by an earlier process, which may have been killed (-9) in the
   * middle of a git command: its lock files would make every later command fail, and an edit it
   * had staged would ride along in the next commit. So, once per process: remove lock files older
   * than this process, and reset to the remote-tracking branch. A clone too broken to reset (a
   * clone that was itself cut short) is removed and made again.
   */
  private async adopt(): Promise<void> {
    const started = Date.now() - process.uptime() * 1000;
    const gitDir = path.join(this.dir, '.git');
    const top = (await readdir(gitDir)).filter((f) => f.endsWith('.lock'));
    const refs = ((await readdir(path.join(gitDir, 'refs'), { recursive: true }).catch(() => [])) as string[]).filter((f) => f.endsWith('.lock')).map((f) => path.join('refs', f));
    for (const rel of [...top, ...refs]) {
      const file = path.join(gitDir, rel);
      const st = await stat(file).catch(() => undefined);
      if (st?.isFile() && st.mtimeMs < started) await rm(file, { force: true });
    }
    try {
      await this.resetToRemote();
    } catch (e) {
      // only a clone without the branch it tracks is remade; any other failure is reported as it is
      if ((await this.git(['rev-parse', '-q', '--verify', `refs/remotes/origin/${this.opts.branch}`])).code === 0) throw e;
      await rm(this.dir, { recursive: true, force: true });
      await this.clone();
    }
  }

  /**
   * Fetches the branch and moves the local branch to it, dropping local commits that did not reach
   * the remote. Neither the index nor the working tree is read or written (see syncWorktreeSoon).
   */
  async refresh(): Promise<void> {
    await this.ensure();
    await this.fetch();
    this.maintainSoon();
    const sha = (await this.must(['rev-parse', '--verify', `${this.tracking}^{commit}`], 'git rev-parse')).trim();
    this.moveBranch(sha);
    this.lastRefresh = Date.now();
  }

  /**
   * The local branch (and so HEAD, for a person running `git log` in the clone) now points at
   * `sha`. gantry reads the object database, never the working tree, so the index and working
   * tree only follow for people and tools looking at the clone: a few seconds after the branch
   * last moved, off the promotion path and never holding it up, `git reset --hard` brings them in
   * step (it honours a sparse checkout). A sync cut short by the next move is harmless: it only
   * touches the index and files, which no promotion reads.
   */
  private moveBranch(sha: string): void {
    moveRef(path.join(this.dir, '.git'), `refs/heads/${this.opts.branch}`, sha);
    this.known = sha;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.git(['reset', '-q', '--hard']).catch(() => undefined);
    }, 3000);
    this.syncTimer.unref();
  }

  /**
   * Keeps a commit-graph with changed-path Bloom filters in the clone, so the history of a few
   * files (rollback targets, promotion order, /history) skips the trees of commits that did not
   * touch them: on 10,000 commits a path-limited walk drops from ~130 ms to ~20 ms. Written in
   * the background, at most once a minute, incrementally (--split); never on a deploy's path.
   */
  private maintainSoon(): void {
    if (this.maintaining || Date.now() - this.lastMaintained < 60_000) return;
    this.maintaining = true;
    void this.git(['commit-graph', 'write', '--reachable', '--changed-paths', '--split'])
      .catch(() => undefined) // a missing graph only makes walks slower
      .finally(() => {
        this.maintaining = false;
        this.lastMaintained = Date.now();
      });
  }

  /** The remote-tracking ref of the deploy branch: the branch as last fetched or pushed, never a local edit. */
  get tracking(): string {
    return `refs/remotes/origin/${this.opts.branch}`;
  }

  /**
   * Fetches the branch into its remote-tracking ref when that is older than `maxAgeMs`, leaving
   * the working tree alone: safe beside a deploy that is editing the clone.
   */
  async fetchIfOlder(maxAgeMs: number): Promise<void> {
    await this.ensure();
    if (Date.now() - this.lastFetch < maxAgeMs) return;
    await this.fetch();
  }

  private async fetch(): Promise<void> {
    const r = await this.git(['fetch', '-q', '--no-tags', 'origin', `+refs/heads/${this.opts.branch}:${this.tracking}`]);
    if (r.code !== 0) throw gitError(`cannot fetch the deploy repo ${redact(this.opts.url)}`, r, 'DEPLOY_REPO_UNREACHABLE');
    this.lastFetch = Date.now();
  }

  /** The local branch's commit, from memory when gantry itself last moved it. */
  async knownHead(): Promise<string> {
    this.known ??= await this.branchHead();
    return this.known;
  }

  /** Refreshes when the last fetch is older than `maxAgeMs`. */
  async refreshIfOlder(maxAgeMs: number): Promise<void> {
    await this.ensure();
    if (Date.now() - this.lastRefresh >= maxAgeMs) await this.refresh();
  }

  /** Throws away local changes and commits that did not reach the remote. */
  async resetToRemote(): Promise<void> {
    this.known = undefined;
    await this.must(['reset', '-q', '--hard', `refs/remotes/origin/${this.opts.branch}`], 'git reset');
    await this.must(['clean', '-q', '-fd'], 'git clean');
  }

  /** A file of the local branch's head, read from the object database (never the working tree). */
  async readFile(rel: string): Promise<string> {
    const noFile = () => new GantryError('MANIFEST_INVALID', msg('error.manifest.no-file', { file: rel, branch: this.opts.branch }));
    let parts: string[];
    try {
      parts = pathParts(rel);
    } catch {
      throw noFile();
    }
    const o = await this.reader.read(`${await this.knownHead()}:${parts.join('/')}`);
    if (o?.type !== 'blob') throw noFile();
    return o.body.toString('utf8');
  }

  /** A file as it was at a commit. */
  async show(sha: string, rel: string): Promise<string> {
    return this.must(['show', `${sha}:${rel}`], `git show ${sha.slice(0, 7)}:${rel}`);
  }

  /** The local branch's commit, read from its loose ref file when there is one (no process). */
  private async branchHead(): Promise<string> {
    try {
      const sha = (await readFile(path.join(this.dir, '.git', 'refs', 'heads', this.opts.branch), 'utf8')).trim();
      if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
    } catch {
      // packed or unusual ref storage: ask git
    }
    return this.head();
  }

  async head(): Promise<string> {
    return (await this.must(['rev-parse', 'HEAD'], 'git rev-parse')).trim();
  }

  /**
   * Commits the files on top of the local branch and pushes. Returns the new commit, or
   * `rejected` when the remote moved (nothing local changed then: the branch moves only after a
   * push went through).
   */
  async commitAndPush(files: { path: string; content: string }[], message: string, toBranch = this.opts.branch): Promise<{ sha: string } | 'rejected'> {
    const written = await this.writeCommit({ files: new Map(files.map((f) => [f.path, f.content])) }, message);
    if (written === 'unchanged') throw new GantryError('INTERNAL', 'git commit: nothing to commit (the files already have this content)');
    return this.pushCommit(written.sha, toBranch);
  }

  /**
   * Makes directory `dir` hold exactly `files` (paths relative to the repo root, all under `dir`),
   * or removes it when `files` is undefined, then commits and pushes like commitAndPush.
   * `unchanged` when the branch already looks like that (nothing is committed).
   */
  async replaceDirAndPush(dir: string, files: { path: string; content: string }[] | undefined, message: string): Promise<{ sha: string } | 'rejected' | 'unchanged'> {
    // the caller checked the paths; this is the last line before the object database
    const inside = (p: string) => {
      try {
        return pathParts(p).length > 0;
      } catch {
        return false;
      }
    };
    if (!inside(dir) || files?.some((f) => !inside(f.path) || !f.path.startsWith(`${dir}/`))) {
      throw new GantryError('INPUT_INVALID', `${dir}: not a directory inside the deploy repo`);
    }
    const written = await this.writeCommit({ files: new Map((files ?? []).map((f) => [f.path, f.content])), replaceDirs: [dir] }, message);
    if (written === 'unchanged') return 'unchanged';
    return this.pushCommit(written.sha, this.opts.branch);
  }

  /**
   * The commit of `change` on top of the local branch, written without the index (only the
   * trees on the changed paths are rewritten), signed when a signer is configured. The branch
   * does not move. Its own method so a profiler can time edit + commit apart from the push.
   */
  async writeCommit(change: ChangeSet, message: string): Promise<{ sha: string } | 'unchanged'> {
    const parent = await this.knownHead();
    const store = new LooseObjects(path.join(this.dir, '.git', 'objects'), this.reader, parent.length);
    const out = await writeCommit(store, this.reader, { parent, change, message, author: this.opts.author, signer: this.opts.signer });
    return out === 'unchanged' ? out : { sha: out.sha };
  }

  /** The files under `dir` at the local branch's head, with their text (symlinks and submodules left out). */
  async filesUnder(dir: string): Promise<{ path: string; content: string }[]> {
    const head = await this.knownHead();
    const clean = dir.replace(/\/+$/, '');
    const out: { path: string; content: string }[] = [];
    const walk = async (spec: string, prefix: string): Promise<void> => {
      const o = await this.reader.read(spec);
      if (o?.type === 'blob') out.push({ path: prefix, content: o.body.toString('utf8') });
      if (o?.type !== 'tree') return;
      for (const e of parseTree(o.body, head.length / 2)) {
        if (e.mode === TREE_MODE || e.mode === '100644' || e.mode === '100755') await walk(e.id, `${prefix}/${e.name}`);
      }
    };
    try {
      pathParts(clean);
    } catch {
      return [];
    }
    await walk(`${head}:${clean}`, clean);
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  }

  /** Pushes `sha` (never forced); on success the local branch follows when it is the deploy branch. */
  private async pushCommit(sha: string, toBranch: string): Promise<{ sha: string } | 'rejected'> {
    const push = await this.git(pushArgs(sha, toBranch));
    if (push.code === 0) {
      // a pull-request branch: the deploy branch itself did not move, so neither does the clone
      if (toBranch === this.opts.branch) this.moveBranch(sha);
      return { sha };
    }
    if (wasRejected(push)) return 'rejected';
    throw gitError(`cannot push to the deploy repo ${redact(this.opts.url)}`, push, 'DEPLOY_REPO_UNREACHABLE');
  }

  /** The message of a remote branch's head commit, or undefined when there is no such branch. */
  async remoteBranchMessage(branch: string): Promise<string | undefined> {
    const r = await this.git(['fetch', '-q', '--no-tags', 'origin', `refs/heads/${branch}`]);
    if (r.code !== 0) return undefined;
    return (await this.must(['log', '-1', '--format=%H%n%B', 'FETCH_HEAD'], 'git log')).trim();
  }

  /** Commits whose message matches every pattern (git --grep, extended regex), newest first. */
  async log(opts: { grep?: string[]; max?: number; paths?: string[]; range?: string } = {}): Promise<LogEntry[]> {
    const args = ['log', '--format=%H%x1f%an <%ae>%x1f%cI%x1f%B%x1e'];
    if (opts.max) args.push(`--max-count=${opts.max}`);
    if (opts.grep?.length) args.push('-E', '--all-match', ...opts.grep.map((g) => `--grep=${g}`));
    args.push(opts.range ?? 'HEAD');
    if (opts.paths?.length) args.push('--', ...opts.paths);
    const out = await this.must(args, 'git log');
    return out
      .split('\x1e')
      .map((rec) => rec.replace(/^\n/, ''))
      .filter((rec) => rec.length > 0)
      .map((rec) => {
        const [sha = '', author = '', date = '', message = ''] = rec.split('\x1f');
        return { sha, author, date, message };
      });
  }
}

function gitError(what: string, r: ExecResult, code: 'DEPLOY_REPO_UNREACHABLE' | 'INTERNAL' = 'INTERNAL'): GantryError {
  const detail = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join('; ');
  return new GantryError(code, `${what}: ${redact(detail) || `git exited with ${r.code}`}`);
}

/** Strips credentials from URLs before they reach a message or a log. */
export function redact(s: string): string {
  return s.replace(/(https?:\/\/)[^@/\s]+@/g, '$1***@');
}
