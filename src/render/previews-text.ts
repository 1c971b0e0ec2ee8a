import type { BodyOf } from '../commands/replies.js';
import { msg, type Voice } from '../i18n/voice.js';
import type { Markup } from './markup.js';

/** `/previews`: one line per preview, its pull request, version, address and last update. */
export function previewLines(r: BodyOf<'previews'>, v: Voice, m: Markup): string[] {
  if (r.previews.length === 0) return [v.say(msg('previews.empty', { app: r.app }), m.esc)];
  const rows = r.previews.map((p) =>
    [m.esc(`#${p.pr}`), m.esc(p.version ?? '?'), m.link(p.url, m.esc(p.url)), m.code(p.dir), v.say(msg('previews.updated', { at: { time: p.updatedAt } }), m.esc)].join('  '),
  );
  return [v.say(msg('previews.title', { app: r.app }), m.esc), ...rows];
}
