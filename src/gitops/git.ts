import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import { run, runBytes, type ExecResult } from '../util/exec.js';
import { CatFile, filesAt } from './cat-file.js';
import { adoptWarm, applySparse, cloneWarm, isSparse } from './clone.js';
import { LooseObjects, writeCommit } from './commit-writer.js';
import { Maintenance, type MaintenanceOptions } from './maintenance.js';
import { GitObjects } from './objects.js';
import { moveRef, PUSH_CONFIG, pushArgs, wasRejected } from './push.js';
import { packOf, type PackObject } from './pack-wire.js';
import { directRemote, sendPack, type Remote } from './send-pack.js';
import { isInside, pathParts, type ChangeSet } from './tree-edit.js';
import type { Signer } from './signing.js';

export interface GitRepoOptions {
  url: string;
  branch: string;
  workdir: string;
  author: { name: string; email: string };
  /** GANTRY_DEPLOY_TOKEN: sent as an HTTP header per command, never written to .git/config or logs */
  token?: string;
  /**
   * The directories gantry edits (sparseDirsOf, src/gitops/sparse.ts): when set, a new clone is
   * lean (blobless, sparse checkout of these); see src/gitops/clone.ts
   */
  sparse?: readonly string[];
  /** the clone's maintenance schedule (src/gitops/maintenance.ts); defaults suit a deploy repo */
  maintenance?: MaintenanceOptions;
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
  /** the sparse set asked for since the last clone, adoption or refresh applied one */
  private sparseWanted: readonly string[] | undefined;
  /** HEAD of the working clone as of the last clone, refresh or push (undefined: unknown) */
  private known: string | undefined;
  /** settles once this process has a clone it can use (cloned now, or adopted) */
  private ready: Promise<void> | undefined;
  private readyDone = false;
  /** the clone's objects, read with plumbing (history of a few files, blobs by id) */
  readonly objects: GitObjects = new GitObjects(this);
  /** commit-graph, packing: in the background while this process holds the clone */
  readonly maintenance: Maintenance;
  /** reads objects for the promotion path (manifests, trees, commits) over one long-lived pipe */
  readonly reader: CatFile;
  private syncTimer: NodeJS.Timeout | undefined;
  /** the working-tree sync under way (see moveBranch), awaited on close */
  private syncing: Promise<unknown> | undefined;
  constructor(readonly opts: GitRepoOptions) {
    this.maintenance = new Maintenance((args, signal) => this.git(args, undefined, [], signal), opts.maintenance);
    this.reader = new CatFile(opts.workdir, () => this.options());
  }

  /**
   * Stops the object reader, a pending working-tree sync and the clone's maintenance, and waits
   * for what is under way: no git process of gantry's outlives this (the clone stays on disk).
   */
  async close(): Promise<void> {
    const reader = this.reader.close();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    await this.syncing;
    await this.maintenance.close();
    await reader;
    // a clone still being made (a process stopped right after it started) would go on writing into
    // the directory after this process is gone
    await this.ready?.catch(() => undefined);
  }

  get dir(): string {
    return this.opts.workdir;
  }

  /** `-c` options for every git command, the clone included: the token header must reach that too */
  options(): string[] {
    const pre = ['-c', 'core.autocrlf=false', '-c', 'core.safecrlf=false', '-c', 'gc.auto=0'];
    if (this.opts.token && /^https?:/.test(this.opts.url)) {
      const basic = Buffer.from(`x-access-token:${this.opts.token}`).toString('base64');
      pre.push('-c', `http.extraHeader=Authorization: Basic ${basic}`);
    }
    return pre;
  }

