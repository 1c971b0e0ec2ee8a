import { isGantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import type { CommandContext, Core } from './context.js';
import { isCommandName, parseCommand, type CommandName, type ParsedCommand } from './grammar.js';
import { block, lock, unlock } from './handlers/admin.js';
import { approve, deny, promote, rollback } from './handlers/deploy.js';
import { diff, help, history, releases, stats, status } from './handlers/read.js';
import { login } from './handlers/login.js';
import { verify } from './handlers/verify.js';
import { shift, switchTraffic } from './handlers/shift.js';
import { previews } from './handlers/previews.js';
import { limitedMessage } from './rate-limit.js';
import type { Refusal, Reply } from './replies.js';

type Handler = (core: Core, cmd: ParsedCommand, ctx: CommandContext) => Promise<Reply>;

/** One handler per command, listed in one place. */
const HANDLERS: Record<CommandName, Handler> = {
  promote,
  rollback,
  approve,
  deny,
  status,
  history,
  releases,
  previews,
  diff,
  stats,
  verify,
  lock,
  unlock,
  block,
  unblock: block,
  help,
  login,
  shift,
  switch: switchTraffic,
};

/**
 * Runs one command line for one actor and always answers: a refusal or a mistake is a reply
 * that says what was wrong (and, for usage errors, the usage line), never silence or a crash.
 */
export async function execute(core: Core, line: string, ctx: CommandContext): Promise<Reply> {
  // the limit comes first, so a flooding user costs one Redis call per line and nothing runs
  const limited = await core.limiter?.check(ctx.actor);
  const reply: Reply = limited ? { ok: false, kind: 'refused', code: 'RATE_LIMITED', message: limitedMessage(limited) } : await run(core, line, ctx);
  const platform = ctx.actor.id.slice(0, Math.max(0, ctx.actor.id.indexOf(':')));
  core.metrics?.commandAnswered(reply.command ?? 'none', reply.ok ? 'ok' : reply.code, platform);
  return reply;
}

async function run(core: Core, line: string, ctx: CommandContext): Promise<Reply> {
  let name: CommandName | undefined;
  try {
    const cmd = parseCommand(line);
    name = cmd.name;
    const reply = await HANDLERS[cmd.name](core, cmd, ctx);
    return { ...reply, command: cmd.name };
  } catch (e) {
    const refusal: Refusal = isGantryError(e)
      ? { ok: false, kind: 'refused', code: e.code, message: e.detail }
      : { ok: false, kind: 'refused', code: 'INTERNAL', message: msg('refused.internal') };
    if (!isGantryError(e)) core.log.error({ err: e, command: name }, 'command failed');
    if (isGantryError(e) && e.usage !== undefined && isCommandName(e.usage)) refusal.usage = e.usage;
    if (name) refusal.command = name;
    return refusal;
  }
}
