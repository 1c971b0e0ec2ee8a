import http from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/http/api.js';
import type { StoredEvent } from '../../src/notify/events.js';
import { silentLogger } from '../../src/util/logger.js';
import { redisUrl } from '../support/env.js';
import { startHarness, type Harness } from '../support/harness.js';
import { serve, until } from './serve.js';

const TOKEN = 'api-token-0123456789abcdefghijkl';
const DIGEST = `sha256:${'cd'.repeat(32)}`;

describe('POST /api/releases and GET /api/status', () => {
  let h: Harness;
  let srv: Awaited<ReturnType<typeof serve>>;
  const events: StoredEvent[] = [];
  let unsubscribe: () => Promise<void>;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${srv.url}/api/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const release = (version: string, extra: Record<string, unknown> = {}) => ({
    app: 'web',
    version,
    images: { web: `registry.example.com/acme/web:${version}@${DIGEST}` },
    ...extra,
  });

  beforeAll(async () => {
    h = await startHarness({ name: 'api' });
    srv = await serve(apiRoutes({ token: TOKEN, queries: h.gantry.services.queries, register: h.gantry.services.registerRelease, log: silentLogger }));
    unsubscribe = await h.gantry.core.bus.subscribe(new Redis(redisUrl()), (e) => events.push(e));
  });
  afterAll(async () => {
    await unsubscribe?.();
    await srv?.close();
    await h?.close();
  });

  it('is not mounted without a token', () => {
    expect(apiRoutes({ token: undefined, queries: h.gantry.services.queries, register: h.gantry.services.registerRelease, log: silentLogger })).toEqual([]);
  });

  it('refuses requests without the token or with a wrong one, and stores nothing', async () => {
    const none = await fetch(`${srv.url}/api/releases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(release('v3.0.0')) });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await post(release('v3.0.0'), { authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
    expect((await post(release('v3.0.0'), { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).status).toBe(401);
    expect((await fetch(`${srv.url}/api/status`)).status).toBe(401);
    expect(await h.gantry.core.releases.get('web', 'v3.0.0')).toBeUndefined();
  });

  it('refuses a body over 64 KiB (413) and one of undeclared size (411)', async () => {
    const big = JSON.stringify(release('v3.0.0', { url: `https://ci.example/${'x'.repeat(70 * 1024)}` }));
    expect((await post(big)).status).toBe(413);
    // a body of undeclared size (chunked) is not read at all
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${srv.url}/api/releases`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(JSON.stringify(release('v3.0.0')));
      req.end();
    });
    expect(chunked).toBe(411);
    expect(await h.gantry.core.releases.get('web', 'v3.0.0')).toBeUndefined();
  });

  it('says what is wrong with a bad release (400)', async () => {
    const cases: [unknown, RegExp][] = [
      ['{"app":', /not valid JSON/],
      [{ app: 'web', version: 'v3.0.0' }, /^images: /],
      [{ ...release('v3.0.0'), extra: 1 }, /extra/],
      [release('v3.0.0', { url: 'javascript:alert(1)' }), /^url: /],
      [release('v3.0.0', { commit: 'not-a-sha' }), /^commit: /],
      [{ ...release('v3.0.0'), app: 'nope' }, /unknown app "nope"/],
      [{ ...release('v3.0.0'), images: { web: 'evil.example.com/web:v3.0.0' } }, /images\.web: repository evil\.example\.com\/web is not registry\.example\.com\/acme\/web/],
      [{ ...release('v3.0.0'), images: { web: 'registry.example.com/acme/web:v3.0.0', db: 'registry.example.com/acme/db:v1' } }, /has no image "db"/],
      [{ ...release('v3.0.0'), images: { web: 'registry.example.com/acme/web@' + DIGEST } }, /needs a tag/],
      [{ ...release('../../etc'), images: { web: 'registry.example.com/acme/web:v3' } }, /version/i],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      const json = (await res.json()) as { error: string };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(json.error).toMatch(message);
    }
    expect((await post('{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(await h.gantry.core.releases.list('web')).toEqual([]);
  });

  it('an Object.prototype name as app or image is unknown (400), never a 500', async () => {
    for (const k of ['constructor', 'prototype', 'valueof', 'tostring']) {
      const asApp = await post({ ...release('v3.0.0'), app: k });
      expect(asApp.status, k).toBe(400);
      expect(((await asApp.json()) as { error: string }).error).toContain(`unknown app "${k}"`);
    }
    for (const k of ['constructor', 'prototype', '__proto__', 'hasOwnProperty']) {
      const asImage = await post(`{"app":"web","version":"v3.0.0","images":{"web":"registry.example.com/acme/web:v3.0.0","${k}":"registry.example.com/acme/web:v3.0.0"}}`);
      expect(asImage.status, k).toBe(400);
      expect(((await asImage.json()) as { error: string }).error).toContain(k);
    }
    expect(await h.gantry.core.releases.list('web')).toEqual([]);
  });

  it('registers a release (201), announces it, refuses to change it (409), and /promote resolves it', async () => {
    const res = await post(release('v3.0.0', { commit: 'abcdef1', url: 'https://ci.example/builds/7' }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      app: 'web',
      version: 'v3.0.0',
      commit: 'abcdef1',
      url: 'https://ci.example/builds/7',
      registeredBy: 'api',
      images: { web: { repository: 'registry.example.com/acme/web', tag: 'v3.0.0', digest: DIGEST } },
    });
    await until(async () => events, (e) => e.some((x) => x.type === 'release-added'));
    expect(events.filter((e) => e.type === 'release-added')).toMatchObject([{ type: 'release-added', app: 'web', version: 'v3.0.0', by: 'api' }]);

    const again = await post(release('v3.0.0', { images: { web: 'registry.example.com/acme/web:other' } }));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toContain('a release never changes');
    expect((await h.gantry.core.releases.get('web', 'v3.0.0'))!.images.web!.tag).toBe('v3.0.0');

    const promoted = await h.run('carol', '/promote v3 qa');
    expect(promoted.ok, promoted.text).toBe(true);
    expect(promoted.text).toContain('promoted web v3.0.0 to qa (v3 resolved to v3.0.0)');
    expect(await h.file('apps/web/qa/deployment.yaml')).toContain('registry.example.com/acme/web:v3.0.0');
  });

  it('lets exactly one of many concurrent registrations of a version win', async () => {
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => post(release('v3.1.0', { url: `https://ci.example/${i}` })).then((r) => r.status)));
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
  });

  it('tells what runs where', async () => {
    const res = await fetch(`${srv.url}/api/status?env=qa`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { environments: Record<string, any> };
    expect(Object.keys(body.environments)).toEqual(['qa']);
    const web = body.environments.qa.apps.web;
    expect(web.version).toBe('v3.0.0');
    expect(web.lastDeployment).toMatchObject({ action: 'promote', version: 'v3.0.0', requestedBy: { id: 'shell:carol' } });
    expect(web.lastDeployment.commit).toBe(await h.head());
    expect(body.environments.qa.lock).toBeNull();
    expect((await fetch(`${srv.url}/api/status?env=nope`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});
