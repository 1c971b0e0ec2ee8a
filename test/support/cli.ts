import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../src/runtime/redis-server.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { defaultConfigData, EXAMPLES, ROOT } from './harness.js';

export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/**
 * A config directory for a spawned `gantry`: the demo config (config/demo) as default.yml, pointed
 * at a fresh bare deploy repo under `dir/<name>`, edited by `edit`. Returns the directory (for GANTRY_CONFIG).
 */
export async function writeTestConfig(dir: string, name: string, edit?: (data: Record<string, any>) => void): Promise<string> {
  const base = path.join(dir, name);
  mkdirSync(base, { recursive: true });
  const data = defaultConfigData();
  data.deployRepo.url = path.join(base, 'deploy.git');
  data.deployRepo.workdir = path.join(base, 'work');
  await ensureLocalDeployRepo(data.deployRepo.url, 'main', EXAMPLES);
  edit?.(data);
  const conf = path.join(base, 'config');
  mkdirSync(conf);
  writeFileSync(path.join(conf, 'default.yml'), stringify(data));
  return conf;
}

/** `gantry <args>` as a server on a free port; resolves once /healthz answers (bounded: 10 s). */
export async function spawnServer(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ChildProcess; base: string; stderr(): string; stop(): Promise<number | null> }> {
  const port = await freePort();
  const child = spawn('node', [MAIN, ...args], { cwd, env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 100 && !up && child.exitCode === null; i++) {
    up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`gantry ${args.join(' ')} did not come up: ${stderr}`);
  }
  return {
    child,
    base,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
