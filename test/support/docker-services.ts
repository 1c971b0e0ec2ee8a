import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { GantryError } from '../../src/domain/errors.js';
import { which } from '../../src/util/exec.js';
import { freePort } from '../../src/runtime/redis-server.js';

/**
 * A private Docker Engine (Debian `docker.io`) and a private registry (Debian `docker-registry`)
 * for tests and benchmarks (scripts/services.sh starts the same pair for development), both on
 * this machine only: dockerd listens on a unix socket in its own directory, the registry on
 * 127.0.0.1. dockerd runs without a bridge or iptables rules, so it never touches the host's
 * network and several can run side by side (the builds need no network: nothing can be pulled
 * here anyway). Test-only, so it lives outside src/ and never ships in the package.
 */

export interface LocalDockerd {
  /** `unix:///…/docker.sock`, for DOCKER_HOST */
  host: string;
  socketPath: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the registry part of image references */
  address: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DockerServices {
  dockerd: LocalDockerd;
  registry: LocalRegistry;
  stop(): Promise<void>;
}

export interface DockerdOptions {
  /** state directory (socket, data, exec root, log); a fresh temp directory by default, removed on stop */
  dir?: string;
  /** registries reached over plain HTTP (127.0.0.0/8 always is) */
  insecureRegistries?: string[];
  readyTimeoutMs?: number;
}

export interface RegistryOptions {
  /** state directory (config, blobs); a fresh temp directory by default, removed on stop */
  dir?: string;
  port?: number;
  /** htpasswd file content (bcrypt entries): turns on basic auth */
  htpasswd?: string;
  readyTimeoutMs?: number;
}

/** Starts a registry, then a dockerd that trusts it. */
export async function startDockerServices(opts: { dir?: string } = {}): Promise<DockerServices> {
  const registry = await startRegistry(opts.dir ? { dir: path.join(opts.dir, 'registry') } : {});
  try {
    const dockerd = await startDockerd({ ...(opts.dir ? { dir: path.join(opts.dir, 'docker') } : {}), insecureRegistries: [registry.address] });
    return { dockerd, registry, stop: async () => void (await Promise.all([dockerd.stop(), registry.stop()])) };
  } catch (e) {
    await registry.stop();
    throw e;
  }
}

export async function startDockerd(opts: DockerdOptions = {}): Promise<LocalDockerd> {
  const bin = await findBinary('dockerd');
  if (!bin) throw missing('dockerd', 'docker.io', 'or set DOCKER_HOST to a Docker Engine you run');
  if (process.getuid?.() !== 0) {
    throw new GantryError('DEPENDENCY_MISSING', 'starting a private dockerd needs root; run as root, or set DOCKER_HOST to a Docker Engine you run');
  }
  const owned = !opts.dir;
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'gantry-docker-')));
  await mkdir(dir, { recursive: true });
  const socketPath = path.join(dir, 'docker.sock');
  // a unix socket path longer than ~104 bytes cannot be bound
  if (Buffer.byteLength(socketPath) > 100) throw new GantryError('INPUT_INVALID', `the dockerd socket path is too long: ${socketPath}`);
  await writeFile(path.join(dir, 'daemon.json'), '{}\n'); // never pick up the host's /etc/docker/daemon.json
  const ns = `gantry-${randomBytes(4).toString('hex')}`;
  const args = [
    `--host=unix://${socketPath}`,
    `--data-root=${path.join(dir, 'data')}`,
    `--exec-root=${path.join(dir, 'exec')}`,
    `--pidfile=${path.join(dir, 'docker.pid')}`,
    `--config-file=${path.join(dir, 'daemon.json')}`,
    // its own containerd namespaces, in case it shares a system containerd with another dockerd
    `--containerd-namespace=${ns}`,
    `--containerd-plugins-namespace=${ns}-plugins`,
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    '--userland-proxy=false',
    '--log-level=warn',
    ...(opts.insecureRegistries ?? []).map((r) => `--insecure-registry=${r}`),
  ];
  const logFile = path.join(dir, 'dockerd.log');
  const log = await open(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const stop = () => stopProcess(child, 20_000).then(() => (owned ? removeDir(dir) : undefined));
  try {
    await waitReady('dockerd', child, opts.readyTimeoutMs ?? 30_000, () => httpOk({ socketPath, path: '/_ping' }), logFile);
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: `unix://${socketPath}`, socketPath, dir, process: child, stop };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<LocalRegistry> {
  const bin = await findBinary('docker-registry');
  if (!bin) throw missing('docker-registry', 'docker-registry', 'or set GANTRY_REGISTRY to a registry you run');
  const owned = !opts.dir;
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'gantry-registry-')));
  await mkdir(path.join(dir, 'data'), { recursive: true });
  // a free port can be taken between asking and binding: try a few
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const config = path.join(dir, 'config.yml');
    if (opts.htpasswd !== undefined) await writeFile(path.join(dir, 'htpasswd'), opts.htpasswd, { mode: 0o600 });
    // JSON is YAML, and needs no YAML writer
    await writeFile(config, JSON.stringify(registryConfig(dir, port, opts.htpasswd !== undefined), null, 2));
    const logFile = path.join(dir, 'registry.log');
    const log = await open(logFile, 'a');
    const child = spawn(bin, ['serve', config], { stdio: ['ignore', log.fd, log.fd] });
    await log.close();
    const stop = () => stopProcess(child, 10_000).then(() => (owned ? removeDir(dir) : undefined));
    try {
      await waitReady('docker-registry', child, opts.readyTimeoutMs ?? 10_000, () => httpOk({ host: '127.0.0.1', port, path: '/v2/' }, [200, 401]), logFile);
      return { address: `127.0.0.1:${port}`, port, dir, process: child, stop };
    } catch (e) {
      await stopProcess(child, 5_000);
      const inUse = /address already in use/.test(await readFile(logFile, 'utf8').catch(() => ''));
      if (!inUse || opts.port !== undefined || attempt >= 3) {
        if (owned) await removeDir(dir);
        throw e;
      }
    }
  }
}

