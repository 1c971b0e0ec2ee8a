import { USAGE, type CommandName } from '../commands/grammar.js';
import type { AnswerBody, BodyOf, Refusal, Reply } from '../commands/replies.js';
import type { DeployResult } from '../domain/deploy.js';
import { shortSha } from '../domain/sha.js';
import { msg, type Message, type Voice } from '../i18n/voice.js';
import type { DeployEntry } from '../queries/entry.js';
import type { EnvStatus } from '../queries/status.js';
import type { Markup } from './markup.js';
import { statsLines } from './stats-text.js';
import { bundleDeployedLines, bundleRequestedLines } from './bundle-text.js';
import { blueGreenDeployLines, blueGreenStatusLine } from './bluegreen-text.js';
import { previewLines } from './previews-text.js';

/**
 * A reply as lines of text in one language and one markup. `table`: the lines line up in
 * columns (status, history, releases, diff, stats, help), so a face shows them in monospace.
 * Detail lines start with two spaces, as the shell prints them.
 */
export interface ReplyText {
  lines: string[];
  table: boolean;
}

const IND = '  ';

/** Every reply kind's text, composed once for every face. */
export function replyText(r: Reply, v: Voice, m: Markup): ReplyText {
  if (!r.ok) return { lines: refusalLines(r, v, m), table: false };
  const table = TABLES.has(r.kind);
  return { lines: answerLines(r, v, m), table };
}

const TABLES = new Set<AnswerBody['kind']>(['status', 'history', 'releases', 'previews', 'diff', 'stats', 'help']);

function answerLines(r: AnswerBody, v: Voice, m: Markup): string[] {
  switch (r.kind) {
    case 'deployed':
      return deployedLines(r, v, m);
    case 'approval-requested':
      return requestedLines(r, v, m);
    case 'bundle-deployed':
      return bundleDeployedLines(r, v, m);
    case 'approval-voted':
      return [v.say(msg('approval.voted', { id: r.approval.id, by: r.by, remaining: r.remaining }), m.esc)];
    case 'approval-denied': {
      const a = r.approval;
      const params = { id: a.id, by: r.by, reason: r.reason, app: a.app, version: a.to ?? '', env: a.env };
      return [v.say(msg('approval.denied', params), m.esc)];
    }
    case 'status':
      return r.envs.flatMap((e) => statusLines(e, v, m));
    case 'history':
      if (r.entries.length === 0) return [v.say(msg('history.empty', { app: r.app, env: r.env }), m.esc)];
      return [v.say(msg('history.title', { app: r.app, env: r.env }), m.esc), ...r.entries.map((e) => historyLine(e, v, m))];
    case 'releases':
      if (r.releases.length === 0) return [v.say(msg('releases.empty', { app: r.app }), m.esc)];
      return [v.say(msg('releases.title', { app: r.app }), m.esc), ...releaseLines(r, v, m)];
    case 'previews':
      return previewLines(r, v, m);
    case 'diff':
      return diffLines(r, v, m);
    case 'verifying':
      return [v.say(msg('verify.queued', { app: r.app, version: r.version, env: r.env, checks: r.checks }), m.esc)];
    case 'stats':
      return statsLines(r, v, m);
    case 'locked':
      return [v.say(msg('lock.locked', { env: r.env, by: r.by, reason: r.reason }), m.esc)];
    case 'unlocked':
      return [
        r.was
          ? v.say(msg('lock.unlocked', { env: r.env, by: r.by, was: r.was.by, reason: r.was.reason }), m.esc)
          : v.say(msg('lock.not-locked', { env: r.env }), m.esc),
      ];
    case 'blocked':
      return [v.say(msg('block.blocked', { app: r.app, version: r.version, by: r.by, reason: r.reason }), m.esc)];
    case 'unblocked':
      return [v.say(msg(r.changed ? 'block.unblocked' : 'block.not-blocked', { app: r.app, version: r.version, by: r.by }), m.esc)];
    case 'help':
      return helpLines(r.topic, v, m);
    case 'login-link':
      // the address itself as the link's text: plain text (the shell, mail) shows only the text
      return [v.say(msg('signin.link', { until: { time: r.expiresAt }, url: URL_MARK }), m.esc).replace(URL_MARK, m.link(r.url, m.esc(r.url)))];
  }
}

