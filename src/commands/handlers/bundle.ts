import { createHash, randomUUID } from 'node:crypto';
import type { Approval } from '../../approvals/store.js';
import type { BundlePreview, BundleRequest, BundleResult } from '../../domain/bundle.js';
import type { DeployRequest } from '../../domain/deploy.js';
import { GantryError } from '../../domain/errors.js';
import { gateRequest } from '../../domain/gate-request.js';
import { requireAllowed } from '../../domain/policy.js';
import { msg } from '../../i18n/voice.js';
import type { BundlePlan } from '../../gitops/bundle-deployer.js';
import { approvalView } from '../../queries/approvals.js';
import { commitUrl } from '../../queries/links.js';
import { bundleFromPairs, registerBundle } from '../register-bundle.js';
import { describeActor, isApp, resolveEnv, type CommandContext, type Core } from '../context.js';
import { sanitize, usage, type ParsedCommand } from '../grammar.js';
import type { Answer, Reply } from '../replies.js';
import { cleanReason } from './deploy.js';

type Bundles = NonNullable<Core['bundles']>;

/** `/promote bundle <name> <env>` or `/promote --from <env> <env>`; an app named `bundle` keeps its name. */
export function isBundleCommand(core: Core, cmd: ParsedCommand): boolean {
  return cmd.from !== undefined || (cmd.args[0] === 'bundle' && !isApp(core, 'bundle'));
}

/** `/promote bundle 2026.12 prod`, `/promote --from staging prod` */
export async function promoteBundle(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const bundles = bundlesOf(core);
  let name: string;
  let env: string;
  if (cmd.from !== undefined) {
    if (cmd.args.length !== 1) throw usage('promote', msg('error.bundle.args'));
    env = resolveEnv(core, cmd.args[0]!);
    name = await bundleFromEnv(core, bundles, resolveEnv(core, cmd.from), env, ctx);
  } else {
    if (cmd.args.length !== 3) throw usage('promote', msg('error.bundle.args'));
    name = cmd.args[1]!;
    env = resolveEnv(core, cmd.args[2]!);
  }
  return bundleOrAsk(core, bundles, request('promote', name, env, cmd, ctx), ctx);
}

/** `/rollback bundle 2026.12 prod`: every app the bundle's newest promotion there moved, back to what ran before. */
export async function rollbackBundle(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const bundles = bundlesOf(core);
  if (cmd.args.length !== 3) throw usage('rollback', msg('error.bundle.args'));
  const env = resolveEnv(core, cmd.args[2]!);
  return bundleOrAsk(core, bundles, request('rollback', cmd.args[1]!, env, cmd, ctx), ctx);
}

function request(action: BundleRequest['action'], name: string, env: string, cmd: ParsedCommand, ctx: CommandContext): BundleRequest {
  if (name.length > 63) throw new GantryError('INPUT_INVALID', msg('error.bundle.name', { name: sanitize(name) }));
  const req: BundleRequest = { id: `bundle-${randomUUID()}`, action, bundle: name, env, requestedBy: ctx.actor, approvedBy: [] };
  if (cmd.force !== undefined) req.force = cleanReason(cmd.force)!;
  return req;
}

/**
 * Every app planned first (each refusal named), then the environment's approvals: asked once for
 * the whole bundle, or straight to one bundle job.
 */
async function bundleOrAsk(core: Core, bundles: Bundles, req: BundleRequest, ctx: CommandContext): Promise<Reply> {
  // as for one app: who may act here is asked before anything the deploy repo says is read or told
  requireAllowed(core.config, req.action, req.env, ctx.actor.id);
  if (req.force !== undefined) requireAllowed(core.config, 'breakGlass', req.env, ctx.actor.id);
  const plan = await bundles.deployer.preflight(req, core.readFreshnessMs);
  const { approvalsRequired } = await gateRequest(core.config, req, { at: core.now(), locks: core.envLocks, blocked: null, version: req.bundle });
  if (approvalsRequired > 0) return askApproval(core, req, plan, approvalsRequired, ctx);
  return bundleDeployed(core, await bundles.queue.submit(req));
}

