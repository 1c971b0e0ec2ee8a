import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRequest } from '../../src/domain/deploy.js';
import { isGantryError } from '../../src/domain/errors.js';
import { ROUTE, blueGreenProd, blueGreenSeed } from '../support/bluegreen.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * Shift jobs put straight on the deploy queue, as anyone with Redis could: the worker's guard and
 * the deployer's plan check each against the config and the deploy repo, and commit nothing a
 * chat command would not have.
 */
describe('the deploy worker refuses forged shift jobs', () => {
  let h: Harness;
  let seed: { dir: string; remove(): void };
  let seq = 0;
  const job = (extra: Partial<DeployRequest> & Record<string, unknown>): DeployRequest =>
    ({ id: `forged-shift-${++seq}`, action: 'shift', app: 'web', env: 'prod', weight: 10, requestedBy: { id: 'shell:alice' }, approvedBy: [], ...extra }) as DeployRequest;
  const outcome = async (req: DeployRequest) => {
    try {
      await h.gantry.core.queue.submit(req);
      return 'deployed';
    } catch (e) {
      if (isGantryError(e)) return `${e.code}: ${e.message}`;
      throw e;
    }
  };

  beforeAll(async () => {
    seed = blueGreenSeed('forged-shift');
    h = await startHarness({
      name: 'forged-shift',
      seed: seed.dir,
      edit: (d) => {
        blueGreenProd(d);
        d.environments.prod.shift = ['leads'];
        d.environments.prod.approvals = { required: 1, from: ['leads'], shift: 'complete' };
      },
    });
    await h.release('v1.3.0');
    const asked = await h.run('carol', '/promote v1.3.0 prod');
    expect((await h.run('alice', `/approve ${asked.approval!.id}`)).ok).toBe(true);
  });
  afterAll(async () => {
    await h?.close();
    seed.remove();
  });

  it('refuses shifts by someone without the right, without a weight, in a plain environment, or weights on other jobs', async () => {
    const head = await h.head();
    expect(await outcome(job({ requestedBy: { id: 'shell:carol', name: 'alice' } }))).toMatch(/^NOT_ALLOWED: shell:carol may not shift traffic in prod/);
    expect(await outcome(job({ weight: undefined }))).toMatch(/^DEPLOY_REFUSED: .*a shift job names no traffic weight/);
    expect(await outcome(job({ weight: 0 }))).toMatch(/^DEPLOY_REFUSED: .*weight/);
    expect(await outcome(job({ weight: 250 }))).toMatch(/^DEPLOY_REFUSED: .*weight/);
    expect(await outcome(job({ env: 'qa' }))).toMatch(/^DEPLOY_REFUSED: .*web is not deployed blue-green in qa/);
    expect(await outcome(job({ action: 'rollback' }))).toMatch(/^DEPLOY_REFUSED: .*a rollback job carries a traffic weight: only shifts do/);
    expect(await h.head()).toBe(head);
  });

  it('refuses approvers nobody recorded, and a shift to 100% that approvals.shift says needs approval', async () => {
    const head = await h.head();
    expect(await outcome(job({ approvedBy: [{ id: 'shell:dave' }] }))).toMatch(/^DEPLOY_REFUSED: .*approv/);
    expect(await outcome(job({ weight: 100 }))).toMatch(/^DEPLOY_REFUSED: this traffic shift of web in prod needs 1 approval \(approvals.shift\)/);
    expect(await h.head()).toBe(head);
    // a real one passes: 10% needs no approval under `complete`
    expect(await outcome(job({}))).toBe('deployed');
    expect(await h.file(ROUTE)).toMatch(/weight: 90[\s\S]*weight: 10/);
  });
});
