import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRequest, DeployResult } from '../../src/domain/deploy.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { getUpdater } from '../../src/gitops/updaters/index.js';
import { run } from '../../src/util/exec.js';
import { deployFaultWorld, spawnGantry, until, type DeployFaultWorld } from '../support/processes.js';

const N = 30;
const QA_FILE = 'apps/web/qa/deployment.yaml';
/**
 * BullMQ hands a dead worker's jobs back only after their lock has run out and a stalled-job
 * check has seen them: GANTRY_JOB_LOCK=5s makes that about 10 s instead of a minute.
 */
const JOB_LOCK = { GANTRY_JOB_LOCK: '5s' };
const RECOVERY_MS = 60_000;

/**
 * The same, for a worker's warm clone: holds a ref update open (its ref locks taken) while `hold`
 * exists, one that moves a ref off `skip` (the value every ref of the clone has when the hold is
 * set): the push's update of the remote-tracking ref, never maintenance's pack-refs, which writes
 * the refs as they are.
 */
const cloneHook = (hold: string, held: string, skip: string) => `#!/bin/sh
[ "$1" = prepared ] || exit 0
awk '$2 != "${skip}" && $2 !~ /^0+$/ { moved = 1 } END { exit !moved }' || exit 0
if [ -e "${hold}" ]; then
  touch "${held}"
  i=0
  while [ -e "${hold}" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
fi
`;

describe('kill -9 of every worker in the middle of deploys', () => {
  let f: DeployFaultWorld;
  beforeAll(async () => {
    f = await deployFaultWorld('kill');
  });
  afterAll(async () => f?.close());

  const said = () => f.workers.map((w) => w.output().slice(-500)).join(' | ');
  const startWorker = (name: string) => {
    // each worker "machine" has its own working directory, so its own warm clone, kept across restarts
    const w = spawnGantry(['worker'], { cwd: path.join(f.world.dir, name), env: f.world.env(JOB_LOCK) });
    f.workers.push(w);
    return w;
  };

  it(`${N} deploy jobs: every request is committed exactly once after a crash and a restart`, { timeout: RECOVERY_MS + 60_000 }, async () => {
    const before = await f.world.head();
    const ids: string[] = [];
    for (let i = 1; i <= N; i++) {
      const version = `v4.0.${i}`;
      await f.asker.core.releases.add({
        app: 'web',
        version,
        builtAt: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
        images: { web: { repository: 'registry.example.com/acme/web', tag: version } },
      });
      const req: DeployRequest = {
        id: `kill-${i}-${randomBytes(3).toString('hex')}`,
        action: 'promote',
        app: 'web',
        env: 'qa',
        version,
        requestedBy: { id: 'shell:carol', name: 'carol' },
        approvedBy: [],
      };
      ids.push(req.id);
      await f.asker.core.queue.enqueue(req);
    }
    const count = async () => Number((await f.world.git('rev-list', '--count', `${before}..main`)).trim());

    const first = [startWorker('a'), startWorker('b')];
    await until(async () => (await count()) >= 3 || undefined, () => `the first deploy commits (f.workers said: ${said()})`, 60_000);
    // hold the next push open after its ref moved, then kill both machines while it hangs there
    writeFileSync(path.join(f.world.bare, 'hold'), '');
    await until(() => existsSync(path.join(f.world.bare, 'held')), 'a push held in the hook', 30_000, 20);
    const heldHead = await f.world.head();
    await Promise.all(first.map((w) => w.kill9()));
    rmSync(path.join(f.world.bare, 'hold'));
    const atKill = await count();
    expect(atKill).toBeLessThan(N); // the kill really came in the middle
    const heldRequest = parseDeployTrailers(await f.world.git('log', '-1', '--format=%B', heldHead))!.request!;

    const started = Date.now();
    startWorker('a');
    startWorker('b');
    const queue = f.asker.core.queue.queue;
    await until(
      async () => {
        const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
        const failed = ids.filter((_, i) => states[i] === 'failed');
        if (failed.length) {
          const job = await queue.getJob(failed[0]!);
          throw new Error(`${failed.length} deploy job(s) failed after the restart, e.g. ${failed[0]}: ${job?.failedReason}`);
        }
        return states.every((s) => s === 'completed') || undefined;
      },
      () => `all ${N} jobs completed (f.workers said: ${said()})`,
      RECOVERY_MS,
      500,
    );
    const recoveredMs = Date.now() - started;

    // every request id in exactly one commit; every commit parses and carries the version it claims
    const shas = (await f.world.git('rev-list', '--reverse', `${before}..main`)).trim().split('\n');
    const seen = new Map<string, string>();
    for (const sha of shas) {
      const t = parseDeployTrailers(await f.world.git('log', '-1', '--format=%B', sha));
      expect(t, `commit ${sha} has gantry trailers`).toBeDefined();
      expect(seen.has(t!.request!), `request ${t!.request} committed twice`).toBe(false);
      seen.set(t!.request!, sha);
      const content = await f.world.git('show', `${sha}:${QA_FILE}`);
      const tags = getUpdater('kubernetes').read(content, { file: QA_FILE, format: 'kubernetes' }, [{ name: 'web', repository: 'registry.example.com/acme/web' }]);
      expect(tags.map((f) => f.tag)).toEqual([t!.version, t!.version]);
    }
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect(shas).toHaveLength(N);
    // the final manifest holds the last commit's version
    const last = parseDeployTrailers(await f.world.git('log', '-1', '--format=%B', 'main'))!;
    expect(await f.world.git('show', `main:${QA_FILE}`)).toContain(`image: registry.example.com/acme/web:${last.version}\n`);
    // the job whose push landed as its machine died was replayed, not committed again
    const held = (await queue.getJob(heldRequest))!.returnvalue as DeployResult;
    expect(held).toMatchObject({ replayed: true, commit: heldHead });
    console.info(`kill-worker: ${atKill}/${N} committed at the kill; the rest completed ${(recoveredMs / 1000).toFixed(1)} s after the restart`);
  });
});