async function askApproval(core: Core, req: BundleRequest, plan: BundlePlan, required: number, ctx: CommandContext): Promise<Reply> {
  const first = plan.items[0]!;
  const preview: BundlePreview = {
    name: req.bundle,
    apps: plan.items.map(({ req: r, plan: p }) => ({ app: r.app, version: p.version, changes: p.changes, ...(p.previousVersion ? { previousVersion: p.previousVersion } : {}) })),
  };
  // the approval's request names the first app; the bundle job deploys every app of `preview`
  const asked: DeployRequest = { id: req.id, action: req.action, app: first.req.app, env: req.env, version: first.plan.version, requestedBy: req.requestedBy, approvedBy: [] };
  if (req.force !== undefined) asked.force = req.force;
  const changes = plan.items.flatMap((i) => i.plan.changes);
  const approval = await core.approvals.request(asked, required, { version: first.plan.version, changes }, ctx.origin, preview);
  return { ok: true, kind: 'approval-requested', approval: await approvalView(core, approval) };
}

/** The last vote on a bundle's approval: one bundle job, as approved. */
export async function approvedBundle(core: Core, approval: Approval): Promise<Reply> {
  const bundles = bundlesOf(core);
  const r = approval.request;
  const action = r.action === 'rollback' ? 'rollback' : 'promote';
  const req: BundleRequest = { id: r.id, action, bundle: approval.bundle!.name, env: r.env, requestedBy: r.requestedBy, approvedBy: approval.votes.map((v) => v.actor), approval: approval.id };
  if (r.force !== undefined) req.force = r.force;
  const reply = bundleDeployed(core, await bundles.queue.submit(req));
  reply.approval = await approvalView(core, (await core.approvals.get(approval.id)) ?? approval);
  reply.approvedBy = req.approvedBy.map((a) => describeActor(core.config, a));
  return reply;
}

function bundleDeployed(core: Core, result: BundleResult): Answer & { kind: 'bundle-deployed' } {
  const reply: Answer & { kind: 'bundle-deployed' } = { ok: true, kind: 'bundle-deployed', result };
  const url = commitUrl(core.config, result.commit);
  if (url) reply.commitUrl = url;
  return reply;
}

/**
 * `--from staging prod`: every app deployed to both whose version in `from` differs from `env`'s,
 * registered as bundle `<from>-<hash of its versions>` (the same versions make the same bundle).
 */
async function bundleFromEnv(core: Core, bundles: Bundles, from: string, env: string, ctx: CommandContext): Promise<string> {
  if (from === env) throw usage('promote', msg('error.bundle.from-same', { env }));
  await core.repo.fetchIfOlder(core.readFreshnessMs);
  const at = core.repo.tracking;
  const pairs: { app: string; version: string }[] = [];
  for (const [app, cfg] of Object.entries(core.config.apps)) {
    if (!Object.hasOwn(cfg.deploy, from) || !Object.hasOwn(cfg.deploy, env)) continue;
    const [there, here] = await Promise.all([core.deployer.timeline(app, from, 1, at), core.deployer.timeline(app, env, 1, at)]);
    const version = there.current.version;
    if (version !== undefined && version !== here.current.version) pairs.push({ app, version });
  }
  if (pairs.length === 0) throw new GantryError('ALREADY_DEPLOYED', msg('error.bundle.from-nothing', { from, env }));
  const key = pairs.map((p) => `${p.app}=${p.version}`).sort().join(' ');
  const name = `${from}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  const bundle = await bundleFromPairs({ config: core.config, releases: core.releases, bundles: bundles.store }, name, pairs, ctx.actor.id, core.now());
  await registerBundle({ bundles: bundles.store }, bundle);
  return name;
}

function bundlesOf(core: Core): Bundles {
  if (!core.bundles) throw new GantryError('INTERNAL', 'bundles are not wired in this process');
  return core.bundles;
}
