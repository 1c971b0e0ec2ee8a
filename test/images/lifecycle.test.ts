import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import bcrypt from 'bcryptjs';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, type BuildOptions } from '../../src/images/builder.js';
import { runSmokeTest } from '../../src/images/smoke-test.js';
import type { BuildSpec, BuildSuccess } from '../../src/images/types.js';
import { startRegistry } from '../support/docker-services.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { busyboxContext, dockerClient, dockerServices, fetchManifest, type TestDockerServices } from '../support/docker.js';

/** Stopping builds for real, registries that refuse, and one-shot smoke-test containers. */
let svc: TestDockerServices;
let docker: Docker;
let hello: BuildSuccess;

beforeAll(async () => {
  svc = await dockerServices();
  docker = dockerClient(svc.dockerHost);
  const r = await buildImage(docker, spec('hello', await busyboxContext('hello')));
  if (!r.ok) throw new Error(`fixture build failed: ${r.message}\n${r.logTail}`);
  hello = r;
}, 120_000);
afterAll(async () => svc?.stop());

function spec(app: string, source: Buffer, more: Partial<BuildSpec> = {}): BuildSpec {
  return { source: Readable.from([source]), repository: `${svc.registry}/gantry-test/${app}-${randomBytes(3).toString('hex')}`, tags: ['t1'], ...more };
}

/** Containers of the slow fixture's `sleep 60` step of this build (the builder passes build args as env). */
async function sleepers(nonce: string): Promise<Docker.ContainerInfo[]> {
  const found: Docker.ContainerInfo[] = [];
  for (const c of await docker.listContainers({ all: true })) {
    if (!c.Command.includes('sleep 60')) continue;
    const env = await docker
      .getContainer(c.Id)
      .inspect()
      .then((i) => i.Config.Env ?? [], (): string[] => []); // removed meanwhile
    if (env.includes(`NONCE=${nonce}`)) found.push(c);
  }
  return found;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - t0;
}

/** Starts the slow fixture and resolves once its `sleep 60` container really runs. */
async function slowBuild(opts: BuildOptions, more: Partial<BuildSpec> = {}) {
  const nonce = `n${randomBytes(6).toString('hex')}`;
  const pending = buildImage(docker, spec('slow', await busyboxContext('slow'), { buildArgs: { NONCE: nonce }, ...more }), opts);
  await until('the sleep step is running', async () => (await sleepers(nonce)).some((c) => c.State === 'running'), 30_000);
  return { nonce, pending };
}

describe('stopping a build', () => {
  it('cancellation stops the running step within seconds and leaves no container', async () => {
    const ac = new AbortController();
    const { nonce, pending } = await slowBuild({ signal: ac.signal });
    const t0 = performance.now();
    ac.abort();
    const result = await pending;
    const returnedMs = performance.now() - t0;
    expect(result).toMatchObject({ ok: false, stage: 'cancelled', message: 'cancelled during build' });
    expect(returnedMs).toBeLessThan(2_000);
    // the daemon noticed the closed connection: the step's container is killed and removed
    const goneMs = await until('the build container is gone', async () => (await sleepers(nonce)).length === 0, 5_000);
    expect(returnedMs + goneMs).toBeLessThan(3_000);
  });

  it('a timeout stops it the same way', async () => {
    const { nonce, pending } = await slowBuild({}, { timeoutMs: 4_000 });
    const result = await pending;
    expect(result).toMatchObject({ ok: false, stage: 'timeout' });
    expect(!result.ok && result.message).toMatch(/^timed out after 4 s during build/);
    expect(result.durationMs).toBeGreaterThanOrEqual(4_000);
    expect(result.durationMs).toBeLessThan(8_000);
    await until('the build container is gone', async () => (await sleepers(nonce)).length === 0, 5_000);
  });

  it('an already aborted signal builds nothing', async () => {
    const result = await buildImage(docker, spec('hello', await busyboxContext('hello')), { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ ok: false, stage: 'cancelled' });
  });
});

