import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/images/builder.js';
import { runSmokeTest } from '../../src/images/smoke-test.js';
import type { BuildProgress, BuildSpec, BuildSuccess } from '../../src/images/types.js';
import { busyboxContext, dockerClient, dockerServices, fetchManifest, type TestDockerServices } from '../support/docker.js';

/** Real dockerd + registry: build, push, read back from the registry, run in the image. */
let svc: TestDockerServices;
let docker: Docker;

beforeAll(async () => {
  svc = await dockerServices();
  docker = dockerClient(svc.dockerHost);
}, 120_000);
afterAll(async () => svc?.stop());

const repo = (name: string) => `${svc.registry}/gantry-test/${name}-${randomBytes(3).toString('hex')}`;
const run = async (image: string, ...command: string[]) => runSmokeTest(docker, { image, command, timeoutMs: 20_000 });

async function build(app: string, spec: Partial<BuildSpec> = {}, fixture: Parameters<typeof busyboxContext>[1] = {}) {
  const source = await busyboxContext(app, fixture);
  const progress: BuildProgress[] = [];
  const result = await buildImage(
    docker,
    { source: () => Promise.resolve(Readable.from([source])), repository: repo(app), tags: ['latest'], timeoutMs: 120_000, ...spec },
    { onProgress: (p) => progress.push(p) },
  );
  return { result, progress };
}

function ok(r: Awaited<ReturnType<typeof build>>['result']): BuildSuccess {
  if (!r.ok) throw new Error(`build failed at ${r.stage}: ${r.message}\n${r.logTail}`);
  return r;
}

