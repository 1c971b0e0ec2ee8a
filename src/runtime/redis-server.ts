import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { GantryError } from '../domain/errors.js';
import { redisClient } from '../store/redis.js';
import { which } from '../util/exec.js';

export interface LocalRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a private `redis-server` (Debian package redis-server) on 127.0.0.1 for local mode and
 * tests. With `dataDir`, its data is kept there (append-only file), so releases survive restarts.
 */
export async function startRedis(opts: { dataDir?: string; port?: number } = {}): Promise<LocalRedis> {
  const bin = await which('redis-server');
  if (!bin) {
    throw new GantryError(
      'DEPENDENCY_MISSING',
      'redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), or set REDIS_URL to a Redis you run.',
    );
  }
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning'];
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push('--dir', opts.dataDir, '--appendonly', 'yes', '--save', '');
  } else {
    args.push('--save', '', '--appendonly', 'no');
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  // wait until it answers PING (bounded: 10 s)
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new GantryError('DEPENDENCY_MISSING', `redis-server exited at start: ${stderr.trim()}`);
    const ok = await ping(url);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new GantryError('DEPENDENCY_MISSING', `redis-server did not answer on port ${port} within 10 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Whether a Redis answers PING at `url` (one quick try; any REDIS_URL form). */
export async function ping(url: string): Promise<boolean> {
  const r = redisClient(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
