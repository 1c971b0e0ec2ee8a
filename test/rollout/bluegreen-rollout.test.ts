import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../src/rollout/events.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { ROUTE, blueGreenProd, blueGreenSeed } from '../support/bluegreen.js';
import { startHarness, type Harness } from '../support/harness.js';

const weightsOf = (route: string) => [...route.matchAll(/weight: (\d+)/g)].map((m) => Number(m[1]));

/**
 * Where gantry follows prod's rollout (Flux here), a forward shift waits for the new colour's
 * deploy to be live and healthy, and a failed one (onFailure: rollback) moves the traffic back
 * instead of redeploying.
 */
describe('blue-green with rollout status', () => {
  let h: Harness;
  let seed: { dir: string; remove(): void };
  const flux = async (phase: RolloutEvent['phase'], healthy: boolean) =>
    h.gantry.rollout.onEvent({
      source: 'flux',
      object: { kind: 'Kustomization', namespace: 'flux-system', name: 'web-prod' },
      revision: await h.head(),
      phase,
      healthy,
      message: phase === 'live' ? 'Applied revision' : 'Health check failed: web-green not ready',
      at: new Date().toISOString(),
    });

  beforeAll(async () => {
    seed = blueGreenSeed('bluegreen-rollout');
    h = await startHarness({
      name: 'bluegreen-rollout',
      seed: seed.dir,
      edit: (d) => {
        blueGreenProd(d);
        d.environments.prod.rollout = { flux: { kind: 'Kustomization', namespace: 'flux-system', name: 'web-prod' } };
        d.environments.prod.onFailure = 'rollback';
      },
    });
    await h.release('v1.3.0');
  });
  afterAll(async () => {
    await h?.close();
    seed.remove();
  });

  it('a shift waits until the new colour is live and healthy', async () => {
    expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
    const head = await h.head();
    const early = await h.run('carol', '/shift prod 10%');
    expect(early).toMatchObject({ ok: false, code: 'DEPLOY_REFUSED' });
    expect(early.text).toContain('web v1.3.0 is not live and healthy in prod yet (committed)');
    expect(await h.head()).toBe(head);
    await flux('live', true);
    const shifted = await h.run('carol', '/shift prod 10%');
    expect(shifted.ok, shifted.text).toBe(true);
    // the shift's own commit is followed too: the next step waits for it
    expect(await h.run('carol', '/shift prod 50%')).toMatchObject({ ok: false, code: 'DEPLOY_REFUSED' });
    await flux('live', true);
    expect((await h.run('carol', '/shift prod 50%')).ok).toBe(true);
    expect(weightsOf(await h.file(ROUTE))).toEqual([50, 50]);
  });

  it('a failed rollout of the shift moves the weight back (onFailure: rollback), images untouched', async () => {
    const green = await h.file('apps/web/prod-bg/web-green.yaml');
    await flux('failed', false);
    let message = '';
    for (let i = 0; i < 200 && !/Gantry-Action: rollback/.test(message); i++) {
      await new Promise((r) => setTimeout(r, 50));
      message = await h.git('log', '-1', '--format=%B', 'main');
    }
    const t = parseDeployTrailers(message)!;
    expect(t).toMatchObject({ action: 'rollback', version: 'v1.0.0', color: 'blue', weights: { blue: 100, green: 0 }, requestedBy: { id: 'github:gantry' } });
    expect(weightsOf(await h.file(ROUTE))).toEqual([100, 0]);
    expect(await h.file('apps/web/prod-bg/web-green.yaml')).toBe(green);
    expect((await h.git('show', '--name-only', '--format=', 'main')).trim()).toBe(ROUTE);
  });
});
