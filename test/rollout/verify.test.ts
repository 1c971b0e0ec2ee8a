import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/images/builder.js';
import type { BuildSuccess } from '../../src/images/types.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { Verifier } from '../../src/rollout/verifier.js';
import { runChecks, VERIFY_CONTAINER_LABEL } from '../../src/rollout/verify.js';
import { VerifyListSchema, verifyVars, type VerifyConfig } from '../../src/rollout/verify-config.js';
import { verificationRoutes } from '../../src/rollout/verify-routes.js';
import { VerifyStore } from '../../src/rollout/verify-store.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { busyboxContext, dockerClient, dockerServices, type TestDockerServices } from '../support/docker.js';
import { redisUrl, uniquePrefix, wipePrefix } from '../support/env.js';

/** The checks against a real dockerd and registry, a local HTTP service, and a real redis-server. */
let svc: TestDockerServices;
let docker: Docker;
let image: BuildSuccess;
let service: http.Server;
let base: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  svc = await dockerServices();
  docker = dockerClient(svc.dockerHost);
  // an image of its own (the build arg makes its content unique), pushed, then removed here, so the check must pull it
  const nonce = randomBytes(6).toString('hex');
  const r = await buildImage(docker, {
    source: Readable.from([await busyboxContext('hello')]),
    repository: `${svc.registry}/gantry-test/verify-${nonce}`,
    tags: ['t1'],
    buildArgs: { GREETING: nonce },
  });
  if (!r.ok) throw new Error(`fixture build failed: ${r.message}\n${r.logTail}`);
  image = r;
  await docker.getImage(r.imageId).remove({ force: true });
  service = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith('/healthz')) return void res.writeHead(200).end('ok');
    if (path === '/down') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('database connection lost\u001b[31m');
    if (path === '/moved') return void res.writeHead(302, { location: '/login' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
}, 180_000);
afterAll(async () => {
  await new Promise((resolve) => service?.close(resolve));
  await svc?.stop();
});

const vars = (url = base) => verifyVars({ url, env: 'qa', app: 'web', version: 'v1.2.3', commit: 'c0ffee'.padEnd(40, '0') });
const checks = (list: unknown[]) => VerifyListSchema.parse(list);
const run = (list: unknown[], url?: string) => runChecks(checks(list), { vars: vars(url), docker: () => docker });
const ours = async () => docker.listContainers({ all: true, filters: { label: [VERIFY_CONTAINER_LABEL], ancestor: [image.ref] } });

describe('container checks', () => {
  it('pulls the image, passes on exit 0 and gives the container the five variables', async () => {
    const r = await run([{ name: 'smoke', container: { image: image.ref, command: ['sh', '-c', 'env | sort; cat /greeting'], env: { TARGET: '${GANTRY_URL}/api/${GANTRY_VERSION}' } } }]);
    expect(r.ok).toBe(true);
    expect(r.steps).toEqual([{ name: 'smoke', ok: true, ms: expect.any(Number), message: 'exit code 0' }]);
    expect(r.message).toBe('1 check passed');
    expect(r.log).toContain(`image ${image.ref} pulled`);
    for (const line of [`GANTRY_URL=${base}`, 'GANTRY_ENV=qa', 'GANTRY_APP=web', 'GANTRY_VERSION=v1.2.3', `GANTRY_COMMIT=c0ffee${'0'.repeat(34)}`, `TARGET=${base}/api/v1.2.3`]) {
      expect(r.log.split('\n')).toContain(line);
    }
    expect(r.log).toMatch(/── \[1\/1\] smoke: container .* ──\nstarted /);
    expect(r.log).toMatch(/✓ passed in \d+(?: ms|\.\d s): exit code 0\n\nresult: passed, 1 check passed\n$/);
    expect(await ours()).toEqual([]);
  });

  it('fails on exit 1 with its output in the log, and stops there', async () => {
    const r = await run([
      { name: 'migrations', container: { image: image.ref, command: ['sh', '-c', 'echo checking schema; echo "table users is missing" >&2; exit 1'] } },
      { name: 'never', http: { url: `${base}/healthz` } },
    ]);
    expect(r).toMatchObject({ ok: false, message: 'check "migrations" failed: exit code 1' });
    expect(r.steps.map((s) => s.name)).toEqual(['migrations']);
    expect(r.log).toMatch(/\nimage \S+ (present|pulled)\n/); // present when the test before pulled it
    expect(r.log).toMatch(/--- output \(stdout and stderr, last 64 KiB at most\) ---\n[\s\S]*table users is missing[\s\S]*--- end of output ---\n✗ FAILED in .*: exit code 1/);
    expect(r.log).toContain('checking schema');
    expect(r.log).toContain('not run (an earlier check failed): never');
    expect(hits.get('/healthz')).toBeUndefined();
    expect(await ours()).toEqual([]);
  });

  it('kills a container past its timeout and removes it', async () => {
    const pending = run([{ name: 'slow', container: { image: image.ref, command: ['sh', '-c', 'echo waiting for the queue; sleep 60'], timeout: '1500ms' } }]);
    // while it runs, the container is there, with gantry's label
    await expect.poll(async () => (await ours()).length, { timeout: 10_000 }).toBe(1);
    const r = await pending;
    expect(r).toMatchObject({ ok: false, message: 'check "slow" failed: timed out after 1500ms: the container was killed' });
    expect(r.steps[0]!.ms).toBeLessThan(10_000);
    expect(r.log).toContain('waiting for the queue');
    expect(await ours()).toEqual([]);
  });

  it('reaches the environment over the network it names, and says when the image cannot be pulled', async () => {
    const r = await run([{ name: 'api', container: { image: image.ref, network: 'host', command: ['sh', '-c', 'wget -q -O - "$GANTRY_URL/healthz?from=container"'] } }]);
    expect(r.ok).toBe(true);
    expect(r.log).toContain('network: host');
    expect(hits.get('/healthz?from=container')).toBe(1);
    const missing = await run([{ name: 'gone', container: { image: `${svc.registry}/gantry-test/does-not-exist:1` } }]);
    expect(missing.ok).toBe(false);
    expect(missing.message).toMatch(/^check "gone" failed: could not pull .*does-not-exist:1: /);
  });
});

