import path from 'node:path';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';

/**
 * A real deploy repo for the rollout tests: a bare remote, a writer clone, and gantry's warm
 * clone. History: base → parent → deploy → child on main, and `side` branching off base.
 * `later` is pushed after the warm clone was made, so the clone does not have it until a fetch.
 */
export interface GitChain {
  clone: string;
  base: string;
  parent: string;
  deploy: string;
  child: string;
  side: string;
  later: string;
  /** fetches main into the warm clone, counting how often it was asked to */
  fetch(): Promise<void>;
  fetches(): number;
  remove(): void;
}

export async function makeGitChain(name: string): Promise<GitChain> {
  const tmp = tempDir(name);
  const bare = path.join(tmp.dir, 'deploy.git');
  const writer = path.join(tmp.dir, 'writer');
  const clone = path.join(tmp.dir, 'clone');
  const git = async (cwd: string, ...args: string[]) => {
    const r = await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await git(tmp.dir, 'init', '-q', '--bare', '-b', 'main', bare);
  await git(tmp.dir, 'clone', '-q', bare, writer);
  const commit = async (m: string) => {
    await git(writer, 'commit', '-q', '--allow-empty', '-m', m);
    return git(writer, 'rev-parse', 'HEAD');
  };
  await git(writer, 'checkout', '-q', '-b', 'main');
  const base = await commit('base');
  await git(writer, 'checkout', '-q', '-b', 'side');
  const side = await commit('side');
  await git(writer, 'checkout', '-q', 'main');
  const parent = await commit('parent');
  const deploy = await commit('deploy');
  const child = await commit('child');
  await git(writer, 'push', '-q', 'origin', 'main', 'side');
  await git(tmp.dir, 'clone', '-q', '--no-tags', bare, clone);
  await git(clone, 'fetch', '-q', 'origin', 'side:refs/remotes/origin/side');
  const later = await commit('later');
  await git(writer, 'push', '-q', 'origin', 'main');
  let fetches = 0;
  return {
    clone,
    base,
    parent,
    deploy,
    child,
    side,
    later,
    async fetch() {
      fetches++;
      await git(clone, 'fetch', '-q', 'origin', '+refs/heads/main:refs/remotes/origin/main');
    },
    fetches: () => fetches,
    remove: tmp.remove,
  };
}
