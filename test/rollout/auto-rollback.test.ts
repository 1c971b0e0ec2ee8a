import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRequest } from '../../src/domain/deploy.js';
import { isGantryError } from '../../src/domain/errors.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * Jobs on the deploy queue are anyone's to write: an automatic rollback passes the guard only
 * where the config asks for it, for a followed deploy that really failed and is still the newest.
 */
describe('automatic rollback jobs are checked against the truth', () => {
  let h: Harness;
  const deployOf = async (env: string) => (await h.gantry.core.rollouts.latest('web', env))!;
  const rollbackJob = (env: string, deploy: string, version: string, extra: Partial<DeployRequest> = {}): DeployRequest => ({
    id: `auto-rollback-web-${env}-${deploy.split(':')[2]}-${Math.random().toString(36).slice(2, 8)}`,
    action: 'rollback',
    app: 'web',
    env,
    requestedBy: { id: 'github:gantry', name: 'gantry' },
    approvedBy: [],
    reason: `web ${version} degraded in ${env}: hand-written`,
    failure: { deploy, version },
    ...extra,
  });
  const refusal = async (req: DeployRequest) => {
    try {
      await h.gantry.core.queue.submit(req);
    } catch (e) {
      if (isGantryError(e)) return `${e.code}: ${e.message}`;
      throw e;
    }
    return 'deployed';
  };

  beforeAll(async () => {
    h = await startHarness({
      name: 'auto-rollback-guard',
      edit: (d) => {
        for (const env of ['qa', 'staging']) d.environments[env].rollout = { flux: { kind: 'Kustomization', namespace: 'flux-system', name: `web-${env}` } };
        d.environments.qa.onFailure = 'rollback';
      },
    });
    for (const v of ['v1.1.0', 'v1.1.1', 'v1.1.2']) await h.release(v);
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.1.0 ${env}`)).ok).toBe(true);
    expect((await h.run('carol', '/promote v1.1.1 qa')).ok).toBe(true);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a rollback of a deploy that did not fail, and changes nothing', async () => {
    const head = await h.head();
    const d = await deployOf('qa');
    expect(d.state).toBe('committed');
    expect(await refusal(rollbackJob('qa', d.id, 'v1.1.1'))).toMatch(/^DEPLOY_REFUSED: deploy job .* the deploy of web v1\.1\.1 to qa has not failed, or a newer deploy replaced it/);
    expect(await h.head()).toBe(head);
  });

  it('refuses one where the environment does not roll back by itself, or for another environment\'s deploy', async () => {
    const head = await h.head();
    const staging = await deployOf('staging');
    expect(await refusal(rollbackJob('staging', staging.id, 'v1.1.0'))).toMatch(/staging does not roll back by itself/);
    const qa = await deployOf('qa');
    expect(await refusal(rollbackJob('qa', staging.id, 'v1.1.0'))).toMatch(/the failed deploy web:staging:\w+ is of another app or environment/);
    // a person's rollback may not carry a failure: only gantry's own answer one
    expect(await refusal(rollbackJob('qa', qa.id, 'v1.1.1', { requestedBy: { id: 'shell:bob' } }))).toMatch(/only gantry's automatic rollbacks answer a failure/);
    expect(await h.head()).toBe(head);
  });

  it('rolls back a deploy that failed, once it timed out; not once a newer deploy replaced it', async () => {
    const failed = await deployOf('qa');
    // its deadline passes: the watch's expire() times it out (the clock is moved, not waited for)
    const moved = await h.gantry.core.rollouts.expire(new Date(Date.parse(failed.deadline) + 1));
    expect(moved.map((m) => m.moved?.to)).toContain('timedOut');
    // a newer deploy replaces it before the rollback job runs: nothing to roll back
    expect((await h.run('carol', '/promote v1.1.2 qa')).ok).toBe(true);
    const head = await h.head();
    expect(await refusal(rollbackJob('qa', failed.id, 'v1.1.1'))).toMatch(/has not failed, or a newer deploy replaced it/);
    expect(await h.head()).toBe(head);
    // the newest one fails: its rollback runs, as gantry, with the reason
    const newest = await deployOf('qa');
    await h.gantry.core.rollouts.expire(new Date(Date.parse(newest.deadline) + 1));
    expect(await refusal(rollbackJob('qa', newest.id, 'v1.1.2'))).toBe('deployed');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toMatch(/^Gantry-Requested-By: github:gantry \(gantry\)$/m);
    expect(message).toMatch(/^Gantry-Reason: web v1\.1\.2 degraded in qa: hand-written$/m);
    expect(await h.file('apps/web/qa/deployment.yaml')).toContain('registry.example.com/acme/web:v1.1.1');
  });
});
