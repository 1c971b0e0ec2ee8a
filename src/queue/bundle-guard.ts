import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { BUNDLE_NAME, type BundleRequest } from '../domain/bundle.js';
import { GantryError } from '../domain/errors.js';
import { actorFor, type Actor } from '../domain/identity.js';
import { gateRequest } from '../domain/gate-request.js';
import { msg, type Message } from '../i18n/voice.js';
import type { ApprovalStore } from '../approvals/store.js';
import type { BundleStore } from '../store/bundles.js';
import type { EnvLockStore } from '../store/env-locks.js';
import type { DeployGuard } from './deploy-guard.js';
import type { DeployRequest } from '../domain/deploy.js';
import type { BundleScope } from '../notify/events.js';

const Line = (max: number) => z.string().min(1).max(max).regex(/^[^\p{Cc}\u2028\u2029]*$/u, 'must be one line of text');
const ActorData = z.object({ id: Line(200), name: Line(200).optional() });

/**
 * A bundle job as read off the queue: anyone with Redis may have written it. It carries no versions
 * (they come from the bundle store), and a job that brings any field gantry never sends is forged.
 */
const BundleJobData = z.strictObject({
  id: Line(200),
  action: z.enum(['promote', 'rollback']),
  bundle: z.string().regex(BUNDLE_NAME),
  env: Line(63),
  requestedBy: ActorData,
  approvedBy: z.array(ActorData).max(50),
  force: Line(200).optional(),
  approval: z.string().regex(/^\d{1,12}$/).optional(),
});

export interface BundleGuardDeps {
  config: Config;
  approvals: ApprovalStore;
  bundles: BundleStore;
  envLocks: EnvLockStore;
  /** the deploy guard's vote count (one per person, approvers now, never the requester) */
  votes: Pick<DeployGuard, 'votesOf'>;
  now: () => Date;
}

const refuse = (jobId: string, why: Message) => new GantryError('DEPLOY_REFUSED', msg('error.guard.refused', { job: jobId, why }));

/**
 * The bundle worker's check of every job before it writes (as src/queue/deploy-guard.ts does for
 * one app): the versions come from the bundle store, the rights and policy from the config, the
 * approvers from the approval store. Each app's own rules (order, blocks) run again in the plan.
 */
export class BundleGuard {
  constructor(private readonly d: BundleGuardDeps) {}

  /**
   * What a failed job asked for, for the `deploy-failed` report: names that are no names become
   * `?`, the apps are the stored bundle's (none when there is no such bundle).
   */
  async shown(jobId: string, data: unknown, req?: BundleRequest): Promise<{ request: DeployRequest; bundle: BundleScope }> {
    const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const text = (v: unknown, max: number) => (typeof v === 'string' && Line(max).safeParse(v).success ? v : '?');
    const name = req?.bundle ?? (typeof d.bundle === 'string' && BUNDLE_NAME.test(d.bundle) ? d.bundle : '?');
    const apps = (await this.d.bundles.get(name))?.apps.map((a) => a.app) ?? [];
    const action = req?.action ?? (d.action === 'rollback' ? 'rollback' : 'promote');
    const by = req?.requestedBy ?? actorFor(this.d.config, text((d.requestedBy as { id?: unknown } | undefined)?.id, 200));
    const request: DeployRequest = { id: jobId, action, app: apps[0] ?? '?', env: req?.env ?? text(d.env, 63), requestedBy: by, approvedBy: req?.approvedBy ?? [] };
    // the card of the approval it ran for is told (approvalOf); a refused job names none
    if (req?.approval) request.approval = req.approval;
    return { request, bundle: { name, apps } };
  }

  async check(jobId: string, data: unknown, retried: boolean): Promise<BundleRequest> {
    const parsed = BundleJobData.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw refuse(jobId, msg('error.text', { text: `${issue.path.join('.') || 'its data'}: ${issue.message}` }));
    }
    const job = parsed.data;
    if (job.id !== jobId) throw refuse(jobId, msg('error.guard.id-mismatch', { id: job.id }));
    const { config } = this.d;
    if (!Object.hasOwn(config.environments, job.env)) throw refuse(jobId, msg('error.guard.unknown-env', { env: job.env }));
    const bundle = await this.d.bundles.get(job.bundle);
    if (!bundle) throw refuse(jobId, msg('error.bundle.unknown', { name: job.bundle }));
    for (const { app } of bundle.apps) {
      if (!Object.hasOwn(config.apps, app) || !Object.hasOwn(config.apps[app]!.deploy, job.env)) {
        throw refuse(jobId, msg('error.guard.bundle-app', { name: bundle.name, app, env: job.env }));
      }
    }
    const approval = job.approval === undefined ? undefined : await this.d.approvals.get(job.approval);
    if (job.approval !== undefined) {
      if (!approval) throw refuse(jobId, msg('error.guard.no-approval', { id: job.approval }));
      const r = approval.request;
      const same = approval.bundle?.name === job.bundle && r.id === job.id && r.action === job.action && r.env === job.env && r.requestedBy.id === job.requestedBy.id && r.force === job.force;
      if (!same) throw refuse(jobId, msg('error.guard.other-request', { id: approval.id }));
    }
    // each app's block is checked in its plan
    const { approvalsRequired } = await gateRequest(config, job, { at: this.d.now(), locks: this.d.envLocks, blocked: null, version: bundle.name });
    let approvedBy: Actor[] = [];
    if (approval) approvedBy = this.d.votes.votesOf(jobId, approval, approvalsRequired, retried);
    else if (approvalsRequired > 0) throw refuse(jobId, msg('error.guard.needs-approval', { action: job.action, env: job.env, required: approvalsRequired }));
    else if (job.approvedBy.length > 0) throw refuse(jobId, msg('error.guard.approvers-unrecorded'));
    const out: BundleRequest = { id: job.id, action: job.action, bundle: bundle.name, env: job.env, requestedBy: actorFor(config, job.requestedBy.id), approvedBy };
    if (job.force !== undefined) out.force = job.force;
    if (approval) out.approval = approval.id;
    return out;
  }
}
