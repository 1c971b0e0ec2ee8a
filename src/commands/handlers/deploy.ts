import { randomUUID } from 'node:crypto';
import type { DeployRequest, DeployResult } from '../../domain/deploy.js';
import { formatDuration } from '../../domain/duration.js';
import { GantryError } from '../../domain/errors.js';
import { gate } from '../../domain/policy.js';
import { resolveVersion, validateVersion } from '../../domain/version.js';
import type { Plan } from '../../gitops/deployer.js';
import { describeActor, isEnv, resolveApp, resolveEnv, short, type CommandContext, type Core, type Reply } from '../context.js';
import { sanitize, usage, type ParsedCommand } from '../grammar.js';

const MAX_REASON = 200;

/** A --force reason or free-text reason: one line, bounded, no control characters. */
export function cleanReason(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  // bidi overrides and isolates go too: in a reply or the git log they would make the text read otherwise
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/[\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (t.length === 0) throw new GantryError('INPUT_INVALID', 'the reason is empty');
  if (t.length > MAX_REASON) throw new GantryError('INPUT_INVALID', `the reason is too long (${t.length} characters; at most ${MAX_REASON})`);
  return t;
}

/** `/promote [app] <version> <env> [--force "reason"]` */
export async function promote(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const [appArg, query, envArg] = promoteArgs(core, cmd.args);
  const app = resolveApp(core, 'promote', appArg, ctx);
  const env = resolveEnv(core, envArg);
  validateVersion(query);
  core.deployer.filesOf(app, env);
  const built = await core.releases.list(app);
  const { version, exact } = resolveVersion(query, built);
  const resolved = exact ? '' : ` (${query} resolved to ${version})`;
  const req: DeployRequest = {
    id: `promote-${randomUUID()}`,
    action: 'promote',
    app,
    env,
    version,
    requestedBy: ctx.actor,
    approvedBy: [],
    ...(cmd.force !== undefined ? { force: cleanReason(cmd.force)! } : {}),
  };
  return deployOrAsk(core, req, ctx, resolved);
}

/** `[app] <version> <env>`; a mistake is named as typed ("extra words", "the version comes first"). */
function promoteArgs(core: Core, args: string[]): [string | undefined, string, string] {
  const envs = Object.keys(core.config.environments).join(', ');
  const envAt = args.findIndex((a) => isEnv(core, a));
  const last = args.length - 1;
  if (args.length === 0) throw usage('promote', 'name a version and an environment');
  if (args.length === 1) {
    throw usage('promote', envAt === 0 ? `name the version to promote to ${args[0]}` : `name the environment to promote ${sanitize(args[0]!)} to (environments: ${envs})`);
  }
  if (envAt >= 0 && envAt < last) {
    if (envAt === 0) throw usage('promote', `the version comes before the environment: /promote ${sanitize(args.slice(1).join(' '))} ${args[0]}`);
    throw usage('promote', `unexpected "${sanitize(args.slice(envAt + 1).join(' '))}" after the environment ${args[envAt]} (a reason goes in --force "…")`);
  }
  if (args.length > 3) throw usage('promote', `too many words: "${sanitize(args.join(' '))}" is more than [app] <version> <env>`);
  // the last word is the environment; resolveEnv says what is wrong with it if it is not one
  return args.length === 3 ? [args[0], args[1]!, args[2]!] : [undefined, args[0]!, args[1]!];
}

/** `/rollback [app] <env> [version] [--force "reason"]` */
export async function rollback(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const a = cmd.args;
  let appArg: string | undefined;
  let envArg: string | undefined;
  let version: string | undefined;
  if (a.length === 1) [envArg] = a;
  else if (a.length === 2) {
    // `/rollback prod v1` or `/rollback web prod`: an environment name decides
    if (isEnv(core, a[0]) && !isEnv(core, a[1])) [envArg, version] = a;
    else [appArg, envArg] = a;
  } else if (a.length === 3) [appArg, envArg, version] = a;
  else throw usage('rollback', 'name the environment to roll back');
  const app = resolveApp(core, 'rollback', appArg, ctx);
  const env = resolveEnv(core, envArg!);
  if (version !== undefined) validateVersion(version);
  core.deployer.filesOf(app, env);
  const req: DeployRequest = {
    id: `rollback-${randomUUID()}`,
    action: 'rollback',
    app,
    env,
    ...(version !== undefined ? { version } : {}),
    requestedBy: ctx.actor,
    approvedBy: [],
    ...(cmd.force !== undefined ? { force: cleanReason(cmd.force)! } : {}),
  };
  return deployOrAsk(core, req, ctx, '');
}

async function deployOrAsk(core: Core, req: DeployRequest, ctx: CommandContext, resolved: string): Promise<Reply> {
  const blocked = req.version ? await core.releases.blocked(req.app, req.version) : null;
  const { approvalsRequired } = gate(core.config, {
    action: req.action,
    env: req.env,
    actorId: ctx.actor.id,
    ...(req.force !== undefined ? { force: req.force } : {}),
    now: core.now(),
    lock: await core.envLocks.get(req.env),
    blocked,
    version: req.version ?? '(previous release)',
  });
  // refuse now what the deploy would refuse (already there, order, nothing to roll back to,
  // manifests), before anyone is asked to approve it or a job is queued
  const plan = await core.deployer.preflight(req, core.readFreshnessMs);
  if (approvalsRequired > 0) return askApproval(core, req, { required: approvalsRequired, plan }, ctx, resolved);
  const result = await core.queue.submit(req, (ahead) => ctx.progress?.(`queued behind ${ahead} other deployment${ahead === 1 ? '' : 's'} to ${req.env}`));
  return { ok: true, text: describeResult(result, resolved, req), result };
}

async function askApproval(core: Core, req: DeployRequest, ask: { required: number; plan: Plan }, ctx: CommandContext, resolved: string): Promise<Reply> {
  const { required, plan } = ask;
  const approval = await core.approvals.request(req, required, plan, ctx.origin);
  const text =
    `approval ${approval.id} requested${resolved}: ${describeChange(req, plan.version)}` +
    `${plan.previousVersion ? ` (now ${plan.previousVersion})` : ''}` +
    ` needs ${required} approval${required === 1 ? '' : 's'} from ${approval.approvers.join(', ')}` +
    ` within ${formatDuration(Date.parse(approval.deadline) - Date.parse(approval.createdAt))}.\n` +
    plan.changes.map((c) => `  ${c.file}:${c.line}  ${c.before} → ${c.after}`).join('\n') +
    `\n/approve ${approval.id} or /deny ${approval.id} [reason]`;
  return { ok: true, text, approval };
}

function describeChange(req: DeployRequest, version: string): string {
  return req.action === 'rollback' ? `roll back ${req.app} in ${req.env} to ${version}` : `promote ${req.app} ${version} to ${req.env}`;
}

export function describeResult(r: DeployResult, resolved: string, req: DeployRequest): string {
  if (r.pullRequest) {
    const verb = r.action === 'rollback' ? `roll back ${r.app} in ${r.env} to ${r.version}` : `${r.action === 'auto' ? 'auto-deploy' : 'promote'} ${r.app} ${r.version} to ${r.env}${resolved}`;
    return `opened pull request #${r.pullRequest.number} to ${verb}: ${r.pullRequest.url}\n  branch ${r.pullRequest.branch}, commit ${short(r.commit)}; ${r.env} changes when it is merged`;
  }
  const from = r.previousVersion ? ` (was ${r.previousVersion})` : '';
  const files = [...new Set(r.changes.map((c) => c.file))];
  const head =
    r.action === 'rollback'
      ? `rolled back ${r.app} in ${r.env} to ${r.version}${from}: commit ${short(r.commit)}`
      : `${r.action === 'auto' ? 'auto-deployed' : 'promoted'} ${r.app} ${r.version} to ${r.env}${resolved}${from}: commit ${short(r.commit)}`;
  const lines = [head];
  if (files.length) lines.push(`  changed ${files.join(', ')}`);
  if (r.override) lines.push(`  override: ${r.override.reason} (passed ${r.override.passed.join('; ')})`);
  if (r.replayed) lines.push('  (this request had already been committed; nothing was done twice)');
  if (r.action === 'rollback') lines.push(`  ${r.env} is on hold: automatic deploys of ${r.app} stop until someone promotes by hand`);
  return lines.join('\n');
}

/** `/approve <id>` */
export async function approve(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const id = approvalId(cmd, 'approve');
  const outcome = await core.approvals.vote(id, ctx.actor);
  if (outcome.kind === 'recorded') {
    return {
      ok: true,
      text: `approval ${id}: approved by ${describeActor(core.config, ctx.actor)}; ${outcome.remaining} more needed`,
      approval: outcome.approval,
    };
  }
  const req = outcome.request;
  const result = await core.queue.submit(req, (ahead) => ctx.progress?.(`queued behind ${ahead} other deployment${ahead === 1 ? '' : 's'} to ${req.env}`));
  const approval = (await core.approvals.get(id)) ?? outcome.approval;
  const by = `  approved by ${req.approvedBy.map((a) => describeActor(core.config, a)).join(', ')}`;
  return { ok: true, text: `approval ${id} complete.\n${describeResult(result, '', req)}\n${by}`, result, approval };
}

/** `/deny <id> [reason]` */
export async function deny(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const id = approvalId(cmd, 'deny');
  const reason = cleanReason(cmd.args.slice(1).join(' ') || 'no reason given')!;
  // the requester withdraws their own request; anyone else must be an approver (src/approvals/rules.ts)
  const approval = await core.approvals.deny(id, ctx.actor, reason);
  const r = approval.request;
  return {
    ok: true,
    text: `approval ${id} denied by ${describeActor(core.config, ctx.actor)}: ${reason}. ${r.app} ${r.version ?? ''} will not go to ${r.env}.`,
    approval,
  };
}

function approvalId(cmd: ParsedCommand, name: 'approve' | 'deny'): string {
  const id = cmd.args[0];
  if (id === undefined) throw usage(name, 'name the approval request');
  const clean = id.replace(/^#/, '');
  if (!/^\d{1,12}$/.test(clean)) throw usage(name, `"${sanitize(id)}" is not an approval id (a number)`);
  if (name === 'approve' && cmd.args.length > 1) throw usage(name, 'too many arguments');
  return clean;
}