  /**
   * A git command in the clone (src/gitops/clone.ts and maintenance.ts use it too). `config`: `-c`
   * options for this command alone (args[0] stays the subcommand, which profiles name).
   */
  git(args: string[], input?: string, config: readonly string[] = [], signal?: AbortSignal): Promise<ExecResult> {
    return run('git', [...this.options(), ...config, ...args], {
      cwd: existsSync(this.dir) ? this.dir : undefined,
      input,
      ...(signal ? { signal } : {}),
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

  async must(args: string[], what: string, input?: string): Promise<string> {
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
      void this.reader.close(false); // a clone made again is a new directory: its reader starts there
      this.ready = (existsSync(gitDir) ? this.adopt() : this.clone()).then(
        () => {
          this.readyDone = true;
          this.maintenance.start();
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
    const r = await cloneWarm(this, this.opts.sparse);
    if (r.code !== 0) throw gitError(`cannot clone the deploy repo ${redact(this.opts.url)} (branch ${this.opts.branch})`, r, 'DEPLOY_REPO_UNREACHABLE');
    this.lastRefresh = this.lastFetch = Date.now();
  }

  /** Repairs a clone an earlier process left (src/gitops/clone.ts, adoptWarm). */
  private adopt(): Promise<void> {
    return adoptWarm(this, this.opts.sparse, () => this.clone());
  }

  /**
   * The config's directories changed (a reload): a lean clone's sparse checkout follows on the
   * next refresh. A full clone stays full.
   */
  setSparse(dirs: readonly string[]): void {
    this.sparseWanted = dirs;
  }

  /**
   * Fetches the branch and moves the local branch to it, dropping local commits that did not reach
   * the remote. Neither the index nor the working tree is read or written (see syncWorktreeSoon).
   */
  async refresh(): Promise<void> {
    await this.ensure();
    await this.fetch();
    const wanted = this.sparseWanted;
    if (wanted && (await isSparse(this.dir))) await applySparse(this, wanted);
    this.sparseWanted = undefined;
    const sha = (await this.must(['rev-parse', '--verify', `${this.tracking}^{commit}`], 'git rev-parse')).trim();
    await this.moveBranch(sha);
    this.lastRefresh = Date.now();
  }

  /**
   * The local branch (and so HEAD, for a person running `git log` in the clone) now points at
   * `sha`. gantry reads the object database, never the working tree, so the index and working
   * tree only follow for people and tools looking at the clone: a few seconds after the branch
   * last moved, off the promotion path and never holding it up, `git read-tree -u --reset HEAD`
   * brings them in step (it honours a sparse checkout and, unlike `reset --hard`, takes no ref
   * lock that a promotion would wait for). A sync cut short is harmless: no promotion reads them.
   */
  private async moveBranch(sha: string): Promise<void> {
    this.known = sha; // reads follow at once, even if the ref file below could not be written
    await moveRef(path.join(this.dir, '.git'), `refs/heads/${this.opts.branch}`, sha);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      // only inside the clone: git() falls back to the process's directory when the clone is gone
      const gitDir = path.join(this.dir, '.git');
      if (!existsSync(gitDir) || this.syncing) return;
      this.syncing = this.git([`--git-dir=${gitDir}`, `--work-tree=${this.dir}`, 'read-tree', '-u', '--reset', 'HEAD'])
        .catch(() => undefined)
        .finally(() => (this.syncing = undefined));
    }, 3000);
    this.syncTimer.unref();
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
    return this.pushCommit(written, toBranch);
  }

  /**
   * Makes directory `dir` hold exactly `files` (paths relative to the repo root, all under `dir`),
   * or removes it when `files` is undefined, then commits and pushes like commitAndPush.
   * `unchanged` when the branch already looks like that (nothing is committed).
   */
  async replaceDirAndPush(dir: string, files: { path: string; content: string }[] | undefined, message: string): Promise<{ sha: string } | 'rejected' | 'unchanged'> {
    // the caller checked the paths; this is the last line before the object database
    if (!isInside(dir) || files?.some((f) => !isInside(f.path) || !f.path.startsWith(`${dir}/`))) {
      throw new GantryError('INPUT_INVALID', `${dir}: not a directory inside the deploy repo`);
    }
    const written = await this.writeCommit({ files: new Map((files ?? []).map((f) => [f.path, f.content])), replaceDirs: [dir] }, message);
    if (written === 'unchanged') return 'unchanged';
    return this.pushCommit(written, this.opts.branch);
  }

  /**
   * The commit of `change` on top of the local branch, written without the index (only the
   * trees on the changed paths are rewritten), signed when a signer is configured. The branch
   * does not move. Its own method so a profiler can time edit + commit apart from the push.
   */
  async writeCommit(change: ChangeSet, message: string): Promise<{ sha: string; parent: string; objects: PackObject[] } | 'unchanged'> {
    const parent = await this.knownHead();
    const store = new LooseObjects(path.join(this.dir, '.git', 'objects'), this.reader, parent.length);
    const out = await writeCommit(store, this.reader, { parent, change, message, author: this.opts.author, signer: this.opts.signer });
    return out === 'unchanged' ? out : { sha: out.sha, parent, objects: store.written() };
  }

  /** The files under `dir` at the local branch's head, with their text (symlinks and submodules left out). */
  async filesUnder(dir: string): Promise<{ path: string; content: string }[]> {
    return filesAt(this.reader, await this.knownHead(), dir);
  }

  /**
   * Pushes a commit writeCommit made (never forced); on success the local branch follows when it
   * is the deploy branch. To the deploy branch, gantry sends the objects it wrote itself
   * (src/gitops/send-pack.ts) when the remote is one it can reach that way; otherwise, and
   * whenever that path cannot judge the answer, `git push`.
   */
  private async pushCommit(c: { sha: string; parent: string; objects: PackObject[] }, toBranch: string): Promise<{ sha: string } | 'rejected'> {
    const ref = `refs/heads/${toBranch}`;
    const remote = toBranch === this.opts.branch ? await this.directRemote() : undefined;
    const sent = remote ? await sendPack(remote, { ref, old: c.parent, new: c.sha, pack: packOf(c.objects, c.sha.length === 64 ? 'sha256' : 'sha1') }) : 'fallback';
    if (sent === 'moved') return 'rejected';
    if (typeof sent === 'object') {
      // the remote refused (a hook, a protected branch): as git push reports it, nothing moved here
      const said = sent.messages.map((m) => `remote: ${m}`).slice(0, 3);
      throw new GantryError('DEPLOY_REPO_UNREACHABLE', `cannot push to the deploy repo ${redact(this.opts.url)}: ${[...said, `! [remote rejected] ${toBranch} (${sent.refused})`].join('; ')}`);
    }
    if (sent === 'ok') {
      // what git push does after a push: the remote-tracking ref follows
      await moveRef(path.join(this.dir, '.git'), this.tracking, c.sha).catch(() => undefined);
    } else {
      const push = await this.git(pushArgs(c.sha, toBranch), undefined, PUSH_CONFIG);
      if (push.code !== 0) {
        if (wasRejected(push)) return 'rejected';
        throw gitError(`cannot push to the deploy repo ${redact(this.opts.url)}`, push, 'DEPLOY_REPO_UNREACHABLE');
      }
    }
    // a pull-request branch: the deploy branch itself did not move, so neither does the clone
    // the push went through: a ref file that cannot be written now must not fail the deploy
    // (reads follow `known`; the next refresh writes the ref)
    if (toBranch === this.opts.branch) await this.moveBranch(c.sha).catch(() => undefined);
    this.maintenance.noteCommit(); // the writer's loose objects get packed after enough of them
    return { sha: c.sha };
  }

  /** Where gantry's own push goes (see directRemote in send-pack.ts), looked up once per clone. */
  private direct: Promise<Remote | undefined> | undefined;
  private directRemote(): Promise<Remote | undefined> {
    this.direct ??= directRemote(this.dir, this.opts.url, this.opts.token).catch(() => undefined);
    return this.direct;
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
