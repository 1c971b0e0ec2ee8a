import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /** stops the program (SIGTERM: git removes its lock and temporary files on it) */
  signal?: AbortSignal;
}

/** Runs a program without a shell (arguments are never interpreted) and collects its output. */
export async function run(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await runBytes(cmd, args, opts);
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

/** Like run, with standard output as bytes (git objects, whose sizes are counted in bytes). */
export function runBytes(cmd: string, args: string[], opts: ExecOptions = {}): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // a program that may be stopped gets a process group of its own, so stopping it stops what it
      // started too (git maintenance runs repack, which runs pack-objects)
      detached: opts.signal !== undefined,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    }
    const abort = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      } catch {
        child.kill('SIGTERM'); // the group is gone: the program alone, if it is still there
      }
    };
    if (opts.signal?.aborted) abort();
    opts.signal?.addEventListener('abort', abort, { once: true });
    child.on('exit', () => opts.signal?.removeEventListener('abort', abort));
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal})` : ''),
      });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Whether an executable is on PATH. */
export async function which(cmd: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  const { access, constants } = await import('node:fs/promises');
  for (const d of dirs) {
    try {
      await access(`${d}/${cmd}`, constants.X_OK);
      return `${d}/${cmd}`;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
