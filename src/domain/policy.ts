import type { Config, Environment } from '../config/schema.js';
import { msg } from '../i18n/voice.js';
import { GantryError } from './errors.js';
import { activeFreeze } from './freeze.js';
import { matchesAny } from './identity.js';
import { own } from './own.js';

/** What someone can be allowed to do in an environment (who may approve: src/approvals/rules.ts). */
export type Permission = 'promote' | 'rollback' | 'lock' | 'breakGlass' | 'block' | 'shift';

export interface EnvLock {
  by: string;
  reason: string;
  at: string;
}

export interface BlockMark {
  by: string;
  reason: string;
  at: string;
}

/** The principals that hold a permission in an environment (block is global). */
export function principalsFor(config: Config, envName: string | undefined, perm: Permission): string[] {
  if (perm === 'block') return config.block;
  const env = envOf(config, envName!);
  switch (perm) {
    case 'promote':
      return env.promote;
    case 'rollback':
      return env.rollback;
    case 'lock':
      return env.lock ?? [...env.promote, ...env.rollback];
    case 'breakGlass':
      return env.breakGlass;
    case 'shift':
      return env.shift ?? env.promote;
  }
}

export function isAllowed(config: Config, perm: Permission, envName: string | undefined, actorId: string): boolean {
  return matchesAny(config, principalsFor(config, envName, perm), actorId);
}

export function requireAllowed(config: Config, perm: Permission, envName: string | undefined, actorId: string): void {
  if (isAllowed(config, perm, envName, actorId)) return;
  const who = principalsFor(config, envName, perm);
  const allowed = who.length ? msg('error.policy.allowed', { list: { list: who } }) : msg('error.policy.nobody');
  throw new GantryError('NOT_ALLOWED', msg('error.policy.not-allowed', { who: actorId, perm, env: envName ?? '', allowed }));
}

export function envOf(config: Config, name: string): Environment {
  const env = own(config.environments, name);
  if (!env) {
    throw new GantryError('ENV_UNKNOWN', msg('error.env.unknown', { env: name, known: { list: Object.keys(config.environments) } }));
  }
  return env;
}

export interface GateInput {
  action: 'promote' | 'rollback' | 'auto' | 'shift';
  env: string;
  actorId: string;
  /** the break-glass reason given with --force */
  force?: string;
  now: Date;
  lock: EnvLock | null;
  /** the block mark of the release being deployed, if any */
  blocked: BlockMark | null;
  version: string;
  /** the config itself asked for it (`onFailure: rollback`): no person's right to check */
  automatic?: boolean;
  /** a blue-green shift: whether it is the first to the new colour and whether it completes it (approvals.shift) */
  shift?: ShiftStep;
}

export interface ShiftStep {
  first: boolean;
  complete: boolean;
}

export interface GateResult {
  approvalsRequired: number;
  /** what --force passed ("lock by alice: db migration"), for the Gantry-Override trailer */
  overridden: string[];
}

/**
 * The repo-independent part of policy: permission, block marks, locks, freeze windows,
 * break-glass and how many approvals are needed. Throws a GantryError that says why not.
 */
export function gate(config: Config, input: GateInput): GateResult {
  const env = envOf(config, input.env);
  if (input.action !== 'auto' && !input.automatic) requireAllowed(config, input.action, input.env, input.actorId);
  if (input.force !== undefined) requireAllowed(config, 'breakGlass', input.env, input.actorId);
  const overridden: string[] = [];
  if (input.blocked) {
    // a blocked release is never promoted; going back to one is break-glass (it may be the least bad)
    if (input.action !== 'rollback' || input.force === undefined) {
      const { by, reason } = input.blocked;
      const rollback = input.action === 'rollback' ? 'yes' : 'no';
      throw new GantryError('RELEASE_BLOCKED', msg('error.policy.blocked', { version: input.version, by, reason, rollback }));
    }
    overridden.push(`block by ${input.blocked.by}: ${input.blocked.reason}`);
  }
  if (input.lock) {
    if (input.force === undefined || input.action === 'auto') {
      const { by, at, reason } = input.lock;
      throw new GantryError('ENV_LOCKED', msg('error.policy.locked', { env: input.env, by, since: { time: at }, reason }));
    }
    overridden.push(`lock by ${input.lock.by}: ${input.lock.reason}`);
  }
  // Freeze windows stop promotions, never rollbacks: rolling back is how a frozen prod gets fixed.
  if (input.action !== 'rollback') {
    const freeze = activeFreeze(env.freeze, input.now);
    if (freeze) {
      if (input.force === undefined || input.action === 'auto') {
        const until = { time: freeze.until.toISOString() };
        throw new GantryError('ENV_FROZEN', msg('error.policy.frozen', { env: input.env, reason: freeze.reason, until }));
      }
      overridden.push(`freeze: ${freeze.reason}`);
    }
  }
  let approvalsRequired = 0;
  if (input.action === 'promote' || (input.action === 'rollback' && env.rollbackApprovals)) {
    approvalsRequired = env.approvals?.required ?? 0;
  } else if (input.action === 'shift' && input.shift && shiftNeedsApproval(env.approvals?.shift ?? 'none', input.shift)) {
    approvalsRequired = env.approvals?.required ?? 0;
  }
  return { approvalsRequired, overridden };
}

/** `approvals.shift`: which steps of moving traffic to a new colour wait for approvals. */
function shiftNeedsApproval(rule: 'none' | 'first' | 'complete' | 'every', step: ShiftStep): boolean {
  return rule === 'every' || (rule === 'first' && step.first) || (rule === 'complete' && step.complete);
}
