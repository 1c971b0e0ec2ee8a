import type { Config } from '../config/schema.js';
import type { BundlePreview } from '../domain/bundle.js';
import type { DeployChange, DeployRequest } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import type { Actor } from '../domain/identity.js';
import type { EventBus } from '../notify/events.js';
import { approvedRequest, approversFor, castVote, configPersons, deadlineFor, requireApprover, requireMayDeny, type PersonOf } from './rules.js';
import { moveTo, refusal } from './state.js';
import type { Approval, ApprovalStore } from './store.js';

export type VoteOutcome =
  | { kind: 'recorded'; approval: Approval; remaining: number }
  /** `request`: what to deploy now, approved by the voters */
  | { kind: 'approved'; approval: Approval; request: DeployRequest };

export interface ApprovalsDeps {
  config: Config;
  store: ApprovalStore;
  /** schedules the expiry job at the deadline (expiry.ts) */
  expiry: { schedule(id: string, deadline: Date): Promise<void> };
  bus: Pick<EventBus, 'publish'>;
  now(): Date;
}

/** What the approvers are shown of the change: the deployer's plan, as far as it concerns them. */
export interface ApprovalPlan {
  version: string;
  previousVersion?: string;
  changes: DeployChange[];
}

/**
 * The approvals module's one door: each call applies the rules (rules.ts) and the state machine
 * (state.ts) to the stored request atomically, reports what happened on the event bus, and
 * returns the outcome. Command handlers parse, call, queue the deploy and reply; nothing else.
 */
export class Approvals {
  constructor(private readonly d: ApprovalsDeps) {}

  get(id: string): Promise<Approval | undefined> {
    return this.d.store.get(id);
  }

  pending(): Promise<Approval[]> {
    return this.d.store.pending();
  }

  /** Opens a request for `req`, asks the environment's approvers, and schedules its expiry. */
  async request(req: DeployRequest, required: number, plan: ApprovalPlan, origin?: Record<string, string>, bundle?: BundlePreview): Promise<Approval> {
    const now = this.d.now();
    const deadline = deadlineFor(this.d.config, req.env, now);
    const approval = await this.d.store.create({
      request: { ...req, version: plan.version },
      required,
      approvers: approversFor(this.d.config, req.env),
      createdAt: now.toISOString(),
      deadline: deadline.toISOString(),
      preview: { ...(plan.previousVersion ? { previousVersion: plan.previousVersion } : {}), changes: plan.changes },
      ...(origin ? { origin } : {}),
      ...(bundle ? { bundle } : {}),
    });
    await this.d.expiry.schedule(approval.id, deadline);
    await this.d.bus.publish({ type: 'approval-requested', approval });
    return approval;
  }

  /**
   * `actor` approves request `id`. `persons` names the person behind an identity (default: the
   * config's; the Slack face knows users matched by e-mail too).
   */
  async vote(id: string, actor: Actor, persons: PersonOf = configPersons(this.d.config)): Promise<VoteOutcome> {
    requireApprover(this.d.config, await this.load(id), actor, persons);
    const { approval, value } = await this.d.store.update(id, (a) => castVote(a, actor, this.d.now(), persons));
    if (value === 'duplicate') {
      throw new GantryError('APPROVAL_CLOSED', msg('error.approval.duplicate', { id, remaining: String(approval.required - approval.votes.length) }));
    }
    if (approval.status !== 'approved') {
      // whoever voted, from wherever: the card that asked shows the vote (src/notify/delivery.ts)
      await this.d.bus.publish({ type: 'approval-voted', approval });
      return { kind: 'recorded', approval, remaining: approval.required - approval.votes.length };
    }
    await this.d.bus.publish({ type: 'approval-approved', approval });
    return { kind: 'approved', approval, request: approvedRequest(approval) };
  }

  /** `actor` denies request `id`, or withdraws it when it is their own. */
  async deny(id: string, actor: Actor, reason: string, persons: PersonOf = configPersons(this.d.config)): Promise<Approval> {
    requireMayDeny(this.d.config, await this.load(id), actor, persons);
    const now = this.d.now();
    const { approval } = await this.d.store.update(id, (a) => {
      moveTo(a, 'denied', now);
      a.denied = { actor, reason, at: now.toISOString() };
    });
    await this.d.bus.publish({ type: 'approval-denied', approval });
    return approval;
  }

  /**
   * Expires request `id` when the store's record is pending and past its deadline at `now`;
   * otherwise (approved, denied, not yet due) changes nothing and returns undefined.
   */
  async expire(id: string, now: Date): Promise<Approval | undefined> {
    const { approval, value } = await this.d.store.update(id, (a) => {
      if (refusal(a, 'expired', now)) return false;
      moveTo(a, 'expired', now);
      return true;
    });
    if (!value) return undefined;
    await this.d.bus.publish({ type: 'approval-expired', approval });
    return approval;
  }

  /**
   * Records how an approved request's deployment ended. Only an approved request can end
   * executed or failed: a forged deploy job naming a pending or denied approval changes nothing.
   */
  async finish(id: string, result: { commit?: string; error?: string }): Promise<Approval> {
    const to = result.commit ? 'executed' : 'failed';
    const now = this.d.now();
    const { approval } = await this.d.store.update(id, (a) => {
      if (refusal(a, to, now)) return;
      moveTo(a, to, now);
      a.result = result;
    });
    return approval;
  }

  private async load(id: string): Promise<Approval> {
    const a = await this.d.store.get(id);
    if (!a) throw new GantryError('APPROVAL_UNKNOWN', msg('error.approval.unknown', { id }));
    return a;
  }
}
