import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../src/runtime/redis-server.js';
import { redisPersistence } from '../../src/store/redis-persistence.js';
import { run } from '../../src/util/exec.js';
import { MAIN, spawnServer, writeTestConfig } from '../support/cli.js';
import { tempDir } from '../support/env.js';
import { until } from '../support/processes.js';

/**
 * gantry acknowledges a webhook once it is in Redis, so what Redis keeps across a restart is what
 * gantry keeps: it says so at start and in `gantry doctor`, read from the server's own settings.
 */
describe('Redis persistence is reported', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: LocalRedis;
  let redis: Redis;
  beforeAll(async () => {
    tmp = tempDir('persistence');
    server = await startRedis({ dataDir: path.join(tmp.dir, 'redis') });
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    tmp?.remove();
  });

  it('from none to zero loss, as the settings change', async () => {
    await redis.config('SET', 'appendonly', 'no');
    await redis.config('SET', 'save', '');
    expect(await redisPersistence(redis)).toMatchObject({ ok: 'warn', level: 'none', detail: expect.stringContaining('a Redis restart loses every queued webhook') });
    await redis.config('SET', 'save', '3600 1');
    expect(await redisPersistence(redis)).toMatchObject({ ok: 'warn', level: 'snapshots', detail: expect.stringContaining('save 3600 1') });
    await redis.config('SET', 'appendonly', 'yes');
    await redis.config('SET', 'appendfsync', 'everysec');
    const everysec = await redisPersistence(redis);
    expect(everysec).toMatchObject({ ok: 'warn', level: 'crash-window', fix: expect.stringContaining('appendfsync always') });
    expect(everysec.detail).toContain('a crash of its machine (power, kernel) loses the last second or two');
    await redis.config('SET', 'appendfsync', 'always');
    expect(await redisPersistence(redis)).toMatchObject({ ok: true, level: 'zero-loss' });
  });

  it('a Redis that refuses CONFIG (managed services) is judged by INFO', async () => {
    const refusing = (aof: 0 | 1) => ({
      config: () => Promise.reject(new Error("ERR unknown command 'CONFIG'")),
      info: () => Promise.resolve(`# Persistence\r\nloading:0\r\naof_enabled:${aof}\r\n`),
    });
    expect(await redisPersistence(refusing(1) as never)).toMatchObject({ ok: 'warn', level: 'unknown', detail: expect.stringContaining('append-only file on') });
    expect(await redisPersistence(refusing(0) as never)).toMatchObject({ ok: 'warn', level: 'unknown', detail: expect.stringContaining('may lose queued work') });
  });

  it('gantry doctor and gantry web warn about a Redis without persistence', { timeout: 60_000 }, async () => {
    await redis.config('SET', 'appendonly', 'no');
    await redis.config('SET', 'save', '');
    const conf = await writeTestConfig(tmp.dir, 'doctor');
    const env = { ...process.env, GANTRY_CONFIG: conf, REDIS_URL: server.url, GANTRY_REDIS_PREFIX: 'persistence' };
    const doctor = await run('node', [MAIN, 'doctor'], { cwd: tmp.dir, env, timeoutMs: 60_000 });
    expect(doctor.stdout).toMatch(/^warn +redis persistence: no persistence \(appendonly no, no save rules\): a Redis restart loses every queued webhook/m);
    expect(doctor.stdout).toMatch(/^ +fix: set appendonly yes and appendfsync always/m);

    const web = await spawnServer(['web'], env, tmp.dir);
    try {
      const line = await until(() => web.stderr().split('\n').find((l) => l.includes('redis may lose queued work')), () => `the warning at start; stderr: ${web.stderr()}`, 15_000);
      expect(JSON.parse(line)).toMatchObject({ level: 40, redis: expect.stringContaining('no persistence'), fix: expect.stringContaining('appendfsync always') });
    } finally {
      await web.stop();
    }

    await redis.config('SET', 'appendonly', 'yes');
    await redis.config('SET', 'appendfsync', 'always');
    const good = await run('node', [MAIN, 'doctor'], { cwd: tmp.dir, env, timeoutMs: 60_000 });
    expect(good.stdout).toMatch(/^ok +redis persistence: append-only file, fsync always/m);
  });
});