function refusalLines(r: Refusal, v: Voice, m: Markup): string[] {
  const lines = v.say(r.message, m.esc).split('\n');
  if (r.usage) lines.push(v.t('refused.usage', { usage: m.code(USAGE[r.usage]) }));
  return lines;
}

/** What a deploy did: the commit (or pull request), files, override, hold; after an approval, who approved. */
function deployedLines(r: BodyOf<'deployed'>, v: Voice, m: Markup): string[] {
  const res = r.result;
  const lines: string[] = [];
  if (r.approval) lines.push(v.say(msg('approval.complete', { id: r.approval.id })));
  const resolved = resolvedText(r.resolved, res.action);
  const change = { action: res.action, app: res.app, env: res.env, version: res.version, resolved };
  const commit = m.link(r.commitUrl, shortSha(res.commit));
  if (res.pullRequest) {
    const pr = res.pullRequest;
    lines.push(v.say(msg('deploy.pull-request', { number: pr.number, change: msg('deploy.change', change), url: pr.url }), m.esc));
    lines.push(IND + withCommit(v.say(msg('deploy.pull-request.detail', { branch: pr.branch, commit: COMMIT, env: res.env }), m.esc), commit));
  } else {
    const was = res.previousVersion ? msg('deploy.was', { version: res.previousVersion }) : '';
    lines.push(withCommit(v.say(msg('deploy.done', { ...change, was, commit: COMMIT }), m.esc), commit));
    // a pull request changes nothing yet: what it will change is in the pull request
    lines.push(...deployDetails(res, v, m));
  }
  if (r.approvedBy?.length) lines.push(IND + v.say(msg('approval.approved-by', { names: { list: r.approvedBy } }), m.esc));
  return lines;
}

const URL_MARK = '\u0000url\u0000';

/** The commit goes in after escaping: it is markup (a link), and escaping would break it. */
const COMMIT = '\u0000commit\u0000';
function withCommit(text: string, commit: string): string {
  return text.replace(COMMIT, commit);
}

function resolvedText(resolved: BodyOf<'deployed'>['resolved'], action: DeployResult['action']): Message | string {
  return resolved && action !== 'rollback' ? msg('deploy.resolved', { query: resolved.query, version: resolved.version }) : '';
}

function deployDetails(res: DeployResult, v: Voice, m: Markup): string[] {
  const lines: string[] = [];
  const files = [...new Set(res.changes.map((c) => c.file))];
  if (files.length) lines.push(IND + v.say(msg('deploy.changed', { files: { list: files } }), m.esc));
  if (res.override) lines.push(IND + v.say(msg('deploy.override', { reason: res.override.reason, passed: res.override.passed.join('; ') }), m.esc));
  if (res.replayed) lines.push(IND + v.t('deploy.replayed'));
  if (res.action === 'rollback') lines.push(IND + v.say(msg('deploy.held', { env: res.env, app: res.app }), m.esc));
  lines.push(...blueGreenDeployLines(res, v, m).map((l) => IND + l));
  return lines;
}

function requestedLines(r: BodyOf<'approval-requested'>, v: Voice, m: Markup): string[] {
  const a = r.approval;
  if (a.bundle) return [...bundleRequestedLines({ ...a, bundle: a.bundle }, v, m), ...changeLines(a, m), v.t('approval.how', { id: a.id })];
  const version = a.to ?? '';
  const change = msg('deploy.change', { action: a.action, app: a.app, env: a.env, version, resolved: '' });
  const head = msg('approval.requested', {
    id: a.id,
    resolved: r.resolved ? msg('deploy.resolved', { query: r.resolved.query, version: r.resolved.version }) : '',
    change,
    now: a.from ? msg('approval.now', { version: a.from }) : '',
    required: a.required,
    approvers: { list: a.approvers },
    within: { duration: Date.parse(a.deadline) - Date.parse(a.createdAt) },
  });
  return [v.say(head, m.esc), ...changeLines(a, m), v.t('approval.how', { id: a.id })];
}

function changeLines(a: BodyOf<'approval-requested'>['approval'], m: Markup): string[] {
  return a.changes.map((c) => `${IND}${m.esc(`${c.file}:${c.line}`)}  ${m.code(c.before)} → ${m.code(c.after)}`);
}

