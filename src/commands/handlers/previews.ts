import { msg } from '../../i18n/voice.js';
import { listPreviews, previewsOf } from '../../previews/list.js';
import type { CommandContext, Core } from '../context.js';
import { resolveApp } from '../context.js';
import { usage, type ParsedCommand } from '../grammar.js';
import type { Reply } from '../replies.js';

/** `/previews [app]`: the app's preview environments, read from the deploy branch as last fetched. */
export async function previews(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (cmd.args.length > 1) throw usage('previews', msg('error.usage.unexpected', { word: JSON.stringify(cmd.args[1]!) }));
  const app = resolveApp(core, 'previews', cmd.args[0], ctx);
  previewsOf(core.config, app);
  await core.repo.fetchIfOlder(core.readFreshnessMs);
  return { ok: true, kind: 'previews', app, previews: await listPreviews(core, app, core.repo.tracking) };
}
