import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuesOf } from '../../src/runtime/queues.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * The queue registry (src/runtime/queues.ts) is what the dashboard and the metrics list: a queue
 * listed for the deploy role must have a worker in every process that runs that role.
 */
describe('queue registry', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ name: 'queue-registry' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('every queue of the deploy role has a worker once startWorkers ran', async () => {
    const names = queuesOf('deploy');
    expect(names).toEqual(['deploy', 'bundle-deploy', 'approval-expiry', 'notify', 'freeze-watch', 'rollout-watch', 'verify']);
    for (const name of names) {
      const workers = await h.gantry.queueHandle(name).getWorkers();
      expect({ name, workers: workers.length > 0 }).toEqual({ name, workers: true });
    }
  });

  it('counts every deploy-role queue in /metrics, GitHub queues only where the app is on', async () => {
    const text = await h.gantry.metrics.registry.metrics();
    for (const name of queuesOf('deploy')) expect(text).toContain(`gantry_queue_jobs{queue="${name}",state="waiting"}`);
    for (const name of queuesOf('github')) expect(text).not.toContain(`queue="${name}"`);
  });
});