describe('http checks', () => {
  it('passes on the expected status', async () => {
    const r = await run([{ name: 'health', http: { url: '${GANTRY_URL}/healthz?v=${GANTRY_VERSION}' } }]);
    expect(r.ok).toBe(true);
    expect(r.log).toContain(`── [1/1] health: GET ${base}/healthz?v=v1.2.3, expecting 200 ──`);
    expect(r.log).toMatch(/attempt 1\/4: 200 as expected \(\d+ ms\)/);
  });

  it('retries a wrong status with its interval, then fails with what it got', async () => {
    hits.delete('/down');
    const r = await run([{ name: 'health', http: { url: '${GANTRY_URL}/down', retries: 2, interval: '200ms' } }]);
    expect(r).toMatchObject({ ok: false, message: 'check "health" failed: got 503 Service Unavailable, expected 200 after 3 attempts' });
    expect(hits.get('/down')).toBe(3);
    expect(r.log).toMatch(/attempt 1\/3: got 503 Service Unavailable, expected 200 \(\d+ ms\)\n  \| database connection lost\?\[31m\nwaiting 200ms before the next attempt\nattempt 2\/3/);
    expect(r.log).toMatch(/attempt 3\/3: got 503/);
    expect(r.steps[0]!.ms).toBeGreaterThanOrEqual(400);
  });

  it('does not follow a redirect, and says a refused connection and a silent server', async () => {
    const moved = await run([{ name: 'moved', http: { url: `${base}/moved`, retries: 0 } }]);
    expect(moved.message).toBe('check "moved" failed: got 302 Found, expected 200 (redirect to /login, not followed) after 1 attempt');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const refused = await run([{ name: 'health', http: { url: '${GANTRY_URL}/healthz', retries: 1, interval: '10ms' } }], closed);
    expect(refused.message).toBe('check "health" failed: connection refused (ECONNREFUSED) after 2 attempts');
    expect(refused.log).toMatch(/attempt 1\/2: connection refused \(ECONNREFUSED\)/);
    const silent = http.createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const r = await run([{ name: 'health', http: { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, retries: 0, timeout: '300ms' } }]);
      expect(r.message).toBe('check "health" failed: no answer within 300ms after 1 attempt');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('verifier and its store (real redis-server)', () => {
  let redis: Redis;
  let prefix: string;
  let clock = new Date('2026-12-01T13:00:00Z');
  const config = (): VerifyConfig => ({
    environments: {
      qa: { url: base, verify: checks([{ name: 'health', http: { url: '${GANTRY_URL}/healthz' } }]) },
      staging: { url: base, verify: checks([{ name: 'health', http: { url: '${GANTRY_URL}/down', retries: 0 } }]) },
      prod: { verify: [] },
      perf: { url: `${base}/`, verify: checks([{ name: 'env', container: { image: image.ref, command: ['env'], env: { SELF: '${GANTRY_APP}@${GANTRY_ENV}' } } }]) },
    },
  });
  const store = (conn = redis) => new VerifyStore(conn, new Keys(prefix), { now: () => clock });
  const verifier = (s = store(), client = () => docker) =>
    new Verifier({ config: config(), store: s, docker: client, publicUrl: 'https://gantry.acme.example/', log: silentLogger, now: () => clock });

  beforeAll(() => {
    redis = new Redis(redisUrl());
    prefix = uniquePrefix('verify');
  });
  afterAll(async () => {
    await wipePrefix(prefix);
    redis.disconnect();
  });

  it('reports a passing run, keeps it across a new store, and the gate says verified', async () => {
    const report = await verifier().verify({ app: 'web', env: 'qa', version: 'v1.2.3', commit: 'c0ffee'.padEnd(40, '0'), requestId: 'r-1' });
    expect(report).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      app: 'web',
      env: 'qa',
      version: 'v1.2.3',
      commit: 'c0ffee'.padEnd(40, '0'),
      ok: true,
      message: '',
      at: clock.toISOString(),
      logUrl: `https://gantry.acme.example/verifications/${report!.id}/log`,
      requestId: 'r-1',
    });
    // a new connection and store: what a restarted gantry sees
    const other = new Redis(redisUrl());
    try {
      const again = store(other);
      expect(await again.get(report!.id)).toMatchObject({ state: 'verified', message: '1 check passed', requestId: 'r-1' });
      expect(await again.log(report!.id)).toMatch(/^gantry verification of web v1\.2\.3 in qa/);
      expect(await again.latest('web', 'qa', 'v1.2.3')).toMatchObject({ id: report!.id });
      expect(await verifier(again).gate('web', 'qa', 'v1.2.3')).toEqual({ state: 'verified' });
      expect(await redis.pttl(`${prefix}:verify:log:${report!.id}`)).toBeGreaterThan(29 * 86_400_000);
    } finally {
      other.disconnect();
    }
    expect(await verifier().gate('web', 'qa', 'v1.2.4')).toEqual({ state: 'none' });
    expect(await verifier().verify({ app: 'web', env: 'prod', version: 'v1.2.3' })).toBeUndefined();
    expect(await verifier().verify({ app: 'web', env: 'constructor', version: 'v1.2.3' })).toBeUndefined();
  });

  it('makes the Docker client only for a container check, which gets the run\'s variables', async () => {
    const noDocker = () => {
      throw new Error('no Docker Engine here');
    };
    expect(await verifier(store(), noDocker).verify({ app: 'web', env: 'qa', version: 'v1.2.5' })).toMatchObject({ ok: true });
    const broken = await verifier(store(), noDocker).verify({ app: 'web', env: 'perf', version: 'v1.2.5' });
    expect(broken).toMatchObject({ ok: false, message: 'check "env" failed: could not run: no Docker Engine here' });
    const commit = 'ab'.repeat(20);
    const report = await verifier().verify({ app: 'web', env: 'perf', version: 'v1.2.5', commit });
    expect(report).toMatchObject({ ok: true, commit });
    const lines = (await store().log(report!.id))!.split('\n');
    for (const l of [`GANTRY_URL=${base}`, 'GANTRY_ENV=perf', `GANTRY_COMMIT=${commit}`, 'SELF=web@perf']) expect(lines).toContain(l);
  });

  it('a failed run fails the gate with its log link; a newer run supersedes it', async () => {
    const v = verifier();
    const failed = await v.verify({ app: 'web', env: 'staging', version: 'v2.0.0' });
    expect(failed).toMatchObject({ ok: false, message: 'check "health" failed: got 503 Service Unavailable, expected 200 after 1 attempt' });
    expect(await v.gate('web', 'staging', 'v2.0.0')).toEqual({ state: 'failed', message: failed!.message, logUrl: failed!.logUrl });
    const running = await store().start({ app: 'web', env: 'staging', version: 'v2.0.0' });
    expect(await v.gate('web', 'staging', 'v2.0.0')).toEqual({ state: 'verifying' });
    // the failed run's log stays readable by its own id
    expect(await store().log(failed!.id)).toContain('database connection lost');
    // a run still verifying long after it could have ended was cut short by a restart
    clock = new Date(clock.getTime() + 60 * 60_000);
    expect(await v.gate('web', 'staging', 'v2.0.0')).toEqual({
      state: 'failed',
      message: `the verification started at ${running.startedAt} never finished (gantry stopped while it ran?); run /verify again`,
    });
  });

  it('refuses malformed ids and names before they reach a key', async () => {
    const s = store();
    for (const id of ['', 'x', '../log', 'A'.repeat(32), `${'a'.repeat(32)}:x`]) {
      expect(await s.get(id)).toBeUndefined();
      expect(await s.log(id)).toBeUndefined();
    }
    expect(await s.finish('0'.repeat(32), { ok: true, message: '', log: '' })).toBeUndefined();
    await expect(s.start({ app: 'web', env: 'qa', version: 'v1 2' })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(await s.latest('web', 'qa', 'v1:2')).toBeUndefined();
  });

  it('serves a kept log as plain text at its unguessable URL, and 404 for anything else', async () => {
    const report = await verifier().verify({ app: 'web', env: 'staging', version: 'v3.0.0' });
    const server = createHttpServer(verificationRoutes(store()), silentLogger);
    const port = await listen(server, 0, '127.0.0.1');
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    try {
      const ok = await get(`/verifications/${report!.id}/log`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
      const text = await ok.text();
      expect(text).toBe(await store().log(report!.id));
      expect(text).toMatch(/result: FAILED, check "health" failed: got 503/);
      for (const path of [`/verifications/${'0'.repeat(32)}/log`, '/verifications/nope/log', `/verifications/${report!.id}`, `/verifications/${report!.id}/log/x`]) {
        const r = await get(path);
        expect(r.status, path).toBe(404);
        expect(((await r.json()) as { error: string }).error, path).toMatch(/^no verification log ".*": the link is wrong, or the log has expired \(logs are kept 30 days\)$/);
      }
      expect((await fetch(`http://127.0.0.1:${port}/verifications/${report!.id}/log`, { method: 'POST' })).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
