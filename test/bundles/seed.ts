import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Release } from '../../src/domain/release.js';
import { tempDir } from '../support/env.js';
import { EXAMPLES, type Harness } from '../support/harness.js';

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
