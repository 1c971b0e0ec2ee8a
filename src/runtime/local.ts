import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GantryError } from '../domain/errors.js';
import { run } from '../util/exec.js';
import { ping, startRedis, type LocalRedis } from './redis-server.js';

/** Whether a deploy-repo URL is a path on this machine (local mode can create it). */
export function isLocalPath(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+@[^:]+:/.test(url);
}

/**
 * Local mode: a bare deploy repo seeded from the example manifests, created once. Returns true
 * when it was created now.
 */
export async function ensureLocalDeployRepo(bare: string, branch: string, examplesDir: string): Promise<boolean> {
  if (existsSync(bare)) return false;
  const git = async (args: string[], cwd?: string) => {
    const r = await run('git', args, { ...(cwd ? { cwd } : {}) });
    if (r.code !== 0) throw new GantryError('INTERNAL', `git ${args[0]} failed while creating the local deploy repo: ${r.stderr.trim()}`);
  };
  await git(['init', '-q', '--bare', `--initial-branch=${branch}`, bare]);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gantry-seed-'));
  try {
    cpSync(examplesDir, tmp, { recursive: true });
    await git(['init', '-q', `--initial-branch=${branch}`], tmp);
    await git(['-c', 'user.name=gantry', '-c', 'user.email=gantry@localhost', 'add', '-A'], tmp);
    await git(['-c', 'user.name=gantry', '-c', 'user.email=gantry@localhost', 'commit', '-q', '-m', 'seed example manifests'], tmp);
    await git(['push', '-q', bare, `HEAD:refs/heads/${branch}`], tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}

/**
 * The local-mode Redis: the one a running gantry started (its port is in `<stateDir>/redis.port`),
 * or a new one keeping its data in `<stateDir>/redis`, so releases survive restarts.
 */
export async function ensureLocalRedis(stateDir: string): Promise<{ url: string; started?: LocalRedis }> {
  const portFile = path.join(stateDir, 'redis.port');
  if (existsSync(portFile)) {
    const url = `redis://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
    if (await ping(url)) return { url };
  }
  const started = await startRedis({ dataDir: path.join(stateDir, 'redis') });
  writeFileSync(portFile, String(started.port));
  const stop = started.stop;
  started.stop = async () => {
    rmSync(portFile, { force: true });
    await stop();
  };
  return { url: started.url, started };
}