function statusLines(e: EnvStatus, v: Voice, m: Markup): string[] {
  const marks: string[] = [];
  if (e.lock) marks.push(v.say(msg('status.locked', { by: e.lock.by, reason: e.lock.reason }), m.esc));
  if (e.freeze) marks.push(v.say(msg('status.frozen', { until: { time: e.freeze.until }, reason: e.freeze.reason }), m.esc));
  const lines = [`${m.bold(m.esc(e.env))}${marks.length ? `  [${marks.join('; ')}]` : ''}`];
  for (const a of e.apps) {
    if ('error' in a) {
      lines.push(IND + v.say(msg('status.unreadable', { app: a.app, error: a.error }), m.esc));
      continue;
    }
    const refs = [...new Set(a.images.map((i) => i.ref))].map((ref) => m.code(ref)).join(' ');
    const hold = a.held ? v.t('status.held') : '';
    const last = a.last ? v.say(msg('status.last', { action: a.last.action, by: a.last.by, date: { time: a.last.date } }), m.esc) : '';
    lines.push(`${IND}${m.esc(a.app)} ${m.esc(a.version ?? v.t('status.no-image'))}${hold}  ${refs}${last}`);
    if (a.blueGreen) lines.push(IND + IND + blueGreenStatusLine(a.blueGreen, v, m));
    if (a.rollout) {
      const r = a.rollout;
      lines.push(IND + IND + v.say(msg('status.rollout', { state: r.state, since: { time: r.since }, for: { duration: r.forMs }, message: r.message ?? '' }), m.esc));
    }
    if (a.verification) {
      // the address itself: plain text (the shell, mail) shows a link as its text only
      const log = a.verification.logUrl ? ` ${m.link(a.verification.logUrl, m.esc(a.verification.logUrl))}` : '';
      lines.push(IND + IND + v.say(msg('status.verification', { state: a.verification.state }), m.esc) + log);
    }
  }
  return lines;
}

function historyLine(e: DeployEntry, v: Voice, m: Markup): string {
  const params = {
    commit: COMMIT,
    date: { time: e.date },
    action: e.action,
    version: e.version ?? v.t('history.no-image'),
    from: e.from !== undefined ? msg('history.from', { version: e.from }) : '',
    by: e.by,
    approved: e.approvedBy.length ? msg('history.approved', { names: { list: e.approvedBy } }) : '',
    override: e.override ? msg('history.override', { reason: e.override }) : '',
  };
  return withCommit(v.say(msg('history.entry', params), m.esc), m.code(shortSha(e.sha)));
}

function releaseLines(r: BodyOf<'releases'>, v: Voice, m: Markup): string[] {
  return r.releases.map((rel) => {
    const imgs = rel.images.map((i) => `${i.name}=${i.repository}:${i.tag}${i.digest ? `@${i.digest.slice(0, 19)}…` : ''}`);
    const cols = [m.esc(rel.version), m.esc(v.time(rel.builtAt))];
    if (rel.commit) cols.push(m.code(shortSha(rel.commit)));
    cols.push(imgs.map((i) => m.code(i)).join(' '));
    if (rel.blocked) cols.push(v.say(msg('releases.blocked', { by: rel.blocked.by, reason: rel.blocked.reason }), m.esc));
    return cols.join('  ');
  });
}

function diffLines(r: BodyOf<'diff'>, v: Voice, m: Markup): string[] {
  const same = r.images.every((i) => i.a === i.b);
  const none = v.t('diff.none');
  return [
    v.say(msg('diff.title', { app: r.app, envA: r.envA, envB: r.envB, same: same ? 'yes' : 'no' }), m.esc),
    ...r.images.map((i) => `${IND}${m.esc(i.image)}: ${i.a ? m.code(i.a) : none} ${i.a === i.b ? '=' : '≠'} ${i.b ? m.code(i.b) : none}`),
  ];
}

function helpLines(topic: CommandName | undefined, v: Voice, m: Markup): string[] {
  if (topic) return [m.code(USAGE[topic]), `${IND}${v.t(`help.${topic}`)}`];
  return (Object.keys(USAGE) as CommandName[]).map((c) => `${m.code(USAGE[c].padEnd(50))} ${v.t(`help.${c}`)}`);
}
