import { renameSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { healthRoutes, Readiness } from '../../src/http/health.js';
import { silentLogger } from '../../src/util/logger.js';
import { dockerClient, dockerServices } from '../support/docker.js';
import { startHarness, type Harness } from '../support/harness.js';
import { serve } from './serve.js';

describe('/healthz and /readyz', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close();
  });

  async function start(o: { broken?: boolean; docker?: { ping(): Promise<unknown> }; cacheMs?: number } = {}): Promise<{ h: Harness; url: string }> {
    const h = await startHarness({ name: 'readyz', workers: false, ...(o.broken ? { edit: (d) => (d.deployRepo.url = '/nonexistent/deploy.git') } : {}) });
    open.push(h);
    const readiness = new Readiness({ redis: h.gantry.redis, repo: h.gantry.core.repo.opts, log: silentLogger, ...(o.docker ? { docker: o.docker } : {}), cacheMs: o.cacheMs ?? 5000 });
    const s = await serve(healthRoutes(readiness));
    open.push(s);
    return { h, url: s.url };
  }

  it('is ready when Redis, the deploy repo and Docker answer', async () => {
    const docker = dockerClient((await dockerServices()).dockerHost);
    const { url } = await start({ docker });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as { ok: boolean; checks: Record<string, { ok: boolean }> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.ok).toBe(true);
    expect(Object.keys(body.checks).sort()).toEqual(['deployRepo', 'docker', 'redis']);
    expect(Object.values(body.checks).every((c) => c.ok)).toBe(true);
  });

  it('is not ready, and says why, when the deploy repo URL is broken; /healthz stays 200', async () => {
    const { url } = await start({ broken: true });
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as { ok: boolean; down: string[]; checks: Record<string, { ok: boolean; error?: string }> };
    expect(res.status).toBe(503);
    expect(body.down).toEqual(['deployRepo']);
    expect(body.checks.redis!.ok).toBe(true);
    expect(body.checks.deployRepo!.error).toMatch(/^git ls-remote \/nonexistent\/deploy\.git: /);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('is not ready when the deploy branch does not exist', async () => {
    const h = await startHarness({ name: 'readyz-branch', workers: false });
    open.push(h);
    const readiness = new Readiness({ redis: h.gantry.redis, repo: { ...h.gantry.core.repo.opts, branch: 'gone' }, log: silentLogger });
    const report = await readiness.check();
    expect(report).toMatchObject({ ready: false, down: ['deployRepo'] });
    expect(report.checks.deployRepo!.error).toBe(`branch gone not found in ${h.bare}`);
  });

  it('names Docker when the build engine does not answer', async () => {
    const { url } = await start({ docker: dockerClient('unix:///nonexistent/docker.sock') });
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as { down: string[] };
    expect(res.status).toBe(503);
    expect(body.down).toEqual(['docker']);
  });

  it('caches the deploy-repo probe for a moment, then sees the repo go away', async () => {
    const { h, url } = await start({ cacheMs: 400 });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    renameSync(h.bare, `${h.bare}.gone`);
    try {
      // within the cache period the probe is not repeated: still ready, and marked as cached
      const cached = await fetch(`${url}/readyz`);
      const body = (await cached.json()) as { checks: { deployRepo: { checkedAt?: string } } };
      expect(cached.status).toBe(200);
      expect(body.checks.deployRepo.checkedAt).toBeDefined();
      await new Promise((r) => setTimeout(r, 450));
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
    } finally {
      renameSync(`${h.bare}.gone`, h.bare);
    }
  });

  it('runs one git probe for many concurrent requests', async () => {
    const { url } = await start();
    const all = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as { checks: { deployRepo: { ms: number; checkedAt?: string } } } }))));
    expect(all.every((r) => r.status === 200)).toBe(true);
    // every answer carries the same measurement: one probe served them all
    expect(new Set(all.map((r) => r.body.checks.deployRepo.ms)).size).toBe(1);
  });
});
