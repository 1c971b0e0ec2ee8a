import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_QUEUE, ExpiryQueue, startExpiryWorker } from '../../src/approvals/expiry.js';
import { Approvals } from '../../src/approvals/service.js';
import { moveTo } from '../../src/approvals/state.js';
import { ApprovalStore, type Approval, type ApprovalStatus } from '../../src/approvals/store.js';
import { ConfigSchema } from '../../src/config/schema.js';
import type { DeployRequest } from '../../src/domain/deploy.js';
import { GantryError } from '../../src/domain/errors.js';
import { actorFor } from '../../src/domain/identity.js';
import { EventBus } from '../../src/notify/events.js';
import { connect, Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { redisUrl, uniquePrefix, wipePrefix } from '../support/env.js';
import { defaultConfigData } from '../support/harness.js';

/**
 * The approvals module on a real Redis, without chat or deploy repo: the state machine, the
 * rules by person, and the expiry worker fed with jobs it must not trust.
 */
describe('approvals module', () => {
  const prefix = uniquePrefix('approvals');
  const keys = new Keys(prefix);
  let redis: Redis;
  let expiry: ExpiryQueue;
  let approvals: Approvals;
  let worker: { close(): Promise<void> };
  let handle: Queue;
  const events: string[] = [];

  const data = defaultConfigData();
  data.users.carol.ids.push('slack:UCAROL01');
  data.environments.prod.approvals.required = 2;
  // staging's requests expire soon enough for their expiry jobs to run during the test
  data.environments.staging.approvals = { required: 1, from: ['leads'], deadline: '2s' };
  const config = ConfigSchema.parse(data);
  const as = (id: string) => actorFor(config, id);
  let seq = 0;

  /** `by` asks to promote a new version to `env` (one open request per change, so each its own version). */
  function ask(by: string, env = 'prod', required = 2): Promise<Approval> {
    const version = `v1.${++seq}.0`;
    const req: DeployRequest = { id: `promote-${seq}`, action: 'promote', app: 'web', env, version, requestedBy: as(by), approvedBy: [] };
    return approvals.request(req, required, { version, previousVersion: 'v1.0.0', changes: [] });
  }

  /** Everything Redis holds about one approval. */
  async function stored(id: string): Promise<{ raw: string | null; pending: string | null }> {
    return { raw: await redis.get(keys.k('approval', id)), pending: await redis.zscore(keys.k('approvals', 'pending'), id) };
  }
  const status = async (id: string): Promise<ApprovalStatus> => JSON.parse((await stored(id)).raw!).status;
  const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof GantryError ? e.code : String(e)));

  /** Waits until the job is done (a completed expiry job is removed) and returns how it ended. */
  async function settled(jobId: string): Promise<{ state: string; reason?: string }> {
    for (let i = 0; i < 200; i++) {
      const job = await handle.getJob(jobId);
      if (!job) return { state: 'removed' };
      const state = await job.getState();
      // the job read before its state may predate its failure: read it again for the reason
      if (state === 'completed' || state === 'failed') return { state, reason: (await handle.getJob(jobId))?.failedReason };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${jobId} did not finish`);
  }

  beforeAll(async () => {
    redis = connect(redisUrl(), { name: 'approvals-test' });
    const bus = new EventBus(redis, keys);
    bus.setSink(async (e) => void events.push(`${e.type} ${'approval' in e ? e.approval.id : ''}`));
    expiry = new ExpiryQueue(redisUrl(), prefix);
    approvals = new Approvals({ config, store: new ApprovalStore(redis, keys), expiry, bus, now: () => new Date() });
    worker = startExpiryWorker({ url: redisUrl(), prefix, approvals, log: silentLogger });
    handle = new Queue(APPROVAL_QUEUE, { connection: redis, prefix });
  });
  afterAll(async () => {
    await worker?.close();
    await handle?.close();
    await expiry?.close();
    redis?.disconnect();
    await wipePrefix(prefix);
  });

  it('the state machine refuses every illegal transition with APPROVAL_CLOSED, and the store then writes nothing', async () => {
    const legal: Record<ApprovalStatus, ApprovalStatus[]> = {
      pending: ['approved', 'denied'],
      approved: ['executed', 'failed'],
      denied: [],
      expired: [],
      executed: [],
      failed: [],
    };
    const all = Object.keys(legal) as ApprovalStatus[];
    const future = new Date(Date.now() + 3600_000).toISOString();
    for (const from of all) {
      for (const to of all) {
        const a = { id: '1', status: from, deadline: future } as Approval;
        const moved = code(Promise.resolve().then(() => moveTo(a, to, new Date())));
        expect(await moved, `${from} -> ${to}`).toBe(legal[from].includes(to) ? 'resolved' : 'APPROVAL_CLOSED');
        expect(a.status).toBe(legal[from].includes(to) ? to : from);
      }
    }
    // pending expires only after its deadline, and is approved or denied only before it
    const open = { id: '1', status: 'pending', deadline: future } as Approval;
    expect(() => moveTo(open, 'expired', new Date())).toThrow(/is open until/);
    const late = { id: '1', status: 'pending', deadline: new Date(Date.now() - 1).toISOString() } as Approval;
    expect(() => moveTo(late, 'approved', new Date())).toThrow(/expired at .*; ask for the promotion again/);

    const a = await ask('shell:carol');
    await approvals.deny(a.id, as('shell:dave'), 'not today');
    const before = await stored(a.id);
    expect(await code(approvals.vote(a.id, as('shell:alice')))).toBe('APPROVAL_CLOSED');
    await expect(approvals.deny(a.id, as('shell:alice'), 'again')).rejects.toThrow(`approval ${a.id} is already denied by dave`);
    // a forged deploy job naming a denied or pending approval cannot end it executed
    await approvals.finish(a.id, { commit: 'f'.repeat(40) });
    const store = new ApprovalStore(redis, keys);
    expect(await code(store.update(a.id, (x) => moveTo(x, 'executed', new Date())))).toBe('APPROVAL_CLOSED');
    expect(await stored(a.id)).toEqual(before);
    const pending = await ask('shell:carol');
    const asked = await stored(pending.id);
    await approvals.finish(pending.id, { error: 'forged' });
    expect(await stored(pending.id)).toEqual(asked);
    expect(await status(pending.id)).toBe('pending');
  });

  it('one person, one vote: two identities of one config user are one vote, and the requester votes from none', async () => {
    // alice, a lead, asks on Slack: neither her shell nor her DingTalk identity may approve it
    const own = await ask('slack:U024BE7LH');
    const asked = await stored(own.id);
    for (const id of ['shell:alice', 'dingtalk:manager4220', 'slack:U024BE7LH']) expect(await code(approvals.vote(own.id, as(id))), id).toBe('SELF_APPROVAL');
    expect(await stored(own.id)).toEqual(asked);

    const a = await ask('shell:carol');
    const first = await approvals.vote(a.id, as('slack:U024BE7LH'));
    expect(first).toMatchObject({ kind: 'recorded', remaining: 1 });
    // a vote that leaves the request open is told too, so the card that asked shows it whatever face voted
    expect(events).toContain(`approval-voted ${a.id}`);
    const after = await stored(a.id);
    await expect(approvals.vote(a.id, as('dingtalk:manager4220'))).rejects.toMatchObject({ code: 'APPROVAL_CLOSED', message: `you already approved ${a.id}; waiting for 1 more` });
    expect(await stored(a.id)).toEqual(after);
    // not an approver (by person): refused before anything is written
    expect(await code(approvals.vote(a.id, as('shell:bob')))).toBe('NOT_ALLOWED');
    const done = await approvals.vote(a.id, as('shell:dave'));
    expect(done.kind).toBe('approved');
    if (done.kind !== 'approved') return;
    expect(done.request.approvedBy).toEqual([as('slack:U024BE7LH'), as('shell:dave')]);
    expect(done.request.id).toBe(`approval-${a.id}`);
    expect(await stored(a.id)).toMatchObject({ pending: null });
    expect(events).toContain(`approval-approved ${a.id}`);
  });

  it('the requester may deny (withdraw) their own request from any identity; others need approver rights', async () => {
    const a = await ask('shell:carol');
    const before = await stored(a.id);
    expect(await code(approvals.deny(a.id, as('shell:bob'), 'not mine'))).toBe('NOT_ALLOWED');
    expect(await stored(a.id)).toEqual(before);
    const withdrawn = await approvals.deny(a.id, as('slack:UCAROL01'), 'changed my mind');
    expect(withdrawn).toMatchObject({ status: 'denied', denied: { actor: { id: 'slack:UCAROL01', name: 'carol' }, reason: 'changed my mind' } });
    expect(await stored(a.id)).toMatchObject({ pending: null });
    expect(events).toContain(`approval-denied ${a.id}`);
  });

  it('an expiry job for an approval already approved changes nothing, before or after its deadline; a pending one expires', async () => {
    const approved = await ask('shell:carol', 'staging', 1);
    const open = await ask('shell:carol', 'staging', 1);
    expect((await approvals.vote(approved.id, as('shell:alice'))).kind).toBe('approved');
    const before = await stored(approved.id);
    // a job added by hand (an admin UI) before the deadline, then the scheduled one at the deadline
    await handle.add('expire', { id: approved.id }, { jobId: `forged-early-${approved.id}`, removeOnComplete: false });
    expect(await settled(`forged-early-${approved.id}`)).toMatchObject({ state: 'completed' });
    expect(await stored(approved.id)).toEqual(before);
    expect(await settled(`expire-${approved.id}`)).toEqual({ state: 'removed' });
    expect(await settled(`expire-${open.id}`)).toEqual({ state: 'removed' });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(approved.deadline));
    await handle.add('expire', { id: approved.id }, { jobId: `forged-late-${approved.id}`, removeOnComplete: false });
    expect(await settled(`forged-late-${approved.id}`)).toMatchObject({ state: 'completed' });
    expect(await stored(approved.id)).toEqual(before);
    expect(events).not.toContain(`approval-expired ${approved.id}`);
    // the request nobody approved did expire, and said so
    expect(await status(open.id)).toBe('expired');
    expect(await stored(open.id)).toMatchObject({ pending: null });
    expect(events).toContain(`approval-expired ${open.id}`);
    expect(await code(approvals.vote(open.id, as('shell:alice')))).toBe('APPROVAL_CLOSED');
  });

  it('concurrent updates in one process on one connection all count: no vote is written over', async () => {
    const a = await ask('shell:carol');
    const store = new ApprovalStore(redis, keys);
    const voters = Array.from({ length: 12 }, (_, i) => `shell:voter${i}`);
    await Promise.all(voters.map((id) => store.update(a.id, (x) => void x.votes.push({ actor: { id }, person: id, at: new Date().toISOString() }))));
    expect((await store.get(a.id))!.votes.map((v) => v.actor.id).sort()).toEqual([...voters].sort());
  });

  it('an expiry job that names no approval fails at once, touching nothing', async () => {
    for (const [jobId, payload, reason] of [
      ['forged-seq', { id: 'seq' }, /^INPUT_INVALID: /],
      ['forged-object', { id: { $gt: '' } }, /^INPUT_INVALID: /],
      ['forged-unknown', { id: '999999' }, /^APPROVAL_UNKNOWN: there is no approval request 999999/],
    ] as const) {
      await handle.add('expire', payload, { jobId, attempts: 5, removeOnFail: false });
      const out = await settled(jobId);
      // failed for good although five attempts were allowed: retrying cannot help
      expect(out.state, jobId).toBe('failed');
      expect(out.reason).toMatch(reason);
    }
    expect(await redis.get(keys.k('approval', '999999'))).toBeNull();
  });
});
