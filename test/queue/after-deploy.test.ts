import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRequest, DeployResult } from '../../src/domain/deploy.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * The after-deploy hook (GitHub Deployments) talks to a service that may be slow or away. A job
 * waits for it, so a worker dying after the job leaves it done, but only so long: the deploy is
 * already in git, and the person who asked hears of it without waiting for GitHub's DNS timeout.
 */
describe('the after-deploy hook is waited for only so long', () => {
  let h: Harness;
  const heard: Array<{ result: DeployResult; request: DeployRequest }> = [];
  let hold = false;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let finished = 0;

  beforeAll(async () => {
    h = await startHarness({ name: 'after-deploy', workers: false });
    h.gantry.startWorkers(undefined, {
      afterDeploy: async (result, request) => {
        heard.push({ result, request });
        // GitHub unreachable: this would hang until its DNS lookup times out
        if (hold) await held;
        finished++;
      },
      afterDeployWaitMs: 300,
    });
    for (const v of ['v1.2.3', 'v1.2.4', 'v1.2.5']) await h.release(v);
  });
  afterAll(async () => {
    release();
    await h?.close();
  });

  it('a hook that answers in time is done when the promotion is answered', async () => {
    const promoted = await h.run('alice', '/promote v1.2.3 qa');
    expect(promoted.ok, promoted.text).toBe(true);
    expect(finished).toBe(1);
    expect(heard[0]!.result).toMatchObject({ action: 'promote', version: 'v1.2.3', commit: await h.head() });
  });

  it('a hook that hangs holds neither a promotion nor a rollback, and still finishes afterwards', async () => {
    hold = true;
    const again = await h.run('alice', '/promote v1.2.4 qa');
    expect(again.ok, again.text).toBe(true);
    const newer = await h.run('alice', '/promote v1.2.5 qa');
    expect(newer.ok, newer.text).toBe(true);
    const back = await h.run('bob', '/rollback qa');
    expect(back.ok, back.text).toBe(true);
    expect(await h.file('apps/web/qa/deployment.yaml')).toContain('registry.example.com/acme/web:v1.2.4');
    // every reply came while its hook was still held
    expect(finished).toBe(1);
    expect(heard.slice(1).map((x) => [x.result.action, x.result.version])).toEqual([
      ['promote', 'v1.2.4'],
      ['promote', 'v1.2.5'],
      ['rollback', 'v1.2.4'],
    ]);
    release();
    await expect.poll(() => finished).toBe(4);
  });
});
