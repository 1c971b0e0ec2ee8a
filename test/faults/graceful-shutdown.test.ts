import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRequest } from '../../src/domain/deploy.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { deployFaultWorld, spawnGantry, until, type DeployFaultWorld } from '../support/processes.js';

/**
 * What a rolling update does to a worker: SIGTERM while a deploy is being pushed. The worker must
 * take no new job, finish the one in flight (commit pushed, job completed, reported) and exit 0;
 * the work that arrived meanwhile waits for the next worker.
 */
describe('SIGTERM to a worker in the middle of a deploy', () => {
  let f: DeployFaultWorld;
  beforeAll(async () => {
    f = await deployFaultWorld('graceful');
  });
  afterAll(async () => f?.close());

  const request = async (version: string): Promise<DeployRequest> => {
    await f.asker.core.releases.add({ app: 'web', version, builtAt: new Date().toISOString(), images: { web: { repository: 'registry.example.com/acme/web', tag: version } } });
    const req: DeployRequest = { id: `term-${version}-${randomBytes(3).toString('hex')}`, action: 'promote', app: 'web', env: 'qa', version, requestedBy: { id: 'shell:carol', name: 'carol' }, approvedBy: [] };
    await f.asker.core.queue.enqueue(req);
    return req;
  };

  it('finishes the deploy in flight, takes nothing new, exits 0; the next worker takes the rest', { timeout: 90_000 }, async () => {
    const queue = f.asker.core.queue.queue;
    const a = spawnGantry(['worker'], { cwd: path.join(f.world.dir, 'a'), env: f.world.env({ LOG_LEVEL: 'info' }) });
    f.workers.push(a);
    writeFileSync(path.join(f.world.bare, 'hold'), '');
    const inFlight = await request('v5.0.1');
    await until(() => existsSync(path.join(f.world.bare, 'held')), () => `the push held in the hook (worker said: ${a.output().slice(-500)})`, 30_000, 20);

    a.child.kill('SIGTERM');
    await until(() => a.output().includes('shutting down'), () => `the worker to log its shutdown: ${a.output().slice(-500)}`, 10_000, 20);
    const later = await request('v5.0.2');
    // while its push hangs, the worker stays: it does not drop the job and leave
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.child.exitCode).toBeNull();
    expect(await queue.getJobState(inFlight.id)).toBe('active');
    expect(await queue.getJobState(later.id)).toBe('waiting');

    rmSync(path.join(f.world.bare, 'hold'));
    const code = await Promise.race([a.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    expect(code, a.output().slice(-2000)).toBe(0);
    expect(await queue.getJobState(inFlight.id)).toBe('completed');
    expect(await queue.getJobState(later.id)).toBe('waiting');
    const head = parseDeployTrailers(await f.world.git('log', '-1', '--format=%B', 'main'));
    expect(head?.request).toBe(inFlight.id);

    const b = spawnGantry(['worker'], { cwd: path.join(f.world.dir, 'b'), env: f.world.env() });
    f.workers.push(b);
    await until(async () => (await queue.getJobState(later.id)) === 'completed' || undefined, () => `the next worker to deploy ${later.version} (it said: ${b.output().slice(-500)})`, 30_000);
    const requests = (await f.world.git('log', '--format=%(trailers:key=Gantry-Request,valueonly)', 'main')).split('\n').filter(Boolean);
    expect(requests.filter((r) => r === inFlight.id)).toHaveLength(1);
    expect(requests.filter((r) => r === later.id)).toHaveLength(1);
    expect(await b.stop()).toBe(0);
  });
});
