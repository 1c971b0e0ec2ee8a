import { DEFAULT_APPROVAL_DEADLINE, type Config } from '../config/schema.js';
import type { DeployRequest } from '../domain/deploy.js';
import { parseDuration } from '../domain/duration.js';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import { matchesAny, personOf, userOf, type Actor } from '../domain/identity.js';
import { envOf } from '../domain/policy.js';
import { assertCanMove, moveTo } from './state.js';
import type { Approval, Vote } from './store.js';

/**
 * Who may do what with an approval request. Every rule goes by person (the config user behind
 * an identity, src/domain/identity.ts), never by platform identity: alice on Slack and alice on
 * DingTalk are one requester and one vote.
 */

/** Names the person behind an identity; the web process may know more (Slack users matched by e-mail). */
export type PersonOf = (identity: string) => string;

export function configPersons(config: Config): PersonOf {
  return (identity) => personOf(config, identity);
}

/** The config user a person is, if any (an unmapped identity is its own person and no user). */
function userOfPerson(config: Config, person: string): string | undefined {
  return Object.hasOwn(config.users, person) ? person : undefined;
}

/** The principals that may approve in an environment: `approvals.from`, else whoever may promote. */
export function approversFor(config: Config, env: string): string[] {
  const e = envOf(config, env);
  return e.approvals?.from ?? e.promote;
}

/** When a request opened at `now` expires: the environment's `approvals.deadline`. */
export function deadlineFor(config: Config, env: string, now: Date): Date {
  return new Date(now.getTime() + parseDuration(envOf(config, env).approvals?.deadline ?? DEFAULT_APPROVAL_DEADLINE));
}

/** The person a vote counts for; votes recorded before persons were kept are read by identity. */
export function voterOf(v: Vote, persons: PersonOf): string {
  return (v.person as string | undefined) ?? persons(v.actor.id);
}

/** Refuses (NOT_ALLOWED) someone the request does not name as an approver. */
export function requireApprover(config: Config, a: Approval, actor: Actor, persons: PersonOf): void {
  if (!matchesAny(config, a.approvers, actor.id, userOfPerson(config, persons(actor.id)))) {
    throw new GantryError('NOT_ALLOWED', msg('error.approval.not-approver', { env: a.request.env, approvers: { list: a.approvers } }));
  }
}

/** The requester (from any of their identities) may withdraw their own request; anyone else must be an approver. */
export function requireMayDeny(config: Config, a: Approval, actor: Actor, persons: PersonOf): void {
  if (persons(a.request.requestedBy.id) !== persons(actor.id)) requireApprover(config, a, actor, persons);
}

/**
 * Records `actor`'s vote on `a` in place. One person, one vote: the requester cannot approve from
 * another platform, and a second identity of someone who already voted adds nothing
 * ('duplicate'). The last vote needed moves the request to approved.
 */
export function castVote(a: Approval, actor: Actor, now: Date, persons: PersonOf): 'counted' | 'duplicate' {
  assertCanMove(a, 'approved', now);
  const person = persons(actor.id);
  if (persons(a.request.requestedBy.id) === person) {
    throw new GantryError('SELF_APPROVAL', msg('error.approval.self', { id: a.id, as: a.request.requestedBy.id }));
  }
  if (a.votes.some((v) => voterOf(v, persons) === person)) return 'duplicate';
  a.votes.push({ actor, person, at: now.toISOString() });
  if (a.votes.length >= a.required) moveTo(a, 'approved', now);
  return 'counted';
}

/** The deploy request an approved request becomes: approved by its voters. */
export function approvedRequest(a: Approval): DeployRequest {
  return { ...a.request, approvedBy: a.votes.map((v) => v.actor) };
}

/**
 * The votes that count now, re-checked against the config (the deploy worker trusts no job and
 * no stale vote): one per person, never the requester, each allowed to approve in the
 * environment now. Named as the trailers name them: by the config user, else by identity.
 */
export function countedVotes(config: Config, a: Approval): Actor[] {
  const person = configPersons(config);
  const requester = person(a.request.requestedBy.id);
  const approvers = approversFor(config, a.request.env);
  const counted = new Map<string, Actor>();
  for (const v of a.votes) {
    const who = voterOf(v, person);
    if (who === requester || person(v.actor.id) === requester || counted.has(who)) continue;
    // the person the vote recorded counts where this process cannot resolve the identity itself
    // (a Slack user matched by e-mail in the web process)
    const user = userOfPerson(config, who) ?? userOf(config, v.actor.id);
    if (matchesAny(config, approvers, v.actor.id, user)) counted.set(who, approverActor(config, v.actor.id, user));
  }
  return [...counted.values()];
}

/** An approver as the trailers name them: the config user's name, from the vote's person if need be. */
function approverActor(config: Config, id: string, user: string | undefined): Actor {
  return user === undefined ? { id } : { id, name: config.users[user]!.name ?? user };
}
