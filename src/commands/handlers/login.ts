import { GantryError } from '../../domain/errors.js';
import { msg } from '../../i18n/voice.js';
import type { CommandContext, Core } from '../context.js';
import { usage, type ParsedCommand } from '../grammar.js';
import type { Reply } from '../replies.js';

/**
 * `/gantry login`: a one-time link that signs the asker in to the web dashboard as the identity
 * they asked from (the config user behind it, as in chat). The reply is for the asker alone:
 * each face delivers `login-link` privately (Slack ephemeral, DingTalk one-to-one, the shell).
 */
export async function login(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (cmd.args.length) throw usage('login', msg('signin.error.args'));
  if (!core.loginLinks) throw new GantryError('CONFIG_MISSING', msg('signin.error.no-public-url'));
  const link = await core.loginLinks.issue(ctx.actor.id);
  return { ok: true, kind: 'login-link', url: link.url, expiresAt: link.expiresAt };
}
