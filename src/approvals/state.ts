import { GantryError } from '../domain/errors.js';
import { msg, type Message } from '../i18n/voice.js';
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
    if (a.status === 'pending') return closed(msg('error.approval.not-yet-approved', { id: a.id }));
    if (a.status === 'denied' && a.denied) {
      return closed(msg('error.approval.already-denied', { id: a.id, by: a.denied.actor.name ?? a.denied.actor.id }));
    }
    return closed(msg('error.approval.already', { id: a.id, status: a.status }));
  }
  if (a.status !== 'pending') return undefined;
  const due = Date.parse(a.deadline) <= now.getTime();
  if (to === 'expired' && !due) return closed(msg('error.approval.open-until', { id: a.id, deadline: { time: a.deadline } }));
  if (to !== 'expired' && due) return closed(msg('error.approval.expired', { id: a.id, deadline: { time: a.deadline } }));
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

const closed = (message: Message) => new GantryError('APPROVAL_CLOSED', message);