describe('buildImage against a real dockerd and registry', () => {
  it('builds, pushes every tag, and the registry serves the manifest by the reported digest', async () => {
    const repository = repo('hello');
    const labels = { 'org.opencontainers.image.revision': '1a2b3c4d5e6f', 'org.opencontainers.image.source': 'https://github.com/acme/hello' };
    const { result, progress } = await build('hello', { repository, tags: ['pr-42-1a2b3c4', 'sha-1a2b3c4'], labels, buildArgs: { GREETING: 'bonjour' } });
    const r = ok(result);
    expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.ref).toBe(`${repository}:pr-42-1a2b3c4@${r.digest}`);
    expect(r.sizeBytes).toBeGreaterThan(1_000_000); // busybox alone is ~2 MB
    expect(r.imageId).toMatch(/^sha256:/);

    const path = repository.slice(svc.registry.length + 1);
    const byDigest = await fetchManifest(svc.registry, path, r.digest);
    expect(byDigest.status).toBe(200);
    expect(byDigest.digestHeader).toBe(r.digest);
    expect(`sha256:${createHash('sha256').update(byDigest.body).digest('hex')}`).toBe(r.digest);
    for (const tag of r.tags) expect((await fetchManifest(svc.registry, path, tag)).digestHeader).toBe(r.digest);
    const tags = (await (await fetch(`http://${svc.registry}/v2/${path}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['pr-42-1a2b3c4', 'sha-1a2b3c4']);

    const info = await docker.getImage(`${repository}:sha-1a2b3c4`).inspect();
    expect(info.Config.Labels).toMatchObject(labels);
    expect(info.Id).toBe(r.imageId);

    // every Dockerfile instruction was reported, then the builder's own LABEL step per label
    const steps = progress.filter((p) => p.phase === 'build' && p.step);
    expect(steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(steps[4]).toMatchObject({ steps: 9, instruction: 'RUN echo "$GREETING from gantry" > /greeting' });
    expect(steps[8]!.instruction).toMatch(/^LABEL/);
    expect(progress.map((p) => p.phase)).toContain('push');
    expect(r.logTail).toMatch(/Step 5\/9 : RUN echo/);

    const greeting = await run(r.ref, 'cat', '/greeting');
    expect(greeting).toMatchObject({ exitCode: 0, outputTail: 'bonjour from gantry' });
  });

  it('sends only what .dockerignore keeps (with its ! exception) and drops Dockerfile/.dockerignore from COPY', async () => {
    const r = ok((await build('hello')).result);
    const listing = await run(r.ref, 'ls', '-a', '/app');
    expect(listing.exitCode).toBe(0);
    expect(listing.outputTail.split('\n').filter((l) => !l.startsWith('.')).sort()).toEqual(['app.txt', 'busybox', 'keep.bak', 'nested']);
    expect(listing.outputTail.split('\n')).not.toContain('.dockerignore');
    const secret = await run(r.ref, 'cat', '/app/secret.txt');
    expect(secret.exitCode).not.toBe(0);
    expect(secret.outputTail).toMatch(/No such file/);
    expect((await run(r.ref, 'cat', '/greeting')).outputTail).toBe('hello from gantry'); // the ARG default
  });

  it('builds a multi-stage target, and the final stage with a build arg', async () => {
    const tools = ok((await build('multistage', { target: 'tools' })).result);
    expect(await run(tools.ref, 'cat', '/stage')).toMatchObject({ exitCode: 0, outputTail: 'tools' });
    expect((await run(tools.ref, 'ls', '/artifact')).exitCode).not.toBe(0);

    const { result, progress } = await build('multistage', { buildArgs: { VERSION: '1.2.3' } });
    const final = ok(result);
    expect(await run(final.ref, '/bin/busybox', 'cat', '/artifact')).toMatchObject({ exitCode: 0, outputTail: 'built 1.2.3' });
    // every FROM is a step of the classic builder
    expect(progress.filter((p) => p.instruction?.startsWith('FROM')).map((p) => p.step)).toEqual([1, 5, 8]);
  });

  it('builds a context subdirectory with a Dockerfile elsewhere in it, honouring its own .dockerignore', async () => {
    const { result } = await build('monorepo', { context: 'services/api', dockerfile: 'docker/Dockerfile' }, { busyboxAt: 'services/api/busybox' });
    const r = ok(result);
    const tree = await run(r.ref, '/bin/busybox', 'find', '/srv', '-type', 'f');
    // .dockerignore is sent and, as with the docker CLI, copied unless it lists itself
    expect(tree.outputTail.split('\n').sort()).toEqual(['/srv/.dockerignore', '/srv/busybox', '/srv/docker/Dockerfile', '/srv/src/main.txt']);
  });

  it('reports the failing step, its output and its Dockerfile line', async () => {
    const { result } = await build('failing');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.stage).toBe('build');
    expect(result.failedStep).toMatchObject({ step: 5, dockerfileLine: 10 });
    expect(result.failedStep!.instruction).toMatch(/^RUN echo "about to fail"/);
    expect(result.failedStep!.output).toContain('about to fail');
    expect(result.failedStep!.output).toContain('on stderr too');
    expect(result.failedStep!.output).not.toContain('Running in');
    expect(result.message).toMatch(/step 5\/6 .*\(Dockerfile line 10\) failed: .*non-zero code: 3/);
    expect(result.logTail).toContain('Step 4/6 : RUN echo first');
    // forcerm: the failed step's container is gone
    const left = await docker.listContainers({ all: true });
    expect(left.filter((c) => c.Command.includes('about to fail'))).toEqual([]);
  });

  it('reports a Dockerfile the daemon cannot parse as a build failure', async () => {
    const { result } = await build('hello', { dockerfile: 'Broken' }, { extra: { Broken: 'FROM scratch\nNOT_AN_INSTRUCTION x\n' } });
    expect(result).toMatchObject({ ok: false, stage: 'build' });
    expect(!result.ok && result.message).toMatch(/Broken: .*unknown instruction: NOT_AN_INSTRUCTION/i);
  });

  it('fails at the context stage for a missing Dockerfile and an invalid tag', async () => {
    const missing = (await build('hello', { dockerfile: 'nope/Dockerfile' })).result;
    expect(missing).toMatchObject({ ok: false, stage: 'context', message: 'Dockerfile nope/Dockerfile not found in the source' });
    const badTag = (await build('hello', { tags: ['v1.2+build'] })).result;
    expect(badTag).toMatchObject({ ok: false, stage: 'context' });
    expect(!badTag.ok && badTag.message).toMatch(/invalid image tag "v1.2\+build"/);
  });
});

describe('the smoke-test container is sandboxed', () => {
  let image: string;
  beforeAll(async () => {
    image = ok((await build('hello')).result).ref;
  }, 120_000);
  const sh = (script: string) => run(image, '/bin/sh', '-c', script);

  it('is created with no network, no capabilities, no-new-privileges, a read-only root and CPU, memory and pid limits', async () => {
    const ac = new AbortController();
    const running = runSmokeTest(docker, { image, command: ['sleep', '30'], timeoutMs: 30_000 }, ac.signal);
    const found = async () => (await docker.listContainers({ filters: { label: ['dev.gantry.role=smoke-test'], ancestor: [image] } }))[0];
    let c = await found();
    for (let i = 0; !c && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      c = await found();
    }
    expect(c).toBeDefined();
    const info = await docker.getContainer(c!.Id).inspect();
    ac.abort();
    expect(await running).toMatchObject({ cancelled: true });
    expect(info.HostConfig).toMatchObject({
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 1_000_000_000,
      PidsLimit: 128,
      Tmpfs: { '/tmp': expect.stringContaining('noexec') },
    });
    // removed once it ended
    expect(await docker.getContainer(c!.Id).inspect().then(() => 'present', () => 'gone')).toBe('gone');
  });

  it('cannot write outside /tmp, sees only the loopback interface, holds no capability and gains none', async () => {
    // touch's complaint goes to stdout too: the engine does not keep the order of two streams
    const root = await sh('touch /pwned 2>&1; echo "exit $?"; echo hi > /tmp/ok && cat /tmp/ok');
    expect(root.outputTail).toMatch(/^touch: \/pwned: Read-only file system\nexit 1\nhi$/);

    const net = await sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
    expect(net).toMatchObject({ exitCode: 0, outputTail: 'lo' });

    const status = await sh("grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status");
    expect(status.outputTail.split('\n').sort()).toEqual(['CapBnd:\t0000000000000000', 'CapEff:\t0000000000000000', 'CapPrm:\t0000000000000000', 'NoNewPrivs:\t1']);
  });

  it('hits its pid limit: a fork bomb gets no more than 128 processes and the test still ends', async () => {
    // cgroup v1 or v2, whichever the engine runs
    const max = await sh('cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max');
    expect(max.outputTail).toBe('128');
    // the bomb runs in a subshell, which gives up at its first failed fork; counting is a shell builtin (no fork left)
    const bomb = await sh('(i=0; while [ $i -lt 300 ]; do sleep 20 & i=$((i+1)); done); set -- /proc/[0-9]*; echo "processes $#"');
    expect(bomb.outputTail).toMatch(/can't fork: Resource temporarily unavailable/);
    const count = Number(/processes (\d+)/.exec(bomb.outputTail)?.[1]);
    expect(count).toBeGreaterThan(100);
    expect(count).toBeLessThanOrEqual(128);
  }, 60_000);
});

describe('release tags never move in the real registry', () => {
  const tagsOf = async (repository: string) => {
    const res = await fetch(`http://${svc.registry}/v2/${repository.slice(svc.registry.length + 1)}/tags/list`);
    return ((await res.json()) as { tags: string[] }).tags.sort();
  };
  const digestOf = async (repository: string, tag: string) => (await fetchManifest(svc.registry, repository.slice(svc.registry.length + 1), tag)).digestHeader;

  it('refuses to push a release tag that names another image, pushing nothing at all; the registry keeps the old digest', async () => {
    const repository = repo('immutable');
    const first = ok((await build('hello', { repository, tags: ['v1.2.3', 'sha-1a2b3c4'], immutableTags: ['v1.2.3', 'sha-1a2b3c4'], buildArgs: { GREETING: 'one' } })).result);
    const second = (await build('hello', { repository, tags: ['v1.2.3', 'sha-9f9f9f9', 'stable'], immutableTags: ['v1.2.3', 'sha-9f9f9f9'], buildArgs: { GREETING: 'two' } })).result;
    expect(second).toMatchObject({ ok: false, stage: 'refused' });
    if (second.ok) return;
    expect(second.message).toContain(`release tag ${repository}:v1.2.3 already exists with digest ${first.digest} (image ${first.imageId})`);
    expect(second.message).toMatch(/this build made image sha256:[0-9a-f]{64}\. Release tags never move, so nothing was pushed/);
    expect(second.message).not.toContain(`this build made image ${first.imageId}`);
    expect(await digestOf(repository, 'v1.2.3')).toBe(first.digest);
    // not even the tags that were free were pushed
    expect(await tagsOf(repository)).toEqual(['sha-1a2b3c4', 'v1.2.3']);
  });

  it('pushes the same image again under its release tag (a retry, a build taken over): same digest, success', async () => {
    const repository = repo('idempotent');
    const spec = { repository, tags: ['v2.0.0', 'sha-2b2b2b2'], immutableTags: ['v2.0.0', 'sha-2b2b2b2'], buildArgs: { GREETING: 'same' } };
    const first = ok((await build('hello', spec)).result);
    const again = ok((await build('hello', spec)).result);
    expect(again.digest).toBe(first.digest);
    expect(again.tags).toEqual(['v2.0.0', 'sha-2b2b2b2']);
    expect(await digestOf(repository, 'v2.0.0')).toBe(first.digest);
  });

  it('keeps a commit tag another build of the commit pushed (no failure), and moves a moving tag', async () => {
    const repository = repo('commit-tag');
    const branch = ok((await build('hello', { repository, tags: ['main-3c3c3c3', 'sha-3c3c3c3', 'latest'], immutableTags: ['main-3c3c3c3', 'sha-3c3c3c3'], buildArgs: { GREETING: 'branch' } })).result);
    const tag = ok((await build('hello', { repository, tags: ['v3.0.0', 'sha-3c3c3c3', 'latest'], immutableTags: ['v3.0.0', 'sha-3c3c3c3'], buildArgs: { GREETING: 'tag' } })).result);
    expect(tag.digest).not.toBe(branch.digest);
    expect(tag.tags).toEqual(['v3.0.0', 'latest']);
    expect(tag.logTail).toContain(`${repository}:sha-3c3c3c3 already names another build of this commit, ${branch.digest}`);
    expect(await digestOf(repository, 'sha-3c3c3c3')).toBe(branch.digest);
    expect(await digestOf(repository, 'latest')).toBe(tag.digest);
    expect(await digestOf(repository, 'v3.0.0')).toBe(tag.digest);
  });
});
