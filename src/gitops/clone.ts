import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ExecResult } from '../util/exec.js';

/** What the warm clone's set-up needs of the GitRepo that holds it (src/gitops/git.ts). */
export interface CloneHost {
  readonly dir: string;
  readonly opts: { url: string; branch: string; author: { name: string; email: string } };
  /** a git command in the clone (or, before it exists, in the working directory), with gantry's `-c` options */
  git(args: string[], input?: string): Promise<ExecResult>;
  must(args: string[], what: string, input?: string): Promise<string>;
  resetToRemote(): Promise<void>;
}

/**
 * A local deploy repo serves filters only when its upload-pack allows them (uploadpack.allowFilter
 * is off by default): both sides are on this machine, so gantry's fetches ask for it themselves.
 */
const LOCAL_UPLOAD_PACK = 'git -c uploadpack.allowFilter=true upload-pack';

/** A path or file:// URL: git runs the "server" side itself, on this machine. */
export function isLocalUrl(url: string): boolean {
  return url.startsWith('file://') || !(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^:]+:/.test(url));
}

/**
 * Clones the deploy repo into the clone's directory. With `sparse` (the directories the config
 * names, src/gitops/sparse.ts) the clone is lean: blobless (`--filter=blob:none`: commits and
 * trees only; a blob is fetched when first read) with a cone-mode sparse checkout and a sparse
 * index, so a new worker on a large deploy repo fetches a fraction of it and the disk holds only
 * what gantry edits. `git clone --filter` is ignored for a plain local path, so such a path is
 * cloned with --no-local (the URL stays what the config says). A server without filter support
 * sends everything (git warns): the clone is then full, and still sparse in its working tree.
 */
export async function cloneWarm(host: CloneHost, sparse: readonly string[] | undefined): Promise<ExecResult> {
  const { url, branch } = host.opts;
  await mkdir(path.dirname(path.resolve(host.dir)), { recursive: true });
  const args = ['clone', '-q', '--no-tags', '--single-branch', '--branch', branch];
  const local = isLocalUrl(url);
  if (sparse) {
    args.push('--filter=blob:none', '--no-checkout');
    if (local) args.push('--no-local', '--upload-pack', LOCAL_UPLOAD_PACK);
  }
  // absolute: git runs in the clone's directory when that exists already (a leftover empty one)
  const from = local && !url.startsWith('file://') ? path.resolve(url) : url;
  const r = await host.git([...args, '--', from, path.resolve(host.dir)]);
  if (r.code !== 0) return r;
  if (sparse) {
    // lazy fetches of missing blobs run `git fetch origin`, which needs the filter allowed too
    if (local) await host.must(['config', 'remote.origin.uploadpack', LOCAL_UPLOAD_PACK], 'git config');
    await applySparse(host, sparse);
    await host.must(['reset', '-q', '--hard', `refs/remotes/origin/${branch}`], 'git reset');
  }
  await host.must(['config', 'user.name', host.opts.author.name], 'git config');
  await host.must(['config', 'user.email', host.opts.author.email], 'git config');
  return r;
}

/** Whether the clone has a sparse checkout (one gantry made lean); a full clone is left as it is. */
export async function isSparse(dir: string): Promise<boolean> {
  // `git sparse-checkout` keeps its settings in the worktree's own config file
  const files = ['config.worktree', 'config'].map((f) => readFile(path.join(dir, '.git', f), 'utf8').catch(() => ''));
  return (await Promise.all(files)).some((text) => /^\s*sparsecheckout\s*=\s*true\s*$/im.test(text));
}

/**
 * Makes the cone of a lean clone `dirs`, when it is not that already. Directories newly in the
 * cone are checked out (their blobs fetched in one batch by git); ones left are removed from the
 * working tree. Runs when the clone is made or adopted, and on the refresh after the config's
 * paths changed.
 */
export async function applySparse(host: CloneHost, dirs: readonly string[]): Promise<boolean> {
  const now = (await host.git(['sparse-checkout', 'list'])).stdout.split('\n').filter(Boolean);
  if (now.length === dirs.length && now.every((d, i) => d === dirs[i])) return false;
  const input = dirs.length ? `${dirs.join('\n')}\n` : '';
  await host.must(['sparse-checkout', 'set', '--cone', '--sparse-index', '--stdin'], 'git sparse-checkout set', input);
  return true;
}

/**
 * A clone found on disk was left by an earlier process, which may have been killed (-9) in the
 * middle of a git command: its lock files would make every later command fail, and an edit it
 * had staged would ride along in the next commit. So, once per process: remove lock files older
 * than this process, and reset to the remote-tracking branch. A clone too broken to reset (a
 * clone that was itself cut short) is removed and made again. A full clone left by an older
 * gantry is kept as it is (it works; remove the directory to get a lean one); a lean one gets the
 * config's current sparse set.
 */
export async function adoptWarm(host: CloneHost, sparse: readonly string[] | undefined, reclone: () => Promise<void>): Promise<void> {
  const started = Date.now() - process.uptime() * 1000;
  const gitDir = path.join(host.dir, '.git');
  const top = (await readdir(gitDir)).filter((f) => f.endsWith('.lock'));
  const refDir = path.join(gitDir, 'refs');
  const nested = existsSync(refDir) ? ((await readdir(refDir, { recursive: true })) as string[]) : [];
  const refs = nested.filter((f) => f.endsWith('.lock')).map((f) => path.join('refs', f));
  for (const rel of [...top, ...refs]) {
    const file = path.join(gitDir, rel);
    const st = await stat(file).catch(() => undefined);
    if (st?.isFile() && st.mtimeMs < started) await rm(file, { force: true });
  }
  try {
    if (sparse && (await isSparse(host.dir))) await applySparse(host, sparse);
    await host.resetToRemote();
  } catch (e) {
    // only a clone without the branch it tracks is remade; any other failure is reported as it is
    if ((await host.git(['rev-parse', '-q', '--verify', `refs/remotes/origin/${host.opts.branch}`])).code === 0) throw e;
    await rm(host.dir, { recursive: true, force: true });
    await reclone();
  }
}
