import type { BodyOf } from '../commands/replies.js';
import { msg, type Message, type Voice } from '../i18n/voice.js';
import type { DeliveryFigures } from '../queries/stats.js';
import type { Markup } from './markup.js';

const IND = '  ';

/**
 * `/stats`: a title, then per app and environment (and all together, when there are several) the
 * four measures with their sample sizes. Nothing followed in the period says so and how to set
 * following up, rather than showing zeros as if they were measured.
 */
export function statsLines(r: BodyOf<'stats'>, v: Voice, m: Markup): string[] {
  const scope = { apps: { list: r.apps }, envs: { list: r.envs }, period: { duration: r.period } };
  const { rows, total } = r.stats;
  if (rows.length === 0) return [v.say(msg('stats.empty', scope), m.esc)];
  const lines = [v.say(msg('stats.title', { ...scope, from: { time: r.stats.from }, to: { time: r.stats.to } }), m.esc)];
  for (const row of rows) lines.push(m.bold(v.say(msg('stats.row', { app: row.app, env: row.env }), m.esc)), ...figureLines(row, v, m));
  if (rows.length > 1) lines.push(m.bold(v.say(msg('stats.total'), m.esc)), ...figureLines(total, v, m));
  return lines;
}

function figureLines(f: DeliveryFigures, v: Voice, m: Markup): string[] {
  const unsettled = f.unsettled > 0 ? msg('stats.unsettled', { n: f.unsettled }) : '';
  const lead = f.leadTime;
  const cf = f.changeFailure;
  const rs = f.restore;
  const open = rs.open > 0 ? msg('stats.restore.open', { n: rs.open }) : '';
  const said: Message[] = [
    msg('stats.deploys', { deploys: f.deploys, perDay: Math.round(f.perDay * 100) / 100, unsettled }),
    lead.p50 !== undefined && lead.p90 !== undefined
      ? msg('stats.lead', { p50: { duration: lead.p50 }, p90: { duration: lead.p90 }, n: lead.n })
      : msg('stats.lead.none'),
    cf.ratio !== undefined ? msg('stats.failure', { ratio: cf.ratio, failed: cf.failed, ended: cf.ended }) : msg('stats.failure.none'),
    rs.p50 !== undefined && rs.p90 !== undefined
      ? msg('stats.restore', { p50: { duration: rs.p50 }, p90: { duration: rs.p90 }, n: rs.n, open })
      : msg('stats.restore.none', { open: rs.open }),
  ];
  return said.map((s) => IND + v.say(s, m.esc));
}
