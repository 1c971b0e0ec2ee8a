import type { Config } from '../config/schema.js';
import { matchesAny } from '../domain/identity.js';
import type { GantryEvent } from './events.js';
import { bundleAppsOf } from './bundle-scope.js';

/** The app and environment an event concerns (either may be absent: a lock concerns every app). */
export function eventScope(e: GantryEvent): { app?: string; env?: string } {
  switch (e.type) {
    case 'deployed':
    case 'rolled-back':
      return { app: e.result.app, env: e.result.env };
    case 'deploy-failed':
      return { app: e.request.app, env: e.request.env };
    case 'rolled-out':
    case 'rollout-failed':
      return { app: e.rollout.app, env: e.rollout.env };
    case 'verified':
    case 'verify-failed':
      return { app: e.verification.app, env: e.verification.env };
    case 'approval-requested':
    case 'approval-voted':
    case 'approval-approved':
    case 'approval-denied':
    case 'approval-expired':
      return { app: e.approval.request.app, env: e.approval.request.env };
    case 'locked':
    case 'unlocked':
    case 'frozen':
    case 'unfrozen':
      return { env: e.env };
    case 'blocked':
    case 'unblocked':
    case 'release-added':
      return { app: e.app };
    case 'build-succeeded':
    case 'build-failed':
      return { app: e.build.app };
    case 'release-built':
      return { app: e.release.app };
    default:
      return {};
  }
}

/**
 * Every target the config's notify rules send this event to, once each. A rule without apps or
 * environments matches all; an event without an app (a lock) matches every app filter, a bundle's
 * event any filter naming one of its apps.
 */
export function routeEvent(config: Config, e: GantryEvent): string[] {
  // a vote only updates the message that asked (approvalOf); rules cannot name it
  if (e.type === 'approval-voted') return [];
  const { app, env } = eventScope(e);
  const apps = bundleAppsOf(e) ?? (app !== undefined ? [app] : undefined);
  const out = new Set<string>();
  for (const rule of config.notify) {
    if (!rule.events.includes(e.type)) continue;
    const only = rule.apps;
    if (only && apps !== undefined && !apps.some((a) => only.includes(a))) continue;
    if (rule.environments && (env === undefined || !rule.environments.includes(env))) continue;
    rule.to.forEach((t) => out.add(t));
  }
  if (e.type === 'approval-requested' && config.email?.approvers) {
    for (const email of approverEmails(config, e.approval.approvers, e.approval.request.requestedBy.id)) out.add(`email:${email}`);
  }
  return [...out];
}

/** The e-mail addresses of the config users who may approve (never the requester). */
export function approverEmails(config: Config, approvers: readonly string[], requester: string): string[] {
  return Object.values(config.users)
    .filter((u) => u.email && !u.ids.includes(requester) && u.ids.some((id) => matchesAny(config, approvers, id)))
    .map((u) => u.email!);
}

/** The approval an event is about, when the message that asked for it should be updated. */
export function approvalOf(e: GantryEvent): string | undefined {
  switch (e.type) {
    case 'approval-requested':
      return undefined; // the asking reply itself is that message
    case 'approval-voted':
    case 'approval-approved':
    case 'approval-denied':
    case 'approval-expired':
      return e.approval.id;
    case 'deployed':
    case 'rolled-back':
    case 'deploy-failed':
      return e.request.approval;
    default:
      return undefined;
  }
}

/** The deploy commit an event is about, whose page its line links to. */
export function deployCommitOf(e: GantryEvent): string | undefined {
  if (e.type === 'deployed' || e.type === 'rolled-back') return e.result.commit;
  if (e.type === 'rolled-out' || e.type === 'rollout-failed') return e.rollout.commit;
  return undefined;
}

/** Where the people who started a deploy hear how it went: its request's thread, or its approval's card. */
export interface FollowUp {
  requestId?: string;
  approval?: string;
}

/**
 * The deploy an event follows up on: how its rollout and its verification went, and the
 * automatic rollback that answered its failure; undefined for every other event.
 */
export function followUpOf(e: GantryEvent): FollowUp | undefined {
  const pick = (requestId: string | undefined, approval: string | undefined): FollowUp | undefined =>
    requestId === undefined && approval === undefined ? undefined : { ...(requestId !== undefined ? { requestId } : {}), ...(approval !== undefined ? { approval } : {}) };
  switch (e.type) {
    case 'rolled-out':
    case 'rollout-failed':
      return pick(e.rollout.requestId, e.rollout.approval);
    case 'verified':
    case 'verify-failed':
      return pick(e.verification.requestId, undefined);
    case 'rolled-back':
    case 'deploy-failed':
      return e.request.failure ? pick(e.request.failure.requestId, undefined) : undefined;
    default:
      return undefined;
  }
}