function registryConfig(dir: string, port: number, auth: boolean): Record<string, unknown> {
  return {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: path.join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
    health: { storagedriver: { enabled: false } },
    ...(auth ? { auth: { htpasswd: { realm: 'gantry', path: path.join(dir, 'htpasswd') } } } : {}),
  };
}

/** Polls `ready` until it answers true, the process exits, or the deadline passes. */
async function waitReady(name: string, child: ChildProcess, timeoutMs: number, ready: () => Promise<boolean>, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new GantryError('DEPENDENCY_MISSING', `${name} exited at start (${child.exitCode ?? child.signalCode}): ${await tail(logFile)}`);
    }
    if (await ready()) return;
    if (Date.now() > deadline) {
      throw new GantryError('DEPENDENCY_MISSING', `${name} was not ready within ${timeoutMs / 1000} s: ${await tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One GET; true when the status is one of `ok`. */
function httpOk(target: { socketPath?: string; host?: string; port?: number; path: string }, ok = [200]): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ ...target, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(ok.includes(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. */
function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function removeDir(dir: string): Promise<void> {
  // dockerd unmounts its layers on a clean stop; after a SIGKILL some may stay busy
  await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-8).join('\n') || '(no output)';
}

/** On PATH, or in the sbin directories a non-root PATH often lacks. */
async function findBinary(name: string): Promise<string | undefined> {
  const found = await which(name);
  if (found) return found;
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin']) {
    const p = path.join(dir, name);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

function missing(bin: string, pkg: string, alternative: string): GantryError {
  return new GantryError('DEPENDENCY_MISSING', `${bin} is not installed. Install it (Debian/Ubuntu: sudo apt-get install ${pkg}), ${alternative}.`);
}
