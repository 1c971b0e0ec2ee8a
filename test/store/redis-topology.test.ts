import { existsSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { said, type Said } from '../support/said.js';
import { shellActor } from '../../src/chat/shell/shell.js';
import { execute } from '../../src/commands/execute.js';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import type { RepoEvent } from '../../src/github/events.js';
import { startInboxPump } from '../../src/github/inbox.js';
import { EVENT_JOB_OPTIONS, EVENT_QUEUE, eventJobId, Ingest } from '../../src/github/ingest.js';
import { createGantry, type Gantry } from '../../src/runtime/gantry.js';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { bullConnection, connect, Keys } from '../../src/store/redis.js';
import { probeRedis } from '../../src/store/redis-probe.js';
import { run } from '../../src/util/exec.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import { MAIN, writeTestConfig } from '../support/cli.js';
import { tempDir } from '../support/env.js';
import { defaultConfigData, EXAMPLES } from '../support/harness.js';
import { startCluster, startSentinelSet, until, type ClusterSet, type SentinelSet } from '../support/redis-topology.js';

/**
 * gantry's real work (promotions through the BullMQ deploy queue, approvals, webhook inbox and
 * pump, `gantry doctor`) against a Sentinel set and a Cluster started here from redis-server.
 */
interface World {
  gantry: Gantry;
  config: Config;
  promote(as: string, line: string): Promise<Said>;
  release(version: string): Promise<void>;
  file(rel: string): Promise<string>;
  head(): Promise<string>;
  close(): Promise<void>;
}

async function startWorld(dir: string, redisUrl: string): Promise<World> {
  const data = defaultConfigData();
  data.deployRepo.url = path.join(dir, 'deploy.git');
  await ensureLocalDeployRepo(data.deployRepo.url, 'main', EXAMPLES);
  const config = ConfigSchema.parse(data);
  // GANTRY_TEST_LOG=debug shows gantry's logs while debugging
  const log = process.env.GANTRY_TEST_LOG ? createLogger({ level: process.env.GANTRY_TEST_LOG }) : silentLogger;
  const gantry = createGantry({ config, redisUrl, workdir: path.join(dir, 'work'), log });
  gantry.startWorkers();
  const git = async (...args: string[]) => (await run('git', ['--git-dir', data.deployRepo.url, ...args])).stdout;
  let built = Date.now();
  let closed = false;
  return {
    gantry,
    config,
    promote: async (as, line) => said(await execute(gantry.core, line, { actor: shellActor(gantry.core, as) })),
    release: (version) =>
      gantry.core.releases.add({
        app: 'web',
        version,
        builtAt: new Date(++built).toISOString(),
        images: { web: { repository: 'registry.example.com/acme/web', tag: version } },
      }),
    file: (rel) => git('show', `main:${rel}`),
    head: async () => (await git('rev-parse', 'main')).trim(),
    close: async () => {
      if (!closed) await gantry.close();
      closed = true;
    },
  };
}

/** A promotion through the queue: the reply names the commit and the commit is on the deploy branch. */
async function promoteAndSee(w: World, version: string, env = 'qa', file = 'apps/web/qa/deployment.yaml', line = `registry.example.com/acme/web:${version}`): Promise<void> {
  const reply = await w.promote('carol', `/promote ${version} ${env}`);
  expect(reply.ok, reply.text).toBe(true);
  expect(reply.result?.commit).toBe(await w.head());
  expect(await w.file(file)).toContain(line);
}

/** A webhook delivery into the inbox (one Lua script over two keys), and the pump moving it into BullMQ. */
async function inboxRoundTrip(w: World, redisUrl: string): Promise<void> {
  const ingest = new Ingest(redisUrl, w.gantry.prefix, w.config, silentLogger);
  const queue = new Queue(EVENT_QUEUE, { connection: bullConnection(redisUrl), prefix: w.gantry.prefix });
  const pump = startInboxPump({ redisUrl, keys: new Keys(w.gantry.prefix), queue, jobOptions: EVENT_JOB_OPTIONS, jobId: eventJobId, log: silentLogger });
  try {
    const event: RepoEvent = { type: 'push', kind: 'tag', name: 'v9.9.9', sha: 'a'.repeat(40), installationId: 1, owner: 'acme', repo: 'web', act: `1|push|refs/tags/v9.9.9|${'a'.repeat(40)}` };
    await ingest.waitUntilReady(10_000);
    expect(await ingest.accept('topology-1', event, 'push')).toBe('queued');
    expect(await ingest.accept('topology-1', event, 'push')).toBe('duplicate');
    const job = await until('the pump to move the event into the event queue', 10_000, () => queue.getJob(eventJobId('topology-1')));
    expect(job.data).toMatchObject({ type: 'push', name: 'v9.9.9', delivery: 'topology-1', app: 'web' });
  } finally {
    await pump.close();
    await queue.close();
    await ingest.close();
  }
}

async function doctor(dir: string, redisUrl: string): Promise<{ code: number; stdout: string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
  const conf = await writeTestConfig(dir, 'doctor');
  const env: NodeJS.ProcessEnv = { ...process.env, GANTRY_CONFIG: conf, REDIS_URL: redisUrl, GANTRY_STATE_DIR: path.join(dir, 'state'), LOG_LEVEL: 'silent', DOCKER_HOST: `unix://${dir}/no-docker.sock` };
  for (const k of ['GANTRY_REDIS_PREFIX', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'DINGTALK_APP_SECRET', 'DINGTALK_APP_KEY', 'GITHUB_APP_ID']) delete env[k];
  return run('node', [MAIN, 'doctor'], { cwd: dir, env, timeoutMs: 30_000 });
}

describe('Redis Sentinel: master, replica, one Sentinel', () => {
  let tmp: ReturnType<typeof tempDir>;
  const password = 'p@ss/w:rd';
  const sentinelPassword = 'sentinel-secret';
  let set: SentinelSet;
  let url: string;
  let w: World;

  beforeAll(async () => {
    tmp = tempDir('sentinel');
    set = await startSentinelSet(tmp.dir, { masterName: 'gantry-master', password, sentinelPassword });
    url = `redis+sentinel://:${encodeURIComponent(password)}@127.0.0.1:${set.sentinelPort}/gantry-master?sentinel_password=${sentinelPassword}`;
    w = await startWorld(tmp.dir, url);
  });
  afterAll(async () => {
    await w?.close();
    await set?.stop();
    tmp?.remove();
  });

  it('promotes through the queue, fails over, and promotes again on the new master', async () => {
    await w.release('v1.2.3');
    await w.release('v1.2.4');
    await promoteAndSee(w, 'v1.2.3');
    const { from, to } = await set.failover();
    expect(from).not.toBe(to);
    // at once, while the old master still runs as a master: the writes must go to the new one
    await promoteAndSee(w, 'v1.2.4');
    const head = await w.head();
    await set.following(from);
    // the old master resynced from the new one: a deploy written to it would have lost its head hint
    const hint = `${w.gantry.prefix}:branch-lock:${w.gantry.core.repo.opts.url}:main:head`;
    expect(await set.get(to, hint)).toBe(head);
    expect(await set.get(from, hint)).toBe(head);
    await w.release('v1.3.0');
    await promoteAndSee(w, 'v1.3.0');
    expect((await w.gantry.core.releases.list('web')).map((r) => r.version)).toEqual(['v1.3.0', 'v1.2.4', 'v1.2.3']);
  });

  it('takes a webhook delivery into the inbox and pumps it into the event queue', async () => {
    await inboxRoundTrip(w, url);
  });

  it('gantry doctor names the Sentinel master and warns about a lone Sentinel, without the passwords', async () => {
    const r = await doctor(tmp.dir, url);
    expect(r.stdout).toMatch(new RegExp(`^warn +redis: sentinel master "gantry-master" via 127\\.0\\.0\\.1:${set.sentinelPort} \\(db 0\\): master at 127\\.0\\.0\\.1:${await set.masterPort()}, 1 replica, 1 sentinel \\(quorum 1\\)$`, 'm'));
    expect(r.stdout).toContain('run at least three Sentinels');
    expect(r.stdout).not.toContain(password);
    expect(r.stdout).not.toContain(sentinelPassword);
    expect(r.code, r.stdout).toBe(0);
  });

  it('gantry doctor fails a redis:// URL that names a replica', async () => {
    const master = await set.masterPort();
    const replica = set.ports.find((p) => p !== master)!;
    const direct = `redis://:${encodeURIComponent(password)}@127.0.0.1:${replica}`;
    const r = connect(direct);
    try {
      expect(await probeRedis(r, direct, 'gantry')).toMatchObject({ ok: false, detail: `standalone 127.0.0.1:${replica} (db 0) is a replica: gantry writes, it needs the master` });
    } finally {
      r.disconnect();
    }
  });

  it('close() closes every connection gantry opened, Sentinel subscriptions included', async () => {
    expect((await set.clients()).length).toBeGreaterThan(5);
    await w.close();
    let left: string[] = [];
    await until('no connection left', 10_000, async () => (left = await set.clients()).length === 0).catch((e: Error) => {
      throw new Error(`${e.message}:\n${left.join('\n')}`);
    });
  });
});

describe('Redis Cluster: three masters', () => {
  let tmp: ReturnType<typeof tempDir>;
  let cluster: ClusterSet;
  let url: string;
  let w: World;

  beforeAll(async () => {
    tmp = tempDir('cluster');
    cluster = await startCluster(tmp.dir);
    // two seeds: ioredis finds the third node itself
    url = `redis+cluster://127.0.0.1:${cluster.ports[0]},127.0.0.1:${cluster.ports[1]}`;
    w = await startWorld(tmp.dir, url);
  });
  afterAll(async () => {
    await w?.close();
    await cluster?.stop();
    tmp?.remove();
  });

  it('puts every key under one hash tag, so BullMQ and gantry scripts run; promotions and approvals work', async () => {
    expect(w.gantry.prefix).toBe('{gantry}');
    await w.release('v1.2.3');
    await promoteAndSee(w, 'v1.2.3');
    await promoteAndSee(w, 'v1.2.3', 'staging', 'apps/web/staging/kustomization.yaml', 'newTag: v1.2.3');
    const asked = await w.promote('carol', '/promote v1.2.3 prod');
    expect(asked.ok, asked.text).toBe(true);
    const approved = await w.promote('alice', `/approve ${asked.approval!.id}`);
    expect(approved.ok, approved.text).toBe(true);
    expect(await w.file('apps/web/prod/values.yaml')).toContain('tag: "v1.2.3"');
    expect((await w.promote('carol', '/lock qa maintenance')).ok).toBe(true);
    expect(await w.promote('carol', '/promote v1.2.3 qa')).toMatchObject({ ok: false });
    expect((await w.promote('carol', '/unlock qa')).ok).toBe(true);

    // all of gantry's and BullMQ's keys sit on the one node that serves the tag's slot
    const home = await cluster.nodeOf('{gantry}');
    const byNode = await cluster.keysByNode('*');
    expect(byNode.get(home)!.length).toBeGreaterThan(5);
    for (const [port, keys] of byNode) {
      expect(keys.every((k) => k.startsWith('{gantry}:'))).toBe(true);
      if (port !== home) expect(keys).toEqual([]);
    }
  });

  it('takes a webhook delivery into the inbox and pumps it into the event queue', async () => {
    await inboxRoundTrip(w, url);
  });

  it('gantry doctor reports the Cluster state and the hash tag', async () => {
    const r = await doctor(tmp.dir, url);
    expect(r.stdout).toMatch(new RegExp(`^ok +redis: cluster via 127\\.0\\.0\\.1:${cluster.ports[0]}, 127\\.0\\.0\\.1:${cluster.ports[1]}: cluster_state ok, 3 masters serving slots, 3 nodes known; keys under the hash tag \\{gantry\\}$`, 'm'));
    expect(r.code, r.stdout).toBe(0);
  });

  it("close() closes every connection gantry opened, BullMQ's Cluster clients included", async () => {
    expect((await cluster.clients()).length).toBeGreaterThan(5);
    await w.close();
    await until('no connection left', 10_000, async () => (await cluster.clients()).length === 0);
  });
});
