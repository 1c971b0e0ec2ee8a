import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Release } from '../../src/domain/release.js';
import { tempDir } from '../support/env.js';
import { EXAMPLES, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';

export const ENVS = ['qa', 'staging', 'prod'] as const;

/** The example deploy repo plus an `api` app: one plain Deployment per environment. */
export function seedWithApi(): { dir: string; remove(): void } {
  const tmp = tempDir('bundle-seed');
  cpSync(EXAMPLES, tmp.dir, { recursive: true });
  for (const env of ENVS) {
    mkdirSync(path.join(tmp.dir, 'apps', 'api', env), { recursive: true });
    writeFileSync(
      path.join(tmp.dir, 'apps', 'api', env, 'deployment.yaml'),
      `# api in ${env}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/acme/api:v3.3.0  # keep\n`,
    );
  }
  return tmp;
}

/** Adds the `api` app (built from `source`, default acme/api) to a config's data. */
export function addApiApp(data: Record<string, any>, source = 'acme/api'): void {
  data.apps.api = {
    source,
    images: { api: { repository: 'registry.example.com/acme/api' } },
    deploy: Object.fromEntries(ENVS.map((e) => [e, [{ file: `apps/api/${e}/deployment.yaml`, format: 'kubernetes' }]])),
  };
}

/** A built release of `api`. */
export async function releaseApi(h: Harness, version: string): Promise<Release> {
  const r: Release = { app: 'api', version, builtAt: new Date().toISOString(), images: { api: { repository: 'registry.example.com/acme/api', tag: version } } };
  await h.gantry.core.releases.add(r);
  return r;
}

/**
 * A gantry whose deploy repo has web and api in qa, staging and prod; releases web v1.2.3, v1.2.4,
 * api v3.4.0, v3.4.1; and bundle 2026.12 = api v3.4.0 + web v1.2.3. `close` removes it all.
 */
export async function startBundleHarness(name: string, o: Omit<HarnessOptions, 'name' | 'seed'> = {}): Promise<Harness> {
  const seed = seedWithApi();
  const h = await startHarness({
    ...o,
    name,
    seed: seed.dir,
    edit: (d) => {
      addApiApp(d);
      o.edit?.(d);
    },
  });
  for (const v of ['v1.2.3', 'v1.2.4']) await h.release(v);
  for (const v of ['v3.4.0', 'v3.4.1']) await releaseApi(h, v);
  await h.gantry.core.bundles!.store.add({ name: '2026.12', apps: [{ app: 'api', version: 'v3.4.0' }, { app: 'web', version: 'v1.2.3' }], createdAt: new Date().toISOString(), createdBy: 'test' });
  const close = h.close;
  h.close = async () => {
    await close();
    seed.remove();
  };
  return h;
}
