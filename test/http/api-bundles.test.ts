import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/http/api.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { addApiApp, releaseApi, seedWithApi } from '../bundles/seed.js';
import { serve } from './serve.js';

const TOKEN = 'api-token-0123456789abcdefghijkl';

describe('POST /api/bundles and GET /api/bundles', () => {
  let h: Harness;
  let seed: { dir: string; remove(): void };
  let srv: Awaited<ReturnType<typeof serve>>;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${srv.url}/api/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const list = async () => {
    const r = await fetch(`${srv.url}/api/bundles`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    return ((await r.json()) as { bundles: { name: string; apps: unknown }[] }).bundles;
  };
  const bundle = (name: string, apps: Record<string, string>) => ({ name, apps: Object.entries(apps).map(([app, version]) => ({ app, version })) });

  beforeAll(async () => {
    seed = seedWithApi();
    h = await startHarness({ name: 'api-bundles', seed: seed.dir, edit: (d) => addApiApp(d), workers: false });
    await h.release('v1.2.3');
    await releaseApi(h, 'v3.4.0');
    const s = h.gantry.services;
    srv = await serve(apiRoutes({ token: TOKEN, queries: s.queries, register: s.registerRelease, bundles: s.bundles!, log: silentLogger }));
  });
  afterAll(async () => {
    await srv?.close();
    await h?.close();
    seed.remove();
  });

  it('registers a bundle (201), takes the same again (200), refuses other versions under its name (409)', async () => {
    const created = await post(bundle('2026.12', { web: 'v1.2.3', api: 'v3.4.0' }));
    expect(created.status).toBe(201);
    // apps sorted, so one set of versions reads one way everywhere
    expect(await created.json()).toMatchObject({ name: '2026.12', createdBy: 'api', apps: [{ app: 'api', version: 'v3.4.0' }, { app: 'web', version: 'v1.2.3' }] });
    const again = await post(bundle('2026.12', { api: 'v3.4.0', web: 'v1.2.3' }));
    expect(again.status).toBe(200);
    await h.release('v1.2.4');
    const other = await post(bundle('2026.12', { web: 'v1.2.4', api: 'v3.4.0' }));
    expect(other.status).toBe(409);
    expect(await other.json()).toEqual({
      code: 'INPUT_INVALID',
      error: 'bundle 2026.12 is already registered with other versions (api=v3.4.0 web=v1.2.3); a bundle never changes',
    });
    expect((await list()).filter((b) => b.name === '2026.12')).toEqual([expect.objectContaining({ apps: [{ app: 'api', version: 'v3.4.0' }, { app: 'web', version: 'v1.2.3' }] })]);
    expect(await h.gantry.core.bundles!.store.get('2026.12')).toMatchObject({ createdBy: 'api' });
  });

  it('says what is wrong with a bad bundle (400) and registers nothing', async () => {
    const cases: [unknown, number, RegExp][] = [
      ['{"name":', 400, /^the body is not valid JSON$/],
      [{ name: 'b1' }, 400, /^apps: /],
      [{ name: 'b1', apps: [] }, 400, /^apps: needs at least one app$/],
      [{ ...bundle('b1', { web: 'v1.2.3' }), extra: 1 }, 400, /extra/],
      [{ name: 'b1', apps: [{ app: 'web', version: 'v1.2.3', image: 'x' }] }, 400, /^apps\.0: .*image/],
      [bundle('../b1', { web: 'v1.2.3' }), 400, /^bundle name "\.\.\/b1" is not valid/],
      [bundle('b1', { nope: 'v1' }), 400, /^unknown app "nope"/],
      [bundle('b1', { toString: 'v1' }), 400, /^unknown app "toString"/],
      [{ name: 'b1', apps: [{ app: 'web', version: 'v1.2.3' }, { app: 'web', version: 'v1.2.4' }] }, 400, /^web is named twice in bundle b1/],
      [bundle('b1', { web: 'v9.9.9', api: 'v8.0.0' }), 400, /^bundle b1: web v9\.9\.9, api v8\.0\.0 are not built releases/],
      ['{"name":"b1","apps":[{"app":"web","version":"v1.2.3","__proto__":{}}]}', 400, /__proto__/],
    ];
    for (const [body, status, error] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(((await r.json()) as { error: string }).error, JSON.stringify(body)).toMatch(error);
    }
    expect((await post(bundle('b1', { web: 'v1.2.3' }), { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await list()).map((b) => b.name)).not.toContain('b1');
  });

  it('refuses without the token, a body over 64 KiB, and a bad limit', async () => {
    const none = await fetch(`${srv.url}/api/bundles`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bundle('b2', { web: 'v1.2.3' })) });
    expect(none.status).toBe(401);
    expect((await fetch(`${srv.url}/api/bundles`)).status).toBe(401);
    const big = JSON.stringify({ name: 'b2', apps: [{ app: 'web', version: 'v1.2.3' }], pad: 'x'.repeat(70 * 1024) });
    expect((await post(big)).status).toBe(413);
    const bad = await fetch(`${srv.url}/api/bundles?limit=0`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bad.status).toBe(400);
    expect((await list()).map((b) => b.name)).not.toContain('b2');
  });

  it('lists newest first', async () => {
    expect((await post(bundle('b3', { web: 'v1.2.3' }))).status).toBe(201);
    expect((await post(bundle('b4', { api: 'v3.4.0' }))).status).toBe(201);
    expect((await list()).map((b) => b.name).slice(0, 2)).toEqual(['b4', 'b3']);
    const one = await fetch(`${srv.url}/api/bundles?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await one.json()) as { bundles: { name: string }[] }).bundles.map((b) => b.name)).toEqual(['b4']);
  });
});
