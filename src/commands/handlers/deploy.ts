import { randomUUID } from 'node:crypto';
import type { DeployRequest, DeployResult } from '../../domain/deploy.js';
import { GantryError } from '../../domain/errors.js';
import { gateRequest } from '../../domain/gate-request.js';
import { resolveVersion, validateVersion } from '../../domain/version.js';
import { msg } from '../../i18n/voice.js';
import type { Plan } from '../../gitops/deployer.js';
import { approvalView } from '../../queries/approvals.js';
import { commitUrl } from '../../queries/links.js';
import { describeActor, isEnv, resolveApp, resolveEnv, type CommandContext, type Core } from '../context.js';
import type { Answer, Reply, Resolved } from '../replies.js';
import { sanitize, usage, type ParsedCommand } from '../grammar.js';
import { approvedBundle, isBundleCommand, promoteBundle, rollbackBundle } from './bundle.js';
import { blueGreenOf } from '../../gitops/bluegreen/target.js';

const MAX_REASON = 200;

/** A --force reason or free-text reason: one line, bounded, no control characters. */
export function cleanReason(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  // bidi overrides and isolates go too: in a reply or the git log they would make the text read otherwise
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/[\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (t.length === 0) throw new GantryError('INPUT_INVALID', msg('error.reason.empty'));
  if (t.length > MAX_REASON) {
    throw new GantryError('INPUT_INVALID', msg('error.reason.too-long', { length: String(t.length), max: String(MAX_REASON) }));
  };
  return t;
}

/** `/promote [app] <version> <env> [--force "reason"]` */
export async function promote(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (isBundleCommand(core, cmd)) return promoteBundle(core, cmd, ctx);
  const [appArg, query, envArg] = promoteArgs(core, cmd.args);
  const app = resolveApp(core, 'promote', appArg, ctx);
  const env = resolveEnv(core, envArg);
  validateVersion(query);
  core.deployer.filesOf(app, env);
  const built = await core.releases.list(app);
  const { version, exact } = resolveVersion(query, built);
  const resolved = exact ? undefined : { query, version };
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
  const envs = Object.keys(core.config.environments);
  const envAt = args.findIndex((a) => isEnv(core, a));
  const last = args.length - 1;
  if (args.length === 0) throw usage('promote', msg('error.promote.missing'));
  if (args.length === 1) {
    const only = args[0]!;
    throw usage('promote', envAt === 0 ? msg('error.promote.no-version', { env: only }) : msg('error.promote.no-env', { version: sanitize(only), envs: { list: envs } }));
  }
  if (envAt >= 0 && envAt < last) {
    if (envAt === 0) throw usage('promote', msg('error.promote.version-first', { suggestion: `/promote ${sanitize(args.slice(1).join(' '))} ${args[0]}` }));
    throw usage('promote', msg('error.promote.after-env', { words: sanitize(args.slice(envAt + 1).join(' ')), env: args[envAt]! }));
  }
  if (args.length > 3) throw usage('promote', msg('error.promote.too-many', { words: sanitize(args.join(' ')) }));
  // the last word is the environment; resolveEnv says what is wrong with it if it is not one
  return args.length === 3 ? [args[0], args[1]!, args[2]!] : [undefined, args[0]!, args[1]!];
}

/** `/rollback [app] <env> [version] [--force "reason"]` */
export async function rollback(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (isBundleCommand(core, cmd)) return rollbackBundle(core, cmd, ctx);
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
  else throw usage('rollback', msg('error.rollback.no-env'));
  const app = resolveApp(core, 'rollback', appArg, ctx);
  const env = resolveEnv(core, envArg!);
  if (version !== undefined) validateVersion(version);
  core.deployer.filesOf(app, env);
  // blue-green: /rollback moves traffic back; another version goes to the idle colour by /promote
  if (version !== undefined && blueGreenOf(core.config, app, env)) throw usage('rollback', msg('error.bluegreen.rollback-version', { app, env, version }));
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
  return deployOrAsk(core, req, ctx);
}

async function deployOrAsk(core: Core, req: DeployRequest, ctx: CommandContext, resolved?: Resolved): Promise<Reply> {
  const blocked = req.version ? await core.releases.blocked(req.app, req.version) : null;
  const { approvalsRequired } = await gateRequest(core.config, req, { at: core.now(), locks: core.envLocks, blocked, version: req.version ?? '(previous release)' });
  // refuse now what the deploy would refuse (already there, order, nothing to roll back to,
  // manifests), before anyone is asked to approve it or a job is queued
  const plan = await core.deployer.preflight(req, core.readFreshnessMs);
  if (approvalsRequired > 0) return askApproval(core, req, { required: approvalsRequired, plan }, ctx, resolved);
  const result = await core.queue.submit(req, queued(req, ctx));
  return deployed(core, result, resolved);
}

/** Tells the asker where their request waits, when others are ahead of it. */
export function queued(req: DeployRequest, ctx: CommandContext): (ahead: number) => void {
  return (ahead) => void ctx.progress?.(msg('deploy.queued', { ahead, env: req.env }));
}

export function deployed(core: Core, result: DeployResult, resolved?: Resolved): Answer & { kind: 'deployed' } {
  const reply: Answer & { kind: 'deployed' } = { ok: true, kind: 'deployed', result };
  const url = commitUrl(core.config, result.commit);
  if (url) reply.commitUrl = url;
  if (resolved) reply.resolved = resolved;
  return reply;
}

export async function askApproval(core: Core, req: DeployRequest, ask: { required: number; plan: Plan }, ctx: CommandContext, resolved?: Resolved): Promise<Reply> {
  const { required, plan } = ask;
  const approval = await core.approvals.request(req, required, plan, ctx.origin);
  const reply: Answer = { ok: true, kind: 'approval-requested', approval: await approvalView(core, approval) };
  if (resolved) reply.resolved = resolved;
  return reply;
}

/** `/approve <id>` */
export async function approve(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const id = approvalId(cmd, 'approve');
  const outcome = await core.approvals.vote(id, ctx.actor);
  if (outcome.kind === 'recorded') {
    const approval = await approvalView(core, outcome.approval);
    return { ok: true, kind: 'approval-voted', approval, by: describeActor(core.config, ctx.actor), remaining: outcome.remaining };
  }
  if (outcome.approval.bundle) return approvedBundle(core, outcome.approval);
  const req = outcome.request;
  const result = await core.queue.submit(req, queued(req, ctx));
  const reply = deployed(core, result);
  reply.approval = await approvalView(core, (await core.approvals.get(id)) ?? outcome.approval);
  reply.approvedBy = req.approvedBy.map((a) => describeActor(core.config, a));
  return reply;
}

/** `/deny <id> [reason]` */
export async function deny(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const id = approvalId(cmd, 'deny');
  const reason = cleanReason(cmd.args.slice(1).join(' ') || 'no reason given')!;
  // the requester withdraws their own request; anyone else must be an approver (src/approvals/rules.ts)
  const approval = await approvalView(core, await core.approvals.deny(id, ctx.actor, reason));
  return { ok: true, kind: 'approval-denied', approval, by: describeActor(core.config, ctx.actor), reason };
}

function approvalId(cmd: ParsedCommand, name: 'approve' | 'deny'): string {
  const id = cmd.args[0];
  if (id === undefined) throw usage(name, msg('error.approval.no-id'));
  const clean = id.replace(/^#/, '');
  if (!/^\d{1,12}$/.test(clean)) throw usage(name, msg('error.approval.bad-id', { id: sanitize(id) }));
  if (name === 'approve' && cmd.args.length > 1) throw usage(name, msg('error.usage.too-many-arguments'));
  return clean;
}
