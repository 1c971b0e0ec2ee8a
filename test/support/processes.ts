import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { createGantry, type Gantry } from '../../src/runtime/gantry.js';
import { silentLogger } from '../../src/util/logger.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { run } from '../../src/util/exec.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from './env.js';
import { defaultConfigData, EXAMPLES, ROOT } from './harness.js';

/** The built CLI; `npm test` builds it first. */
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/**
 * A deploy repo, a config directory pointing at it and a Redis prefix: what spawned `gantry`
 * processes (and in-test gantry instances) share, as separate machines would.
 */
export interface World {
  dir: string;
  bare: string;
  configDir: string;
  config: Config;
  prefix: string;
  /** git in the bare deploy repo */
  git(...args: string[]): Promise<string>;
  head(): Promise<string>;
  /** the environment a spawned gantry needs to join this world */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function makeWorld(name: string, edit?: (data: Record<string, any>) => void): Promise<World> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
  const tmp = tempDir(name);
  const bare = path.join(tmp.dir, 'deploy.git');
  await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
  const data = defaultConfigData();
  data.deployRepo.url = bare;
  edit?.(data);
  const configDir = path.join(tmp.dir, 'config');
  mkdirSync(configDir);
  writeFileSync(path.join(configDir, 'default.yml'), stringify(data));
  const prefix = uniquePrefix(name);
  const git = async (...args: string[]) => {
    const r = await run('git', args, { cwd: bare });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    dir: tmp.dir,
    bare,
    configDir,
    config: ConfigSchema.parse(data),
    prefix,
    git,
    head: async () => (await git('rev-parse', 'main')).trim(),
    env: (extra = {}) => {
      // every role listens (health, metrics): PORT 0 lets several run side by side
      const e: NodeJS.ProcessEnv = { ...process.env, GANTRY_CONFIG: configDir, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', PORT: '0', ...extra };
      // platform credentials of the outer environment must not leak into a spawned gantry
      for (const k of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'DINGTALK_APP_SECRET', 'DINGTALK_APP_KEY', 'GITHUB_APP_ID']) {
        if (!(k in extra)) delete e[k];
      }
      return e;
    },
    async close() {
      await wipePrefix(prefix);
      tmp.remove();
    },
  };
}

/** A spawned `gantry …` process in a process group of its own, so kill -9 takes its git children too. */
export interface Spawned {
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  stdout(): string;
  exited: Promise<number | null>;
  /** SIGKILL to the whole process group: what a machine or container dying does */
  kill9(): Promise<void>;
  /** SIGTERM to the process, then wait (bounded) for it to exit */
  stop(timeoutMs?: number): Promise<number | null>;
}

export function spawnGantry(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' }): Spawned {
  mkdirSync(o.cwd, { recursive: true });
  const child = spawn('node', [MAIN, ...args], { cwd: o.cwd, env: o.env, detached: true, stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exited,
    async kill9() {
      if (alive()) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
      await exited;
    },
    async stop(timeoutMs = 15_000) {
      if (alive()) child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
      const code = await Promise.race([exited, timer]);
      if (code === 'timeout') {
        await this.kill9();
        throw new Error(`gantry ${args.join(' ')} did not stop within ${timeoutMs} ms after SIGTERM:\n${out.slice(-2000)}`);
      }
      return code;
    },
  };
}

/** Polls `check` until it returns a value, or throws after `timeoutMs` naming `what`. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string | (() => string), timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Installs a post-receive hook in a bare repo that holds every push open while `<bare>/hold`
 * exists (touching `<bare>/held` when it does): the ref has moved, the pusher has not heard back,
 * the worst moment for a worker to die or be stopped. Bounded: it lets go after 30 s.
 */
export function holdPushesWhileFlagged(bare: string): void {
  const hook = path.join(bare, 'hooks', 'post-receive');
  writeFileSync(
    hook,
    `#!/bin/sh
if [ -e "$GIT_DIR/hold" ]; then
  touch "$GIT_DIR/held"
  i=0
  while [ -e "$GIT_DIR/hold" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
fi
`,
  );
  chmodSync(hook, 0o755);
}

/**
 * The deploy fault tests' setting: a world whose deploy repo holds pushes on demand
 * (holdPushesWhileFlagged), an in-test gantry without workers that asks (web, chat), and the
 * spawned workers, all killed on close.
 */
export interface DeployFaultWorld {
  world: World;
  asker: Gantry;
  workers: Spawned[];
  close(): Promise<void>;
}

export async function deployFaultWorld(name: string): Promise<DeployFaultWorld> {
  const world = await makeWorld(name);
  holdPushesWhileFlagged(world.bare);
  const asker = createGantry({ config: world.config, redisUrl: redisUrl(), prefix: world.prefix, workdir: path.join(world.dir, 'asker'), log: silentLogger });
  const workers: Spawned[] = [];
  return {
    world,
    asker,
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.kill9()));
      await asker.close();
      await world.close();
    },
  };
}
