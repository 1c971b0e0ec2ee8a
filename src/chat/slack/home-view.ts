import type { types } from '@slack/bolt';
import { msg, type Voice } from '../../i18n/voice.js';
import type { ApprovalView } from '../../queries/approvals.js';
import type { AppRunning, EnvStatus } from '../../queries/status.js';
import { approvalMessage, esc, MRKDWN, slackDate } from './render.js';

type KnownBlock = types.KnownBlock;

/** Slack's limits for a Home view: blocks per view, characters per section and header text. */
export const HOME_LIMITS = { blocks: 100, section: 3000, header: 150 } as const;

/** What one person's Home tab shows. */
export interface HomeContent {
  /** what runs where, per environment in promotion order (src/queries/status.ts) */
  envs: EnvStatus[];
  /** the apps in config order */
  apps: string[];
  /** each environment's upstream (`from:`), whose version it lags behind when they differ */
  upstream: ReadonlyMap<string, string>;
  /** the requests this person may vote on, nearest deadline first */
  approvals: ApprovalView[];
  /** where `gantry web` is reached (GANTRY_PUBLIC_URL), for the dashboard links */
  publicUrl?: string;
  now: Date;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text: clip(text, HOME_LIMITS.section) });
const section = (text: string): KnownBlock => ({ type: 'section', text: mrkdwn(text) });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [mrkdwn(text)] });
const header = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text: clip(text, HOME_LIMITS.header) } });
const divider: KnownBlock = { type: 'divider' };

/**
 * The Home tab: the viewer's pending approvals first (what they can act on), each as the very
 * card chat shows with the same Approve/Deny buttons, then the environment × version matrix, one
 * section per app. Whatever does not fit Slack's 100 blocks is counted in a last line that points
 * to the dashboard (or to chat when there is none): a view over the limit would not be shown at all.
 */
export function homeView(c: HomeContent, voice: Voice): types.HomeView {
  const blocks: KnownBlock[] = [];
  if (c.publicUrl) blocks.push(context(MRKDWN.link(c.publicUrl, voice.t('home.dashboard'))));
  const asksHead = [header(voice.t('home.approvals'))];
  if (!c.approvals.length) asksHead.push(context(voice.t('home.approvals.none')));
  const asks = [asksHead, ...c.approvals.map((a) => [...approvalMessage(a, voice).blocks.map(fitted), divider])];
  const notes = envNotes(c.envs, voice);
  const matrixHead = [header(voice.t('home.matrix'))];
  if (notes) matrixHead.push(context(notes));
  if (!c.apps.length) matrixHead.push(context(voice.t('home.matrix.none')));
  const matrix = [matrixHead, ...c.apps.map((app) => [section(appMatrix(app, c, voice))])];
  // room for the "more" and "updated" lines; approvals may take at most half of it while apps wait
  const limit = HOME_LIMITS.blocks - 2;
  const matrixSize = matrix.reduce((n, g) => n + g.length, 0);
  const forAsks = limit - Math.min(matrixSize, Math.floor((limit - blocks.length) / 2));
  const left = fill(blocks, asks, forAsks) + fill(blocks, matrix, limit);
  if (left) blocks.push(context(moreLine(left, c.publicUrl, voice)));
  blocks.push(context(voice.t('home.updated', { time: slackDate(c.now.toISOString(), voice) })));
  return { type: 'home', blocks };
}

/**
 * Appends whole groups (an approval card, an app) while `blocks` holds at most `limit` blocks; the
 * first group, the heading, always goes in. Returns how many groups were left out.
 */
function fill(blocks: KnownBlock[], groups: KnownBlock[][], limit: number): number {
  let left = 0;
  groups.forEach((g, i) => {
    if (i > 0 && (left || blocks.length + g.length > limit)) left++;
    else blocks.push(...g);
  });
  return left;
}

/** An approval card's section over Slack's limit (hundreds of changed files) is cut, its code block closed again. */
function fitted(b: KnownBlock): KnownBlock {
  if (b.type !== 'section' || !b.text || b.text.text.length <= HOME_LIMITS.section) return b;
  const fence = b.text.text.startsWith('```');
  const text = clip(b.text.text, HOME_LIMITS.section - 3);
  return { ...b, text: { ...b.text, text: fence ? `${text}\`\`\`` : text } };
}

/** `3 more items do not fit here. More on the dashboard` */
function moreLine(count: number, publicUrl: string | undefined, voice: Voice): string {
  const where = publicUrl ? MRKDWN.link(publicUrl, voice.t('home.more.dashboard')) : esc(voice.t('home.more.chat'));
  return `${voice.t('home.more', { count })} ${where}`;
}

/** Locks and freezes are the environment's: said once, with who and why. */
function envNotes(envs: EnvStatus[], voice: Voice): string {
  const lines: string[] = [];
  for (const e of envs) {
    const env = MRKDWN.bold(esc(e.env));
    if (e.lock) lines.push(`${env} ${voice.say(msg('status.locked', { by: e.lock.by, reason: e.lock.reason }), esc)}`);
    if (e.freeze) {
      lines.push(`${env} ${voice.say(msg('status.frozen', { until: { time: e.freeze.until }, reason: e.freeze.reason }), esc)}`);
    }
  }
  return lines.join('\n');
}

/** One app across the environments: version, who/when, badges, rollout, and which upstream it lags behind. */
function appMatrix(app: string, c: HomeContent, voice: Voice): string {
  const lines = [MRKDWN.bold(esc(app))];
  const versionIn = (env: string) => {
    const a = c.envs.find((e) => e.env === env)?.apps.find((x) => x.app === app);
    return a && 'images' in a ? a.version : undefined;
  };
  for (const e of c.envs) {
    const a = e.apps.find((x) => x.app === app);
    if (!a) continue;
    if (!('images' in a)) {
      lines.push(`${MRKDWN.bold(esc(e.env))} ${voice.say(msg('status.unreadable', { app, error: a.error }), esc)}`);
      continue;
    }
    const parts = [`${MRKDWN.bold(esc(e.env))} ${MRKDWN.code(a.version ?? voice.t('status.no-image'))}${lastLine(a, voice)}`];
    if (e.lock) parts.push(voice.t('home.badge.locked'));
    if (e.freeze) parts.push(voice.t('home.badge.frozen'));
    if (a.held) parts.push(voice.t('home.badge.held'));
    const from = c.upstream.get(e.env);
    const ahead = from === undefined ? undefined : versionIn(from);
    if (ahead !== undefined && ahead !== a.version) parts.push(voice.t('home.lag', { env: esc(from!), version: MRKDWN.code(ahead) }));
    const r = a.rollout;
    if (r) {
      const rollout = msg('status.rollout', { state: r.state, since: { time: r.since }, for: { duration: r.forMs }, message: r.message ?? '' });
      parts.push(voice.say(rollout, esc));
    }
    lines.push(parts.join(' · '));
  }
  return lines.join('\n');
}

/** `, promote by carol Dec 1, 2026, 19:05 UTC`: the newest change of the app's images there. */
function lastLine(a: AppRunning, voice: Voice): string {
  if (!a.last) return '';
  return voice.say(msg('status.last', { action: a.last.action, by: a.last.by, date: { time: a.last.date } }), esc);
}

/** Cuts text over Slack's limit at a line break where it can, so no link or escape is cut in half. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max - 1);
  return `${text.slice(0, cut > 0 ? cut : max - 1)}…`;
}
