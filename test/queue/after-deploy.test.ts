import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRequest, DeployResult } from '../../src/domain/deploy.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * The after-deploy hook (GitHub Deployments) talks to a service that may be slow or away: the
 * deploy is already in git, so the person who asked hears of it without waiting for the hook.
 */
describe('the after-deploy hook holds no one', () => {
  let h: Harness;
  const heard: Array<{ result: DeployResult; request: DeployRequest }> = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let finished = 0;

  beforeAll(async () => {
    h = await startHarness({ name: 'after-deploy', workers: false });
    h.gantry.startWorkers(undefined, {
      // GitHub unreachable: this hook would hang until its DNS lookup times out
      afterDeploy: async (result, request) => {
        heard.push({ result, request });
        await held;
        finished++;
      },
    });
    await h.release('v1.2.3');
    await h.release('v1.2.4');
  });
  afterAll(async () => {
    release();
    await h?.close();
  });

  it('a promotion and a rollback are answered while the hook still waits, and the hook hears both', async () => {
    const promoted = await h.run('alice', '/promote v1.2.3 qa');
    expect(promoted.ok, promoted.text).toBe(true);
    const again = await h.run('alice', '/promote v1.2.4 qa');
    expect(again.ok, again.text).toBe(true);
    const back = await h.run('bob', '/rollback qa');
    expect(back.ok, back.text).toBe(true);
    expect(await h.file('apps/web/qa/deployment.yaml')).toContain('registry.example.com/acme/web:v1.2.3');
    // every reply came while every hook was still held
    expect(finished).toBe(0);
    expect(heard.map((x) => [x.result.action, x.result.version])).toEqual([
      ['promote', 'v1.2.3'],
      ['promote', 'v1.2.4'],
      ['rollback', 'v1.2.3'],
    ]);
    expect(heard[2]!.result.commit).toBe(await h.head());
    release();
    await expect.poll(() => finished).toBe(3);
  });
});
