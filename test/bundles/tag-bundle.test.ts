import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordRelease } from '../../src/github/release.js';
import type { BuildJobData } from '../../src/images/build-queue.js';
import type { BuildSuccess } from '../../src/images/types.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { addApiApp, seedWithApi } from './seed.js';

const SHA = '7'.repeat(40);
const DIGEST = `sha256:${'e'.repeat(64)}`;

/** One image's build job of the monorepo acme/mono, as the build worker hands it to recordRelease. */
function job(app: 'web' | 'api' | 'docs', version: string, kind: 'tag' | 'branch' = 'tag'): BuildJobData {
  return {
    app,
    image: app,
    images: [app],
    source: { owner: 'acme', repo: 'mono', installationId: 42, sha: SHA },
    trigger: { kind, name: kind === 'tag' ? version : 'main' },
    version,
    checkRunId: 1,
    repository: `registry.example.com/acme/${app}`,
    tags: [version],
    dockerfile: 'Dockerfile',
    context: app,
    args: {},
    labels: {},
    cacheFrom: [],
    autoDeploy: {},
    delivery: 'd',
  };
}

function built(app: string, version: string): BuildSuccess {
  const repository = `registry.example.com/acme/${app}`;
  return { ok: true, ref: `${repository}:${version}@${DIGEST}`, repository, tags: [version], digest: DIGEST, sizeBytes: 1, imageId: 'x', durationMs: 1, logTail: '' };
}

describe('a monorepo tag makes a bundle', () => {
  let h: Harness;
  let seed: { dir: string; remove(): void };
  let record: (j: BuildJobData) => Promise<unknown>;
  beforeEach(async () => {
    seed = seedWithApi();
    h = await startHarness({
      name: 'tag-bundle',
      seed: seed.dir,
      edit: (d) => {
        // web and api are built from one repository; docs from another; no auto-deploys in the way
        d.apps.web.source = 'acme/mono';
        addApiApp(d, 'acme/mono');
        d.apps.docs = { source: 'acme/docs', images: { docs: { repository: 'registry.example.com/acme/docs' } }, deploy: {} };
        for (const env of Object.values(d.environments) as Record<string, unknown>[]) delete env.autoDeploy;
      },
    });
    const d = { core: h.gantry.core, redis: h.gantry.redis, keys: new Keys(h.prefix) };
    record = (j) => recordRelease(d, j, built(j.app, j.version), silentLogger);
  });
  afterEach(async () => {
    await h.close();
    seed.remove();
  });

  it('registers bundle <tag> once every app of the repo has its release, once; /promote takes it in one commit', async () => {
    const store = h.gantry.core.bundles!.store;
    await record(job('web', 'v3.0.0'));
    expect(await h.gantry.core.releases.get('web', 'v3.0.0')).toBeDefined();
    // api is still building: no bundle yet
    expect(await store.get('v3.0.0')).toBeUndefined();
    await record(job('api', 'v3.0.0'));
    const bundle = await store.get('v3.0.0');
    expect(bundle).toMatchObject({ name: 'v3.0.0', createdBy: 'tag', apps: [{ app: 'api', version: 'v3.0.0' }, { app: 'web', version: 'v3.0.0' }] });
    // a retried job (or both finishing at once) registers the same bundle again: harmless
    await record(job('api', 'v3.0.0'));
    await record(job('web', 'v3.0.0'));
    expect((await store.list()).filter((b) => b.name === 'v3.0.0')).toEqual([bundle]);

    const head = await h.head();
    const reply = await h.run('carol', '/promote bundle v3.0.0 qa');
    expect(reply.ok, reply.text).toBe(true);
    expect(await h.git('rev-list', '--count', `${head}..main`)).toBe('1\n');
    expect((await h.git('show', '--name-only', '--format=', 'main')).trim().split('\n').sort()).toEqual(['apps/api/qa/deployment.yaml', 'apps/web/qa/deployment.yaml']);
  });

  it('no bundle for a branch build, a repo of one app, or a tag whose name holds other versions', async () => {
    const store = h.gantry.core.bundles!.store;
    await record(job('web', 'main-7777777', 'branch'));
    await record(job('api', 'main-7777777', 'branch'));
    expect(await h.gantry.core.releases.get('api', 'main-7777777')).toBeDefined();
    expect(await store.get('main-7777777')).toBeUndefined();

    await record(job('docs', 'v1.0.0'));
    expect(await h.gantry.core.releases.get('docs', 'v1.0.0')).toBeDefined();
    expect(await store.get('v1.0.0')).toBeUndefined();

    // someone registered v4.0.0 by hand with web alone: the tag's releases stand, the bundle stays as it was
    await record(job('web', 'v4.0.0'));
    const byHand = await h.gantry.services.bundles!.add('v4.0.0', [{ app: 'web', version: 'v4.0.0' }], 'cli');
    await record(job('api', 'v4.0.0'));
    expect(await h.gantry.core.releases.get('api', 'v4.0.0')).toBeDefined();
    expect(await store.get('v4.0.0')).toEqual(byHand.bundle);
  });
});
