import { GantryError } from '../domain/errors.js';
import type { Approval, ApprovalStatus } from './store.js';

/**
 * The life of an approval request: pending → approved → executed | failed; pending → denied |
 * expired. Every change of `status` goes through `moveTo`, so no other path can skip a step
 * (a forged deploy job cannot turn a pending request into an executed one).
 */
const NEXT: Readonly<Record<ApprovalStatus, readonly ApprovalStatus[]>> = {
  pending: ['approved', 'denied', 'expired'],
  approved: ['executed', 'failed'],
  denied: [],
  expired: [],
  executed: [],
  failed: [],
};

/**
 * Why `a` cannot move to `to` at `now`, or undefined when it can. A pending request is open
 * until its deadline: after it, it can only expire; before it, it cannot.
 */
export function refusal(a: Approval, to: ApprovalStatus, now: Date): GantryError | undefined {
  if (!NEXT[a.status].includes(to)) {
    if (a.status === 'pending') return closed(`approval ${a.id} is pending, not approved`);
    const by = a.status === 'denied' && a.denied ? ` by ${a.denied.actor.name ?? a.denied.actor.id}` : '';
    return closed(`approval ${a.id} is already ${a.status}${by}`);
  }
  if (a.status !== 'pending') return undefined;
  const due = Date.parse(a.deadline) <= now.getTime();
  if (to === 'expired' && !due) return closed(`approval ${a.id} is open until ${a.deadline}`);
  if (to !== 'expired' && due) return closed(`approval ${a.id} expired at ${a.deadline}; ask for the promotion again`);
  return undefined;
}

/** Throws the refusal (code APPROVAL_CLOSED) unless `a` may move to `to` at `now`. */
export function assertCanMove(a: Approval, to: ApprovalStatus, now: Date): void {
  const why = refusal(a, to, now);
  if (why) throw why;
}

/** Moves `a` to `to`, or throws APPROVAL_CLOSED and leaves it as it was. */
export function moveTo(a: Approval, to: ApprovalStatus, now: Date): void {
  assertCanMove(a, to, now);
  a.status = to;
}

const closed = (message: string) => new GantryError('APPROVAL_CLOSED', message);
