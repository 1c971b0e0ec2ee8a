import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/server.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import type { WebDeps } from '../../src/web/deps.js';
import { webRoutes } from '../../src/web/routes.js';
import { blueGreenProd, blueGreenSeed } from '../support/bluegreen.js';
import { startHarness, type Harness } from '../support/harness.js';
import { signInAs, type SignedIn } from '../support/web.js';
import { serve } from '../http/serve.js';

/**
 * The dashboard's matrix for a blue-green prod: the cell shows the live colour's version and both
 * colours with their weights, as the deploy repo has them after each shell command.
 */
describe('web overview: blue-green colours', () => {
  let seed: { dir: string; remove(): void };
  let h: Harness;
  let server: Awaited<ReturnType<typeof serve>>;
  let alice: SignedIn;
  const routes: Route[] = [];

  beforeAll(async () => {
    seed = blueGreenSeed('web-bg');
    server = await serve(routes);
    h = await startHarness({ name: 'web-bg', seed: seed.dir, edit: (d) => blueGreenProd(d), gantry: { publicUrl: server.url } });
    const deps: WebDeps = { services: h.gantry.services, redis: h.gantry.redis, keys: new Keys(h.gantry.prefix), log: silentLogger, publicUrl: server.url, now: () => new Date() };
    routes.push(...webRoutes(deps, {}));
    await h.release('v1.3.0');
    alice = await signInAs(server.url, h.gantry.services.execute, 'shell:alice');
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
    seed?.remove();
  });

  const overview = async () => {
    const r = await fetch(`${server.url}/`, { headers: { cookie: alice.cookie } });
    expect(r.status).toBe(200);
    return r.text();
  };
  const prodCell = (page: string) => {
    // the matrix has one row (web); prod is its last cell
    const cells = [...page.matchAll(/<td[^>]*data-label="([^"]+)"[^>]*>([\s\S]*?)<\/td>/g)];
    return cells.find((m) => m[1] === 'prod')?.[2] ?? '';
  };

  it('shows both colours and the weights, following promote, shift and switch', async () => {
    expect(prodCell(await overview())).toContain('colours: blue v1.0.0 100% (live) · green v1.0.0 0%');
    expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
    let cell = prodCell(await overview());
    expect(cell).toContain('href="/releases/web/v1.0.0"'); // what takes traffic is still blue's
    expect(cell).toContain('colours: blue v1.0.0 100% (live) · green v1.3.0 0% (new)');
    expect((await h.run('carol', '/shift prod 10%')).ok).toBe(true);
    expect(prodCell(await overview())).toContain('colours: blue v1.0.0 90% (live) · green v1.3.0 10% (new)');
    expect((await h.run('carol', '/switch prod')).ok).toBe(true);
    cell = prodCell(await overview());
    expect(cell).toContain('href="/releases/web/v1.3.0"');
    expect(cell).toContain('colours: blue v1.0.0 0% · green v1.3.0 100% (live)');
  });
});