describe('infrastructure and registry failures', () => {
  it('a registry that is down fails at the push stage, after a good build', async () => {
    const port = await freePort(); // nothing listens there
    const result = await buildImage(docker, spec('hello', await busyboxContext('hello'), { repository: `127.0.0.1:${port}/acme/hello` }));
    expect(result).toMatchObject({ ok: false, stage: 'push' });
    expect(!result.ok && result.message).toMatch(new RegExp(`push of 127.0.0.1:${port}/acme/hello:t1 failed: .*connection refused`));
    expect(result.logTail).toMatch(/Successfully built/);
  });

  it('an unreachable daemon is an infrastructure failure', async () => {
    const gone = new Docker({ socketPath: '/nonexistent/gantry/docker.sock' });
    const result = await buildImage(gone, spec('hello', Buffer.alloc(0)));
    expect(result).toMatchObject({ ok: false, stage: 'infrastructure' });
    expect(!result.ok && result.message).toMatch(/Docker daemon is unreachable: .*ENOENT/);
  });

  it('a source that cannot be fetched is an infrastructure failure', async () => {
    const result = await buildImage(docker, { ...spec('hello', Buffer.alloc(0)), source: () => Promise.reject(new Error('GitHub said 502')) });
    expect(result).toMatchObject({ ok: false, stage: 'infrastructure', message: 'fetching the source failed: GitHub said 502' });
  });

  it('pushes with credentials to a registry that requires them, and is refused without', async () => {
    const user = { username: 'ci', password: randomBytes(8).toString('hex') };
    const registry = await startRegistry({ htpasswd: `${user.username}:${bcrypt.hashSync(user.password, 6)}\n` });
    try {
      const repository = `${registry.address}/acme/private`;
      const refused = await buildImage(docker, spec('hello', await busyboxContext('hello'), { repository }));
      expect(refused).toMatchObject({ ok: false, stage: 'push' });
      expect(!refused.ok && refused.message).toMatch(/no basic auth credentials|unauthorized/);

      const auth = { ...user, serveraddress: registry.address };
      const pushed = await buildImage(docker, spec('hello', await busyboxContext('hello'), { repository, auth }));
      if (!pushed.ok) throw new Error(pushed.message);
      expect((await fetchManifest(registry.address, 'acme/private', pushed.digest)).status).toBe(401);
      expect((await fetchManifest(registry.address, 'acme/private', pushed.digest, user)).digestHeader).toBe(pushed.digest);

      // the release-tag look-up answers the registry's challenge with the same credentials
      const tree = await busyboxContext('hello');
      const release = (greeting: string) => spec('hello', tree, { repository, auth, tags: ['v1.0.0'], immutableTags: ['v1.0.0'], buildArgs: { GREETING: greeting } });
      const first = await buildImage(docker, release('first'));
      if (!first.ok) throw new Error(first.message);
      expect(await buildImage(docker, release('first'))).toMatchObject({ ok: true, digest: first.digest });
      const other = await buildImage(docker, release('other'));
      expect(other).toMatchObject({ ok: false, stage: 'refused' });
      expect(!other.ok && other.message).toContain(`already exists with digest ${first.digest}`);
      expect((await fetchManifest(registry.address, 'acme/private', 'v1.0.0', user)).digestHeader).toBe(first.digest);
    } finally {
      await registry.stop();
    }
  });
});

describe('smoke test', () => {
  const smoke = (command: string[], more: { timeoutMs?: number; env?: Record<string, string>; memoryBytes?: number } = {}, signal?: AbortSignal) =>
    runSmokeTest(docker, { image: hello.ref, command, timeoutMs: more.timeoutMs ?? 20_000, ...more }, signal);
  const leftovers = async () => (await docker.listContainers({ all: true, filters: { label: ['dev.gantry.role=smoke-test'] } })).length;

  it('returns the exit code and both stdout and stderr', async () => {
    const r = await smoke(['sh', '-c', 'echo out; echo "$GREETING"; echo err >&2; exit 7'], { env: { GREETING: 'from env' } });
    expect(r).toMatchObject({ exitCode: 7, timedOut: false });
    // the engine logs the two streams separately: order within a stream holds, across them it may not
    expect(r.outputTail.split('\n').filter((l) => l !== 'err')).toEqual(['out', 'from env']);
    expect(r.outputTail.split('\n')).toContain('err');
    expect(await leftovers()).toBe(0);
  });

  it('has no network and the memory limit it was given', async () => {
    const net = await smoke(['sh', '-c', 'ls /sys/class/net']);
    expect(net.outputTail.split('\n')).toEqual(['lo']);
    const mem = await smoke(['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes'], { memoryBytes: 64 * 1024 * 1024 });
    expect(mem.outputTail).toBe(String(64 * 1024 * 1024));
  });

  it('kills a command that outlives its deadline and removes the container', async () => {
    const r = await smoke(['sh', '-c', 'echo started; sleep 60'], { timeoutMs: 1_000 });
    expect(r).toMatchObject({ exitCode: null, timedOut: true, outputTail: 'started' });
    expect(r.durationMs).toBeLessThan(5_000);
    expect(await leftovers()).toBe(0);
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await smoke(['sleep', '60'], {}, ac.signal);
    expect(r).toMatchObject({ exitCode: null, timedOut: false, cancelled: true });
    expect(await leftovers()).toBe(0);
  });

  it('keeps only the tail of a long output', async () => {
    const r = await smoke(['sh', '-c', 'i=0; while [ $i -lt 1000 ]; do echo line $i; i=$((i+1)); done']);
    const lines = r.outputTail.split('\n');
    expect(lines).toHaveLength(200);
    expect(lines.at(-1)).toBe('line 999');
  });
});
