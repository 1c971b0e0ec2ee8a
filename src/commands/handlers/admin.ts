import { GantryError } from '../../domain/errors.js';
import { formatActor } from '../../domain/identity.js';
import { requireAllowed } from '../../domain/policy.js';
import { validateVersion } from '../../domain/version.js';
import { msg } from '../../i18n/voice.js';
import { describeActor, isApp, resolveApp, resolveEnv, type CommandContext, type Core } from '../context.js';
import type { Reply } from '../replies.js';
import { usage, type ParsedCommand } from '../grammar.js';
import { cleanReason } from './deploy.js';

/** `/lock <env> [reason]` */
export async function lock(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const [envArg, ...rest] = cmd.args;
  if (envArg === undefined) throw usage('lock', msg('error.usage.no-env'));
  const env = resolveEnv(core, envArg);
  requireAllowed(core.config, 'lock', env, ctx.actor.id);
  const reason = cleanReason(rest.join(' ') || 'no reason given')!;
  const existing = await core.envLocks.lock(env, { by: formatActor(ctx.actor), reason, at: core.now().toISOString() });
  if (existing) {
    const { by, reason } = existing;
    throw new GantryError('ENV_LOCKED', msg('error.lock.already', { env, by, since: { time: existing.at }, reason }));
  }
  await core.bus.publish({ type: 'locked', env, by: ctx.actor, reason });
  return { ok: true, kind: 'locked', env, by: describeActor(core.config, ctx.actor), reason };
}

/** `/unlock <env>` */
export async function unlock(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (cmd.args.length !== 1) throw usage('unlock', msg('error.usage.no-env'));
  const env = resolveEnv(core, cmd.args[0]!);
  requireAllowed(core.config, 'lock', env, ctx.actor.id);
  const prev = await core.envLocks.unlock(env);
  const by = describeActor(core.config, ctx.actor);
  if (!prev) return { ok: true, kind: 'unlocked', env, by };
  await core.bus.publish({ type: 'unlocked', env, by: ctx.actor, reason: prev.reason });
  return { ok: true, kind: 'unlocked', env, by, was: { by: prev.by, reason: prev.reason } };
}

/** `/block [app] <version> [reason]` and `/unblock [app] <version>` */
export async function block(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const name = cmd.name as 'block' | 'unblock';
  const args = [...cmd.args];
  const appArg = args.length >= 2 && isApp(core, args[0]) ? args.shift() : undefined;
  const version = args.shift();
  if (version === undefined) throw usage(name, msg('error.usage.no-version'));
  if (name === 'unblock' && args.length) throw usage(name, msg('error.usage.too-many-arguments'));
  const app = resolveApp(core, name, appArg, ctx);
  validateVersion(version);
  requireAllowed(core.config, 'block', undefined, ctx.actor.id);
  if (!(await core.releases.get(app, version))) {
    throw new GantryError('VERSION_UNKNOWN', msg('error.release.not-built-hint', { app, version }));
  }
  const by = describeActor(core.config, ctx.actor);
  if (name === 'unblock') {
    const changed = await core.releases.unblock(app, version);
    if (changed) await core.bus.publish({ type: 'unblocked', app, version, by: ctx.actor, reason: '' });
    return { ok: true, kind: 'unblocked', app, version, by, changed };
  }
  const reason = cleanReason(args.join(' ') || 'no reason given')!;
  await core.releases.block(app, version, { by: formatActor(ctx.actor), reason, at: core.now().toISOString() });
  await core.bus.publish({ type: 'blocked', app, version, by: ctx.actor, reason });
  return { ok: true, kind: 'blocked', app, version, by, reason };
}
