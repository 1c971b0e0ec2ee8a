import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import { run, runBytes, type ExecResult } from '../util/exec.js';
import { GitObjects } from './objects.js';
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
  constructor(readonly opts: GitRepoOptions) {}

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

  /** Fetches the branch and moves the working clone to it, dropping anything local. */
  async refresh(): Promise<void> {
    await this.ensure();
    await this.fetch();
    this.maintainSoon();
    await this.resetToRemote();
    this.lastRefresh = Date.now();
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

  /** HEAD of the working clone, from memory when gantry itself last moved it. */
  async knownHead(): Promise<string> {
    this.known ??= await this.head();
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

  async readFile(rel: string): Promise<string> {
    try {
      return await readFile(path.join(this.dir, rel), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new GantryError('MANIFEST_INVALID', msg('error.manifest.no-file', { file: rel, branch: this.opts.branch }));
      }
      throw e;
    }
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
   * Writes the files, commits them with `message` and pushes. Returns the new commit, or
   * `rejected` when the remote moved (the local commit is then undone).
   */
  async commitAndPush(files: { path: string; content: string }[], message: string, toBranch = this.opts.branch): Promise<{ sha: string } | 'rejected'> {
    for (const f of files) await writeFile(path.join(this.dir, f.path), f.content);
    try {
      await this.must(['add', '--', ...files.map((f) => f.path)], 'git add');
      return await this.commitStagedAndPush(message, toBranch);
    } catch (e) {
      await this.resetToRemote().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Makes directory `dir` hold exactly `files` (paths relative to the repo root, all under `dir`),
   * or removes it when `files` is undefined, then commits and pushes like commitAndPush.
   * `unchanged` when the branch already looks like that (nothing is committed).
   */
  async replaceDirAndPush(dir: string, files: { path: string; content: string }[] | undefined, message: string): Promise<{ sha: string } | 'rejected' | 'unchanged'> {
    const root = path.resolve(this.dir);
    const abs = path.resolve(root, dir);
    // the caller checked the paths; this is the last line before the file system
    if (!abs.startsWith(root + path.sep) || files?.some((f) => !path.resolve(root, f.path).startsWith(abs + path.sep))) {
      throw new GantryError('INPUT_INVALID', `${dir}: not a directory inside the deploy repo`);
    }
    try {
      await this.must(['rm', '-r', '-q', '--ignore-unmatch', '--', dir], 'git rm');
      await rm(abs, { recursive: true, force: true });
      for (const f of files ?? []) {
        await mkdir(path.dirname(path.resolve(root, f.path)), { recursive: true });
        await writeFile(path.resolve(root, f.path), f.content);
      }
      if (files?.length) await this.must(['add', '--', ...files.map((f) => f.path)], 'git add');
      if ((await this.git(['diff', '--cached', '--quiet'])).code === 0) return 'unchanged';
      return await this.commitStagedAndPush(message, this.opts.branch);
    } catch (e) {
      await this.resetToRemote().catch(() => undefined);
      throw e;
    }
  }

  /** The files git tracks under `dir` in the working clone, with their text. */
  async filesUnder(dir: string): Promise<{ path: string; content: string }[]> {
    const out = await this.must(['ls-files', '-z', '--', dir], 'git ls-files');
    const paths = out.split('\0').filter((p) => p.length > 0);
    return Promise.all(paths.map(async (p) => ({ path: p, content: await this.readFile(p) })));
  }

  private async commitStagedAndPush(message: string, toBranch: string): Promise<{ sha: string } | 'rejected'> {
    await this.must(['commit', '-q', '--no-verify', '-F', '-'], 'git commit', message);
    const sha = await this.branchHead();
    // the push also moves refs/remotes/origin/<branch> (it matches the clone's fetch refspec)
    const push = await this.git(['push', '-q', '--porcelain', 'origin', `HEAD:refs/heads/${toBranch}`]);
    if (push.code === 0 && toBranch !== this.opts.branch) {
      // a pull-request branch: the deploy branch itself did not move, so neither does the clone
      await this.resetToRemote();
      return { sha };
    }
    if (push.code === 0) {
      this.known = sha;
      return { sha };
    }
    await this.resetToRemote();
    if (/\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref/.test(push.stdout + push.stderr)) return 'rejected';
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
