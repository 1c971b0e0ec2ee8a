import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { DeployRequest } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import { actorFor, type Actor } from '../domain/identity.js';
import { gateRequest } from '../domain/gate-request.js';
import { validateVersion } from '../domain/version.js';
import { msg, type Message } from '../i18n/voice.js';
import { countedVotes } from '../approvals/rules.js';
import type { Approval, ApprovalStore } from '../approvals/store.js';
import type { EnvLockStore } from '../store/env-locks.js';
import type { ReleaseStore } from '../store/releases.js';
import { shiftProblem } from './shift-guard.js';

/** The identity automatic deploys are requested as (src/commands/auto-deploy.ts). */
export const AUTO_REQUESTER = 'github:gantry';

// one line, no control characters: every field may end up in a commit trailer or a chat reply
const Line = (max: number) => z.string().min(1).max(max).regex(/^[^\p{Cc}\u2028\u2029]*$/u, 'must be one line of text');
const ActorData = z.object({ id: Line(200), name: Line(200).optional() });

/** A deploy job's payload as it is read off the queue: anyone with Redis or the admin UI may have written it. */
const JobData = z.object({
  id: Line(200),
  action: z.enum(['promote', 'rollback', 'auto', 'shift']),
  app: Line(63),
  env: Line(63),
  version: Line(128).optional(),
  weight: z.number().int().min(1).max(100).optional(),
  requestedBy: ActorData,
  approvedBy: z.array(ActorData).max(50),
  force: Line(200).optional(),
  reason: Line(200).optional(),
  approval: z.string().regex(/^\d{1,12}$/).optional(),
  failure: z
    .object({
      deploy: z.string().regex(/^[a-z][a-z0-9-]{0,62}:[a-z][a-z0-9-]{0,62}:[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be <app>:<env>:<commit>'),
      version: Line(128),
      requestId: Line(200).optional(),
      requestedBy: Line(200).optional(),
    })
    .optional(),
});
type JobData = z.infer<typeof JobData>;

export interface DeployGuardDeps {
  config: Config;
  approvals: ApprovalStore;
  releases: ReleaseStore;
  envLocks: EnvLockStore;
  now: () => Date;
  /**
   * Whether a followed deploy (`<app>:<env>:<commit>`) has failed and is still the newest of its
   * app and environment: an automatic rollback runs only then (src/rollout/).
   */
  failed?: (deploy: string) => Promise<boolean>;
}

const refuse = (jobId: string, why: Message) => new GantryError('DEPLOY_REFUSED', msg('error.guard.refused', { job: jobId, why }));

/**
 * The deploy worker's check of every job before it writes: the queue is not the source of truth.
 * The requester's rights (by person) and the policy come from the config, an approval's state
 * and votes from the approval store, a release from the release catalog; the approvers written
 * into the trailers are the store's votes, never the job's `approvedBy`. What the job says about
 * who someone is (names) is dropped: names come from the config.
 */
export class DeployGuard {
  constructor(private readonly d: DeployGuardDeps) {}

  /** The request to deploy, rebuilt from checked facts; throws a GantryError to refuse the job. */
  async check(jobId: string, data: unknown, retried: boolean): Promise<DeployRequest> {
    const parsed = JobData.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw refuse(jobId, msg('error.text', { text: `${issue.path.join('.') || 'its data'}: ${issue.message}` }));
    }
    const job = parsed.data;
    if (job.id !== jobId) throw refuse(jobId, msg('error.guard.id-mismatch', { id: job.id }));
    const approval = job.approval === undefined ? undefined : await this.approvalOf(jobId, job);
    // an approved request is deployed exactly as it was approved, whatever else the job says
    const source = approval?.request ?? job;
    this.knownTarget(jobId, source.app, source.env);
    if (source.version !== undefined) validateVersion(source.version);
    else if (source.action !== 'rollback' && source.action !== 'shift') throw refuse(jobId, msg('error.guard.no-version', { action: source.action }));
    const shiftWrong = shiftProblem(this.d.config, source);
    if (shiftWrong) throw refuse(jobId, shiftWrong);
    const { config } = this.d;
    if (job.action === 'auto') await this.checkAuto(jobId, job);
    const automatic = job.action === 'rollback' && job.requestedBy.id === AUTO_REQUESTER;
    if (automatic) await this.checkAutoRollback(jobId, job);
    else if (job.failure !== undefined) throw refuse(jobId, msg('error.guard.failure-not-auto'));
    const { approvalsRequired, overridden } = await gateRequest(config, source, {
      at: this.d.now(),
      locks: this.d.envLocks,
      blocked: source.version === undefined ? null : await this.d.releases.blocked(source.app, source.version),
      version: source.version ?? '(previous release)',
      automatic,
    });
    let approvedBy: Actor[] = [];
    if (approval) approvedBy = this.votesOf(jobId, approval, approvalsRequired, retried);
    else if (approvalsRequired > 0) {
      throw refuse(jobId, msg('error.guard.needs-approval', { action: source.action, env: source.env, required: approvalsRequired }));
    } else if (job.approvedBy.length > 0) {
      throw refuse(jobId, msg('error.guard.approvers-unrecorded'));
    }
    return {
      id: job.id,
      action: source.action,
      app: source.app,
      env: source.env,
      ...(source.version !== undefined ? { version: source.version } : {}),
      ...(source.weight !== undefined ? { weight: source.weight } : {}),
      requestedBy: job.action === 'auto' ? autoActor(job.requestedBy) : automatic ? { id: AUTO_REQUESTER, name: 'gantry' } : actorFor(config, source.requestedBy.id),
      approvedBy,
      ...(source.force !== undefined ? { force: source.force } : {}),
      ...(overridden.length ? { overridden } : {}),
      ...(source.reason !== undefined ? { reason: source.reason } : {}),
      ...(approval ? { approval: approval.id } : {}),
      ...(automatic ? { failure: job.failure! } : {}),
    };
  }

  /** What a refused job asked for, for the `deploy-failed` report: its names replaced by the config's. */
  shown(jobId: string, data: unknown): DeployRequest {
    const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const text = (v: unknown, max: number) => (typeof v === 'string' && Line(max).safeParse(v).success ? v : '?');
    const by = d.requestedBy as { id?: unknown } | undefined;
    const action = ['promote', 'rollback', 'auto', 'shift'].includes(d.action as string) ? (d.action as DeployRequest['action']) : 'promote';
    return {
      id: jobId,
      action,
      app: text(d.app, 63),
      env: text(d.env, 63),
      ...(typeof d.version === 'string' ? { version: text(d.version, 128) } : {}),
      requestedBy: actorFor(this.d.config, text(by?.id, 200)),
      approvedBy: [],
    };
  }

  private knownTarget(jobId: string, app: string, env: string): void {
    const { config } = this.d;
    if (!Object.hasOwn(config.apps, app)) throw refuse(jobId, msg('error.guard.unknown-app', { app }));
    if (!Object.hasOwn(config.environments, env)) throw refuse(jobId, msg('error.guard.unknown-env', { env }));
    if (!Object.hasOwn(config.apps[app]!.deploy, env)) throw refuse(jobId, msg('error.guard.not-deployed', { app, env }));
  }

  /** Automatic deploys: gantry's own identity, no approvals anywhere, and only a release in the catalog. */
  private async checkAuto(jobId: string, job: JobData): Promise<void> {
    if (job.requestedBy.id !== AUTO_REQUESTER) throw refuse(jobId, msg('error.guard.auto-requester', { expected: AUTO_REQUESTER, got: job.requestedBy.id }));
    if (job.approval !== undefined || job.approvedBy.length > 0) throw refuse(jobId, msg('error.guard.auto-approvers'));
    if (job.force !== undefined) throw refuse(jobId, msg('error.guard.auto-force'));
    const required = this.d.config.environments[job.env]!.approvals?.required ?? 0;
    if (required > 0) throw refuse(jobId, msg('error.guard.auto-approvals', { env: job.env }));
    if (job.version === undefined || !(await this.d.releases.get(job.app, job.version))) {
      const version = job.version ?? msg('error.guard.version-missing');
      throw new GantryError('VERSION_UNKNOWN', msg('error.guard.not-a-release', { job: jobId, app: job.app, version }));
    }
  }

  /**
   * Automatic rollbacks: only where the environment says `onFailure: rollback` now, with the
   * failure as the reason, for a followed deploy of this app and environment that the rollout
   * store says failed and is still the newest there. Anyone may write a job; only a real failure
   * rolls back.
   */
  private async checkAutoRollback(jobId: string, job: JobData): Promise<void> {
    const env = this.d.config.environments[job.env]!;
    if (env.onFailure !== 'rollback') throw refuse(jobId, msg('error.guard.no-auto-rollback', { env: job.env }));
    if (job.failure === undefined || job.reason === undefined) throw refuse(jobId, msg('error.guard.auto-rollback-why'));
    if (job.approval !== undefined || job.approvedBy.length > 0 || job.force !== undefined) throw refuse(jobId, msg('error.guard.auto-approvers'));
    if (!job.failure.deploy.startsWith(`${job.app}:${job.env}:`)) throw refuse(jobId, msg('error.guard.other-deploy', { deploy: job.failure.deploy }));
    if (!(await this.d.failed?.(job.failure.deploy))) {
      throw new GantryError('DEPLOY_REFUSED', msg('error.guard.not-failed', { job: jobId, app: job.app, version: job.failure.version, env: job.env }));
    }
  }

  /** The approval the job names, which must be this very request and approved. */
  private async approvalOf(jobId: string, job: JobData): Promise<Approval> {
    const a = await this.d.approvals.get(job.approval!);
    if (!a) throw refuse(jobId, msg('error.guard.no-approval', { id: job.approval! }));
    if (a.bundle) throw refuse(jobId, msg('error.guard.bundle-approval', { id: a.id, name: a.bundle.name }));
    const r = a.request;
    const same =
      r.id === job.id && r.action === job.action && r.app === job.app && r.env === job.env && r.version === job.version && r.weight === job.weight && r.requestedBy.id === job.requestedBy.id;
    if (!same) throw refuse(jobId, msg('error.guard.other-request', { id: a.id }));
    return a;
  }

  /**
   * The approvers to write into the trailers: one per person, never the requester, each allowed
   * to approve in the environment now; at least as many as the policy and the approval ask for.
   * An executed approval passes only on a retry (the deployer finds its commit and does nothing twice).
   */
  votesOf(jobId: string, a: Approval, required: number, retried: boolean): Actor[] {
    if (a.status !== 'approved' && !(a.status === 'executed' && retried)) {
      throw new GantryError('APPROVAL_CLOSED', msg('error.guard.not-approved', { job: jobId, id: a.id, status: a.status }));
    }
    const counted = countedVotes(this.d.config, a);
    const need = Math.max(required, a.required);
    if (counted.length < need) {
      throw refuse(jobId, msg('error.guard.too-few-votes', { id: a.id, count: counted.length, need: String(need) }));
    }
    return counted;
  }
}

/** Gantry's own identity, with its "auto-deploy of tag v1.2.3" label only when it is one. */
function autoActor(a: { id: string; name?: string | undefined }): Actor {
  return a.name !== undefined && /^auto-deploy of (tag|branch) \S{1,128}$/.test(a.name) ? { id: AUTO_REQUESTER, name: a.name } : { id: AUTO_REQUESTER };
}
