import { randomUUID } from 'node:crypto';
import { GantryError } from '../../domain/errors.js';
import { requireAllowed } from '../../domain/policy.js';
import { msg } from '../../i18n/voice.js';
import { isApp, resolveApp, resolveEnv, type CommandContext, type Core } from '../context.js';
import { usage, type ParsedCommand } from '../grammar.js';
import type { Reply } from '../replies.js';

/**
 * `/verify [app] <env>`: runs the environment's `verify` checks again against what runs there
 * now. Whoever may promote to the environment may ask; the result follows in the conversation
 * (`verified` / `verify-failed`). A re-run never rolls back by itself: on-call asked for it, and
 * decides with its result.
 */
export async function verify(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const args = [...cmd.args];
  if (args.length === 0) throw usage('verify', msg('error.usage.no-env'));
  if (args.length > 2) throw usage('verify', msg('error.usage.too-many-arguments'));
  const appArg = args.length === 2 ? args.shift() : undefined;
  if (appArg !== undefined && !isApp(core, appArg)) resolveApp(core, 'verify', appArg, ctx);
  const env = resolveEnv(core, args[0]!);
  const app = resolveApp(core, 'verify', appArg, ctx);
  requireAllowed(core.config, 'promote', env, ctx.actor.id);
  const checks = core.config.environments[env]!.verify.length;
  if (checks === 0) throw new GantryError('INPUT_INVALID', msg('error.verify.no-checks', { env }));
  if (!Object.hasOwn(core.config.apps[app]!.deploy, env)) throw new GantryError('INPUT_INVALID', msg('error.guard.not-deployed', { app, env }));
  await core.repo.refreshIfOlder(core.readFreshnessMs);
  const found = await core.deployer.currentImages(app, env);
  const version = found[0]?.images.find((i) => i.tag)?.tag;
  if (version === undefined) throw new GantryError('VERSION_UNKNOWN', msg('error.verify.nothing-runs', { app, env }));
  // the deploy commit, when gantry followed the deploy of this version (GitHub's Deployment status follows it)
  const followed = await core.rollouts.latest(app, env);
  const commit = followed?.version === version ? followed.commit : undefined;
  const requestId = `verify-${app}-${env}-${randomUUID()}`;
  await core.verifications.add({ app, env, version, ...(commit ? { commit } : {}), requestId, requestedBy: ctx.actor }, requestId);
  return { ok: true, kind: 'verifying', app, env, version, checks, requestId };
}
