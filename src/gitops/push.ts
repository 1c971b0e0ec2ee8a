import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ExecResult } from '../util/exec.js';

/**
 * `git push` of one commit by id, never forced. What the sending side controls is switched off
 * (measured with GIT_TRACE2_PERF, see README "Large deploy repos"): no pre-push hook, no push
 * certificate, no reachability bitmaps (a one-commit pack gains nothing from them, and loading
 * them costs more than the walk), no auto-gc after the push; `--porcelain` gives a status line per
 * ref that is read below. The push moves the remote-tracking ref too (it matches the fetch refspec).
 */
export function pushArgs(sha: string, toBranch: string): string[] {
  return ['-c', 'pack.useBitmaps=false', '-c', 'pack.useSparse=true', 'push', '-q', '--porcelain', '--no-verify', '--no-signed', 'origin', `${sha}:refs/heads/${toBranch}`];
}

/** A push refused because the branch moved (or a ref was locked): fetch, re-apply, try again. */
export function wasRejected(r: ExecResult): boolean {
  return /\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref/.test(r.stdout + r.stderr);
}

/**
 * Points a ref of the clone at `sha` as git's files backend does (`<ref>.lock`, then rename), in
 * this process: the last step of a promotion needs no `git update-ref` process. A loose ref wins
 * over a packed one, so a packed ref needs no rewrite. No reflog entry is written.
 */
export function moveRef(gitDir: string, ref: string, sha: string): void {
  const file = path.join(gitDir, ...ref.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  const fd = openSync(lock, 'wx'); // EEXIST: a git command holds it; the caller reports it
  try {
    writeSync(fd, `${sha}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(lock, file);
  } catch (e) {
    rmSync(lock, { force: true });
    throw e;
  }
}
