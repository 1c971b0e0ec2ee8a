import { GantryError, isGantryError } from '../domain/errors.js';
import type { CommandContext, Core, Reply } from './context.js';
import { parseCommand, type CommandName, type ParsedCommand } from './grammar.js';
import { block, lock, unlock } from './handlers/admin.js';
import { approve, deny, promote, rollback } from './handlers/deploy.js';
import { diff, help, history, releases, status } from './handlers/read.js';
import { limitedText } from './rate-limit.js';

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
  diff,
  lock,
  unlock,
  block,
  unblock: block,
  help,
};

/**
 * Runs one command line for one actor and always answers: a refusal or a mistake is a reply
 * that says what was wrong (and, for usage errors, the usage line), never silence or a crash.
 */
export async function execute(core: Core, line: string, ctx: CommandContext): Promise<Reply> {
  // the limit comes first, so a flooding user costs one Redis call per line and nothing runs
  const limited = await core.limiter?.check(ctx.actor);
  const reply: Reply = limited ? { ok: false, text: limitedText(limited), code: 'RATE_LIMITED' } : await run(core, line, ctx);
  core.metrics?.commandAnswered(reply.command ?? 'none', reply.ok ? 'ok' : (reply.code ?? 'INTERNAL'), ctx.actor.id.slice(0, Math.max(0, ctx.actor.id.indexOf(':'))));
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
    if (isGantryError(e)) return { ok: false, text: e.message, code: e.code, ...(name ? { command: name } : {}) };
    core.log.error({ err: e, command: name }, 'command failed');
    const err = new GantryError('INTERNAL', 'something went wrong inside gantry; the error is in the server log. Check /status before trying again.');
    return { ok: false, text: err.message, code: err.code, ...(name ? { command: name } : {}) };
  }
}
