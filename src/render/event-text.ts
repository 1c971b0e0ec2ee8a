import { shortSha } from '../domain/sha.js';
import type { Actor } from '../domain/identity.js';
import { checkedMessage, msg, type Message, type Voice } from '../i18n/voice.js';
import type { GantryEvent } from '../notify/events.js';
import type { Markup } from './markup.js';
import { bundleEventMessage } from './bundle-event-text.js';

/** Links a face may put into an event's line: the deploy commit's page (a build links its check run itself). */
export interface EventLinks {
  commit?: string;
}

/** The commit and the log are put in after escaping: they may be links (markup). */
const COMMIT = '\u0000commit\u0000';
const LOG = '\u0000log\u0000';

const who = (a: Actor) => a.name ?? a.id;

/**
 * One line about an event, the same on every platform (chat reports, e-mail subjects, the
 * webhook's `text`), in the reader's language; undefined for events no one reads as a line.
 */
export function eventLine(e: GantryEvent, v: Voice, m: Markup, links: EventLinks = {}): string | undefined {
  const said = eventMessage(e);
  if (!said) return undefined;
  let text = v.say(said.message, m.esc);
  if (said.commit) text = text.replace(COMMIT, m.link(said.url ?? links.commit, shortSha(said.commit)));
  // the address itself: plain text (the shell, mail) shows a link as its text only
  if (said.log) text = text.replace(LOG, `${v.t('event.log')}: ${m.link(said.log, m.esc(said.log))}`);
  return text;
}

/** `web v1.2.10`, or `web` when the version is not known. */
const named = (app: string, version: string | undefined) => (version ? `${app} ${version}` : app);

/** What the line says; `commit` goes in as a link to `url`, or to the deploy commit's page; `log` as a link to the log. */
function eventMessage(e: GantryEvent): { message: Message; commit?: string; url?: string; log?: string } | undefined {
  const bundle = bundleEventMessage(e);
  if (bundle) return { message: bundle };
  switch (e.type) {
    case 'deployed':
    case 'rolled-back': {
      const r = e.result;
      const approved = e.request.approvedBy.length ? msg('event.approved', { names: { list: e.request.approvedBy.map(who) } }) : '';
      const params = {
        rolledBack: e.type === 'rolled-back' ? 'yes' : r.action === 'shift' ? 'shift' : 'no',
        app: r.app,
        version: r.version,
        env: r.env,
        was: r.previousVersion ? msg('deploy.was', { version: r.previousVersion }) : '',
        by: who(e.request.requestedBy),
        approved,
        commit: COMMIT,
      };
      return { message: msg('event.deployed', params), commit: r.commit };
    }
    case 'deploy-failed': {
      const r = e.request;
      // events sit in a queue anyone with Redis access can write: a detail that is no catalog message is not said
      const said = checkedMessage(e.detail) ?? e.message;
      return { message: msg('event.deploy-failed', { action: r.action, app: r.app, version: r.version ?? '', env: r.env, message: said }) };
    }
    case 'rolled-out':
    case 'rollout-failed': {
      const r = e.rollout;
      const after = { duration: Math.max(0, Date.parse(r.since) - Date.parse(r.committedAt)) };
      const params = { what: named(r.app, r.version), env: r.env, state: r.state, after, message: r.message, commit: COMMIT };
      return { message: msg('event.rollout', params), commit: r.commit };
    }
    case 'verified':
    case 'verify-failed': {
      const r = e.verification;
      const params = { what: named(r.app, r.version), env: r.env, ok: r.ok ? 'yes' : 'no', message: r.message, log: r.logUrl ? LOG : 'none' };
      return { message: msg('event.verification', params), ...(r.logUrl ? { log: r.logUrl } : {}) };
    }
    case 'approval-requested':
    case 'approval-approved':
    case 'approval-denied':
    case 'approval-expired': {
      const r = e.approval.request;
      const state = e.type.slice('approval-'.length);
      return { message: msg('event.approval', { id: e.approval.id, action: r.action, app: r.app, version: r.version ?? '', env: r.env, state }) };
    }
    case 'locked':
    case 'unlocked':
      return { message: msg('event.lock', { locked: e.type === 'locked' ? 'yes' : 'no', env: e.env, by: who(e.by), reason: e.reason }) };
    case 'frozen':
      return { message: msg('event.frozen', { env: e.env, until: e.until ? { time: e.until } : '', reason: e.reason }) };
    case 'unfrozen':
      return { message: msg('event.unfrozen', { env: e.env, reason: e.reason }) };
    case 'blocked':
    case 'unblocked': {
      const reason = e.reason ? msg('event.block.reason', { reason: e.reason }) : '';
      return { message: msg('event.block', { app: e.app, version: e.version, blocked: e.type === 'blocked' ? 'yes' : 'no', by: who(e.by), reason }) };
    }
    case 'build-failed': {
      const b = e.build;
      const params = { app: b.app, image: b.image, trigger: b.trigger, commit: COMMIT, message: e.message };
      return { message: msg('event.build-failed', params), commit: b.sha, ...(b.url ? { url: b.url } : {}) };
    }
    case 'build-succeeded':
      return { message: msg('event.build-succeeded', { ref: e.build.ref, trigger: e.build.trigger }), ...(e.build.url ? { url: e.build.url } : {}) };
    case 'release-built':
      return { message: msg('event.release-built', { app: e.release.app, version: e.release.version }) };
    case 'release-added':
      return { message: msg('event.release-added', { app: e.app, version: e.version }) };
    default:
      return undefined;
  }
}
