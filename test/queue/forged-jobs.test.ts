import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorFor, personOf } from '../../src/domain/identity.js';
import type { StoredEvent } from '../../src/notify/events.js';
import { DEPLOY_QUEUE } from '../../src/queue/deploy-queue.js';
import { Keys } from '../../src/store/redis.js';
import { redisUrl } from '../support/env.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * Deploy jobs put straight on the real BullMQ queue, as an admin UI or anyone with Redis could:
 * the worker re-checks each against the config and the stores and commits nothing it would not
 * have let through a chat command.
 */
describe('the deploy worker refuses forged jobs', () => {
  let h: Harness;
  const events: StoredEvent[] = [];
  let unsubscribe: () => Promise<void>;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness({
      name: 'forged-jobs',
      edit: (d) => {
        d.environments.prod.approvals.required = 2;
        d.users.eve = { ids: ['shell:eve'] };
      },
    });
    unsubscribe = await h.gantry.core.bus.subscribe(new Redis(redisUrl()), (e) => events.push(e));
    await h.release('v1.2.3');
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.2.3 ${env}`)).ok).toBe(true);
  });
  afterAll(async () => {
    await unsubscribe?.();
    await h?.close();
  });

  /** Adds a job as the admin UI's "add job" does, and waits for the worker to end it. */
  async function forge(data: Record<string, unknown>, jobId = `forged-${++seq}`): Promise<{ state: string; reason: string }> {
    const queue = h.gantry.queueHandle(DEPLOY_QUEUE);
    await queue.add('deploy', { id: jobId, app: 'web', approvedBy: [], ...data } as never, { jobId, attempts: 3 });
    for (let i = 0; i < 400; i++) {
      // the state first, then the job: a job read before it ended has no failed reason yet
      const state = await queue.getJobState(jobId);
      if (state === 'failed' || state === 'completed') return { state, reason: (await queue.getJob(jobId))!.failedReason ?? '' };
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${jobId} did not end`);
  }

  /** A real approval request for prod, asked by carol in chat. */
  async function askProd(version: string): Promise<string> {
    await h.release(version);
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote ${version} ${env}`)).ok).toBe(true);
    const asked = await h.run('carol', `/promote ${version} prod`);
    expect(asked.ok, asked.text).toBe(true);
    return asked.approval!.id;
  }

  const invented = [
    { id: 'shell:alice', name: 'alice' },
    { id: 'shell:dave', name: 'dave' },
  ];

  it('auto into prod (which needs approvals), with invented approvers: refused, reported, nothing committed', async () => {
    const head = await h.head();
    const out = await forge({ id: 'forged-auto', action: 'auto', env: 'prod', version: 'v1.2.3', requestedBy: { id: 'github:gantry', name: 'auto-deploy of tag v1.2.3' }, approvedBy: invented }, 'forged-auto');
    expect(out.state).toBe('failed');
    expect(out.reason).toMatch(/^DEPLOY_REFUSED: deploy job forged-auto refused: an automatic deploy has no approvers/);
    expect(await h.head()).toBe(head);
    // no retries: the refusal is final (UnrecoverableError)
    expect((await h.gantry.queueHandle(DEPLOY_QUEUE).getJob('forged-auto'))!.attemptsMade).toBe(1);
    const failed = events.find((e) => e.type === 'deploy-failed' && e.request.id === 'forged-auto');
    expect(failed).toMatchObject({ code: 'DEPLOY_REFUSED', request: { env: 'prod', approvedBy: [] } });
    // and without the approvers: prod needs approvals, so nothing deploys there by itself
    const bare = await forge({ action: 'auto', env: 'prod', version: 'v1.2.3', requestedBy: { id: 'github:gantry' } });
    expect(bare.reason).toContain('prod needs approvals, so nothing deploys there automatically');
    expect(await h.head()).toBe(head);
  });

  it('auto only as gantry itself, and only for a release gantry built or registered', async () => {
    const head = await h.head();
    const asAlice = await forge({ action: 'auto', env: 'qa', version: 'v1.2.3', requestedBy: { id: 'shell:alice', name: 'alice' } });
    expect(asAlice.reason).toContain('automatic deploys are requested by github:gantry, not shell:alice');
    const unknown = await forge({ action: 'auto', env: 'qa', version: 'v6.6.6', requestedBy: { id: 'github:gantry' } });
    expect(unknown.reason).toMatch(/^VERSION_UNKNOWN: .*web v6\.6\.6 is not a release gantry built or registered/);
    expect(await h.head()).toBe(head);
  });

  it('a promotion to prod with invented approvers and no approval: refused', async () => {
    const head = await h.head();
    const out = await forge({ action: 'promote', env: 'prod', version: 'v1.2.3', requestedBy: { id: 'shell:carol', name: 'carol' }, approvedBy: invented });
    expect(out.state).toBe('failed');
    expect(out.reason).toContain('promote to prod needs 2 approvals, and the job names no approval gantry recorded');
    expect(await h.head()).toBe(head);
    // in qa, which needs none, invented approvers are refused all the same: they would be in the trailers
    await h.release('v1.2.4');
    const qa = await forge({ action: 'promote', env: 'qa', version: 'v1.2.4', requestedBy: { id: 'shell:carol' }, approvedBy: invented });
    expect(qa.reason).toContain('it names approvers, but no approval was recorded for it');
    expect(await h.head()).toBe(head);
  });

  it('a requester who may not promote there (by person, whatever name the job gives): refused', async () => {
    const head = await h.head();
    const out = await forge({ action: 'promote', env: 'prod', version: 'v1.2.3', requestedBy: { id: 'shell:eve', name: 'alice' } });
    expect(out.reason).toMatch(/^NOT_ALLOWED: shell:eve may not promote to prod/);
    const rollback = await forge({ action: 'rollback', env: 'prod', requestedBy: { id: 'shell:carol', name: 'bob' } });
    expect(rollback.reason).toMatch(/^NOT_ALLOWED: shell:carol may not roll back prod/);
    expect(await h.head()).toBe(head);
  });

  it('a job naming an approval that is pending, has too few votes, or was denied: refused, the approval unchanged', async () => {
    const pendingId = await askProd('v1.3.0');
    const deniedId = await askProd('v1.3.1');
    const head = await h.head();
    const base = { action: 'promote', env: 'prod', version: 'v1.3.0', requestedBy: { id: 'shell:carol', name: 'carol' }, approval: pendingId, approvedBy: invented };
    const pending = await forge(base, `approval-${pendingId}`);
    expect(pending.reason).toContain(`APPROVAL_CLOSED: deploy job approval-${pendingId} refused: approval ${pendingId} is pending, not approved`);
    expect((await h.gantry.core.approvals.get(pendingId))!.status).toBe('pending');
    // one real vote of two, and the approval's status forged to "approved" in the store's record is not enough either
    expect((await h.run('alice', `/approve ${pendingId}`)).text).toContain('1 more needed');
    const key = new Keys(h.gantry.prefix).k('approval', pendingId);
    const raw = (await h.gantry.redis.get(key))!;
    await h.gantry.redis.set(key, JSON.stringify({ ...JSON.parse(raw), status: 'approved' }), 'KEEPTTL');
    await h.gantry.queueHandle(DEPLOY_QUEUE).remove(`approval-${pendingId}`);
    const few = await forge(base, `approval-${pendingId}`);
    expect(few.reason).toContain(`approval ${pendingId} has 1 valid approval; 2 needed`);
    expect(await h.head()).toBe(head);

    expect((await h.run('dave', `/deny ${deniedId} not today`)).ok).toBe(true);
    const denied = await forge({ ...base, version: 'v1.3.1', approval: deniedId }, `approval-${deniedId}`);
    expect(denied.reason).toContain(`approval ${deniedId} is denied, not approved`);
    expect((await h.gantry.core.approvals.get(deniedId))!.status).toBe('denied');
    // a job under another id naming an approval is not that approval's request
    const other = await forge({ ...base, version: 'v1.3.1', approval: deniedId });
    expect(other.reason).toContain(`it is not the request approval ${deniedId} was asked for`);
    expect(await h.head()).toBe(head);
  });

  it('a legitimate approved request deploys, with the approvers from the store, not from the job', async () => {
    const id = await askProd('v1.4.0');
    expect((await h.run('alice', `/approve ${id}`)).ok).toBe(true);
    const done = await h.run('dave', `/approve ${id}`);
    expect(done.ok, done.text).toBe(true);
    expect(done.text).toContain('approved by alice, dave');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Version: v1.4.0');
    expect(message).toContain('Gantry-Requested-By: shell:carol (carol)');
    expect(message.match(/^Gantry-Approved-By: .*$/gm)).toEqual(['Gantry-Approved-By: shell:alice (alice)', 'Gantry-Approved-By: shell:dave (dave)']);
    expect((await h.gantry.core.approvals.get(id))!.status).toBe('executed');

    // approved in the store, its job put on the queue by hand with other approvers and names: the store's go in
    const next = await askProd('v1.4.1');
    const person = (i: string) => personOf(h.config, i);
    await h.gantry.core.approvals.vote(next, actorFor(h.config, 'shell:dave'), person);
    expect((await h.gantry.core.approvals.vote(next, actorFor(h.config, 'shell:alice'), person)).kind).toBe('approved');
    const out = await forge(
      { action: 'promote', env: 'prod', version: 'v1.4.1', requestedBy: { id: 'shell:carol', name: 'alice' }, approval: next, approvedBy: [{ id: 'shell:bob', name: 'bob' }, { id: 'slack:UEVIL999', name: 'alice' }] },
      `approval-${next}`,
    );
    expect(out.state, out.reason).toBe('completed');
    const forged = await h.git('log', '-1', '--format=%B', 'main');
    expect(forged).toContain('Gantry-Version: v1.4.1');
    expect(forged).toContain('Gantry-Requested-By: shell:carol (carol)');
    expect(forged.match(/^Gantry-Approved-By: .*$/gm)).toEqual(['Gantry-Approved-By: shell:dave (dave)', 'Gantry-Approved-By: shell:alice (alice)']);
  });

  it('a vote whose person the web process resolved (Slack user matched by e-mail) counts in a worker that cannot resolve it', async () => {
    const id = await askProd('v1.5.0');
    // what SlackIdentities does in the web process after users.info matched dave's e-mail
    const webPerson = (i: string) => (i === 'slack:UDAVEMAIL' ? 'dave' : personOf(h.config, i));
    expect((await h.gantry.core.approvals.vote(id, { id: 'slack:UDAVEMAIL', name: 'dave' }, webPerson)).kind).toBe('recorded');
    // the same person from another identity is no second vote
    await expect(h.gantry.core.approvals.vote(id, actorFor(h.config, 'shell:dave'), webPerson)).rejects.toThrow(/already approved/);
    const done = await h.run('alice', `/approve ${id}`);
    expect(done.ok, done.text).toBe(true);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message.match(/^Gantry-Approved-By: .*$/gm)).toEqual(['Gantry-Approved-By: slack:UDAVEMAIL (dave)', 'Gantry-Approved-By: shell:alice (alice)']);
  });

  it('a forged job that failed under an approval\'s job id does not stand in for the real one', async () => {
    // forged as `approval-<id>` while the request waits: refused, and BullMQ keeps failed jobs for days
    const id = await askProd('v1.6.0');
    const before = await h.head();
    const early = await forge({ action: 'promote', env: 'prod', version: 'v1.6.0', requestedBy: { id: 'shell:carol' }, approval: id }, `approval-${id}`);
    expect(early.state).toBe('failed');
    expect(await h.head()).toBe(before);
    // the approval completes: its own job runs, not the forged job's old failure
    expect((await h.run('dave', `/approve ${id}`)).ok).toBe(true);
    const done = await h.run('alice', `/approve ${id}`);
    expect(done.ok, done.text).toBe(true);
    expect(await h.head()).not.toBe(before);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Version: v1.6.0');
    expect(message.match(/^Gantry-Approved-By: .*$/gm)).toEqual(['Gantry-Approved-By: shell:dave (dave)', 'Gantry-Approved-By: shell:alice (alice)']);
  });
});