describe('kill -9 while git holds the warm clone', () => {
  let f: DeployFaultWorld;
  beforeAll(async () => {
    f = await deployFaultWorld('kill-clone');
    for (const version of ['v5.0.1', 'v5.0.3']) {
      await f.asker.core.releases.add({ app: 'web', version, builtAt: new Date().toISOString(), images: { web: { repository: 'registry.example.com/acme/web', tag: version } } });
    }
  });
  afterAll(async () => f?.close());

  const request = (n: number, env: string, version: string): DeployRequest => ({
    id: `clone-${n}-${randomBytes(3).toString('hex')}`,
    action: 'promote',
    app: 'web',
    env,
    version,
    requestedBy: { id: 'shell:carol', name: 'carol' },
    approvedBy: [],
  });
  const completed = (id: string, what: string, timeoutMs: number) =>
    until(
      async () => {
        const job = await f.asker.core.queue.queue.getJob(id);
        if ((await job?.getState()) === 'failed') throw new Error(`${what} failed: ${job!.failedReason}`);
        return (await job?.getState()) === 'completed' || undefined;
      },
      () => `${what} (worker said: ${f.workers.map((w) => w.output().slice(-500)).join(' | ')})`,
      timeoutMs,
      200,
    );

  it('a restarted worker does not inherit the dead one\'s git locks or its staged edits', { timeout: 120_000 }, async () => {
    const cwd = path.join(f.world.dir, 'machine');
    const clone = path.join(cwd, '.gantry', 'work');
    // a push URL in git's config (here the same repo): git decides how a push goes, so the push is
    // `git push` (src/gitops/send-pack.ts), which updates the remote-tracking ref through git's
    // ref transaction that the hook below holds
    const pushUrl = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'remote.origin.pushurl', GIT_CONFIG_VALUE_0: f.world.bare };
    const start = () => {
      const w = spawnGantry(['worker'], { cwd, env: { ...f.world.env(JOB_LOCK), ...pushUrl } });
      f.workers.push(w);
      return w;
    };
    const first = start();
    const d1 = request(1, 'qa', 'v5.0.1');
    await f.asker.core.queue.enqueue(d1);
    await completed(d1.id, 'the first deploy', 60_000);

    // the next deploy in this clone hangs in the middle of a ref update, its ref locks taken
    const hold = path.join(f.world.dir, 'hold');
    const held = path.join(f.world.dir, 'held');
    const now = (await run('git', ['-C', clone, 'rev-parse', 'refs/remotes/origin/main'])).stdout.trim();
    writeFileSync(path.join(clone, '.git', 'hooks', 'reference-transaction'), cloneHook(hold, held, now));
    chmodSync(path.join(clone, '.git', 'hooks', 'reference-transaction'), 0o755);
    writeFileSync(hold, '');
    const d2 = request(2, 'staging', 'v5.0.1');
    await f.asker.core.queue.enqueue(d2);
    await until(() => existsSync(held), 'the staging commit held in the hook', 30_000, 20);
    await first.kill9();
    rmSync(hold);
    // what a git killed mid-push leaves: the lock of the remote-tracking ref it was moving (gantry
    // commits without the index, so the ref updates of the push are the clone's only ref locks)
    expect(lockFiles(path.join(clone, '.git'))).toContain(path.join('refs', 'remotes', 'origin', 'main.lock'));

    // the machine comes back with the same working directory and gets another deploy
    start();
    const d3 = request(3, 'qa', 'v5.0.3');
    await f.asker.core.queue.enqueue(d3);
    await completed(d3.id, 'the deploy after the restart', 90_000);
    const sha = (await f.world.git('log', '-1', '--format=%H', `--grep=^Gantry-Request: ${d3.id}$`, 'main')).trim();
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    // its commit carries its own change only, not the staging edit the dead process had staged
    expect((await f.world.git('diff-tree', '--no-commit-id', '--name-only', '-r', sha)).trim().split('\n')).toEqual([QA_FILE]);
  });
});

/** Lock files anywhere under a .git directory, relative to it. */
function lockFiles(gitDir: string): string[] {
  return (readdirSync(gitDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.lock'));
}
