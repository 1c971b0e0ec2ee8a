import type { BlueGreenOutcome, Colour, DeployResult } from '../domain/deploy.js';
import { msg, type Message, type Voice } from '../i18n/voice.js';
import type { BlueGreenStatus } from '../queries/status.js';
import type { Markup } from './markup.js';

/** The blue-green lines of a deploy reply and of /status, for every face (src/render/reply-text.ts). */

const colourName = (colour: Colour): Message => msg('bluegreen.name', { colour });

/** `blue v1.2 90% (live) · green v1.3 10% (new)` */
export function coloursText(s: Pick<BlueGreenOutcome, 'versions' | 'weights' | 'live'> & { fresh?: Colour }, v: Voice, m: Markup): string {
  const one = (c: Colour) => {
    const role = c === s.live ? 'live' : c === s.fresh ? 'fresh' : 'none';
    return v.say(msg('bluegreen.colour', { name: colourName(c), version: s.versions[c] ?? '?', weight: s.weights[c], role }), m.esc);
  };
  return v.say(msg('bluegreen.colours', { colours: `${one('blue')} · ${one('green')}` }), (t) => t);
}

/** What a promote to the idle colour, a shift or a move back did to the colours. */
export function blueGreenDeployLines(res: DeployResult, v: Voice, m: Markup): string[] {
  const bg = res.blueGreen;
  if (!bg) return [];
  const colour = colourName(bg.colour);
  let said: Message;
  const complete = bg.live === bg.colour ? 'yes' : 'no';
  if (res.action === 'shift') said = msg('bluegreen.shifted', { colour, weight: bg.weights[bg.colour], complete });
  else if (res.action === 'rollback') said = msg('bluegreen.back', { colour });
  else said = msg('bluegreen.promoted', { colour, live: colourName(bg.live), env: res.env });
  const fresh = res.action === 'rollback' ? undefined : bg.colour;
  return [v.say(said, m.esc), coloursText({ ...bg, ...(fresh ? { fresh } : {}) }, v, m)];
}

export function blueGreenStatusLine(s: BlueGreenStatus, v: Voice, m: Markup): string {
  return coloursText(s, v, m);
}
