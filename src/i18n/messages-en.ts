import { buildLogEn } from './build-log-en.js';
import { bundlesEn } from './bundles-en.js';
import { errorsEn } from './errors-en.js';
import { homeEn } from './home-en.js';
import { signinEn } from './signin-en.js';
import { webEn } from './web-en.js';
import { bluegreenEn } from './bluegreen-en.js';

/**
 * Every sentence gantry says to a person, in English, as ICU MessageFormat
 * (https://unicode-org.github.io/icu/userguide/format_parse/messages/): `{name}` is a value,
 * `{n, plural, …}` and `{x, select, …}` choose words. Values are inserted as given; each face
 * escapes them first. messages-zh-cn.ts holds the same keys (the compiler and a test check both).
 *
 * Keys are grouped by what speaks: `deploy.` results, `approval.`, `status.`, `history.`,
 * `releases.`, `diff.`, `lock.`, `block.`, `help.`, `refused.`, `event.` (notifications),
 * `shell.`, `card.` (approval cards), `mail.`, and `error.` (refusals from deeper down).
 */
export const en = {
  // ── a deploy's outcome ─────────────────────────────────────────────────────────
  'deploy.change':
    '{action, select, rollback {roll back {app} in {env} to {version}} shift {shift traffic of {app} in {env} to {version}} auto {auto-deploy {app} {version} to {env}{resolved}} other {promote {app} {version} to {env}{resolved}}}',
  'deploy.done':
    '{action, select, rollback {rolled back {app} in {env} to {version}{was}} shift {shifted traffic of {app} in {env} to {version}{was}} auto {auto-deployed {app} {version} to {env}{resolved}{was}} other {promoted {app} {version} to {env}{resolved}{was}}}: commit {commit}',
  'deploy.resolved': ' ({query} resolved to {version})',
  'deploy.was': ' (was {version})',
  'deploy.pull-request': 'opened pull request #{number} to {change}: {url}',
  'deploy.pull-request.detail': 'branch {branch}, commit {commit}; {env} changes when it is merged',
  'deploy.changed': 'changed {files}',
  'deploy.override': 'override: {reason} (passed {passed})',
  'deploy.replayed': '(this request had already been committed; nothing was done twice)',
  'deploy.held': '{env} is on hold: automatic deploys of {app} stop until someone promotes by hand',
  'deploy.queued': 'queued behind {ahead, plural, one {# other deployment} other {# other deployments}} to {env}',

  // ── approvals ──────────────────────────────────────────────────────────────────
  'approval.requested':
    'approval {id} requested{resolved}: {change}{now} needs {required, plural, one {# approval} other {# approvals}} from {approvers} within {within}.',
  'approval.now': ' (now {version})',
  'approval.how': '/approve {id} or /deny {id} [reason]',
  'approval.voted': 'approval {id}: approved by {by}; {remaining} more needed',
  'approval.complete': 'approval {id} complete.',
  'approval.approved-by': 'approved by {names}',
  'approval.denied': 'approval {id} denied by {by}: {reason}. {app} {version} will not go to {env}.',
  'approval.previous-release': '(previous release)',

  // ── approval cards (Slack, DingTalk, e-mail) ───────────────────────────────────
  'card.title':
    'Approval {id}: {action, select, rollback {roll back} shift {shift traffic of} other {promote}} {app} {range} in {env}',
  'card.requested-by': 'Requested by',
  'card.approvers': 'Approvers',
  'card.approvers.value': '{approvers} ({required} needed)',
  'card.deadline': 'Deadline',
  'card.code-changes': 'Changes in code',
  'card.build': 'Build',
  'card.check-run': 'check run',
  'card.compare': 'Compare',
  'card.deploy-commit': 'Deploy commit',
  'card.approve': 'Approve',
  'card.deny': 'Deny',
  'card.votes': ' (approved by {names})',
  'card.pending': 'waiting: {votes} of {required} approvals{approvedBy}',
  'card.pending.how': 'Reply {approve} or {deny}',
  'card.approved': 'approved{approvedBy}; deploying…',
  'card.executed': 'deployed{approvedBy}: commit {commit}',
  'card.failed': 'approved{approvedBy}, but the deploy failed: {error}',
  'card.denied': 'denied by {by}: {reason}',
  'card.expired': 'expired at {deadline} without enough approvals',
  'card.unknown-error': 'unknown error',
  'card.promote-to': 'Promote to {env}',

  // ── read commands ──────────────────────────────────────────────────────────────
  'status.locked': 'locked by {by}: {reason}',
  'status.frozen': 'frozen until {until} ({reason})',
  'status.held': ' [on hold after rollback]',
  'status.rollout':
    '{state, select, committed {committed {for} ago, waiting for Argo CD or Flux} syncing {syncing for {for}} live {live and healthy since {since}} degraded {degraded: {message}} failed {sync failed: {message}} other {timed out: not live before the rollout timeout ({since})}}',
  'status.verification': '{state, select, verified {🧪 verified} verifying {🧪 verifying} other {🧪 failed verification}}',
  'status.unreadable': '{app}: cannot read ({error})',
  'status.no-image': '?',
  'status.last':
    ', {action, select, promote {promote} rollback {rollback} auto {auto} shift {traffic shift} other {manual change}} by {by} {date}',
  'status.none': 'no environment has {app}',
  'history.title': '{app} in {env}, newest first:',
  'history.empty': 'no deployments of {app} to {env} yet',
  'history.entry':
    '{commit} {date} {action, select, promote {promote} rollback {rollback} auto {auto} shift {shift} other {manual}} {version}{from} by {by}{approved}{override}',
  'history.no-image': '(no image)',
  'history.from': ' (from {version})',
  'history.approved': ', approved by {names}',
  'history.override': ', override: {reason}',
  'releases.title': '{app} releases, newest first:',
  'releases.empty': 'no built releases of {app} yet (gantry release add {app} <version> --image …)',
  'releases.blocked': 'BLOCKED by {by}: {reason}',
  'previews.title': 'previews of {app}, one per pull request:',
  'previews.empty': 'no previews of {app} are open',
  'previews.updated': 'updated {at}',
  'diff.title': '{app}: {envA} vs {envB}: {same, select, yes {the same} other {different}}',
  'diff.none': '(none)',

  // ── locks and blocks ───────────────────────────────────────────────────────────
  'lock.locked': '{env} locked by {by}: {reason}. Deployments to {env} are refused until /unlock {env}.',
  'lock.unlocked': '{env} unlocked by {by} (was locked by {was}: {reason})',
  'lock.not-locked': '{env} was not locked',
  'block.blocked': '{app} {version} blocked by {by}: {reason}. It can no longer be promoted or rolled back to anywhere.',
  'block.unblocked': '{app} {version} unblocked by {by}; it can be promoted again',
  'block.not-blocked': '{app} {version} was not blocked',

  // ── help: one line per command ─────────────────────────────────────────────────
  'help.promote': 'deploy a built release to an environment (v1.2 means the newest v1.2.x)',
  'help.rollback': 'go back to the release deployed before the current one, or to the one given',
  'help.approve': 'approve a pending promotion',
  'help.deny': 'deny a pending promotion',
  'help.status': 'what runs where, read from the deploy repo',
  'help.history': 'the last n deployments of an environment, from git history',
  'help.releases': 'built releases, newest first',
  'help.previews': 'the preview environments of open pull requests, from the deploy repo',
  'help.diff': 'which releases differ between two environments',
  'help.lock': 'stop all deployments to an environment',
  'help.unlock': 'allow deployments again',
  'help.block': 'mark a release bad: it can no longer be promoted anywhere',
  'help.unblock': 'undo /block',
  'help.help': 'this help, or the usage of one command',

  // ── refusals ───────────────────────────────────────────────────────────────────
  'refused.usage': 'usage: {usage}',
  'refused.shell': 'error [{code}]: {text}',
  'refused.internal': 'something went wrong inside gantry; the error is in the server log. Check /status before trying again.',
  'refused.rate-limited':
    'slow down: {max, plural, one {# command} other {# commands}} {window}; try again in {wait} s',
  'refused.window': '{ms, select, 1000 {a second} 60000 {a minute} 3600000 {an hour} other {per {text}}}',
  'error.text': '{text}',

  // ── notifications: one line per event ──────────────────────────────────────────
  'event.deployed':
    '{rolledBack, select, yes {⏪ rolled back} shift {🔀 shifted traffic of} other {🚀 deployed}} {app} {version} to {env}{was} by {by}{approved}: commit {commit}',
  'event.approved': ', approved by {names}',
  'event.override': 'override: {reason}',
  'event.deploy-failed': '❌ {action} of {app} {version} to {env} failed: {message}',
  'event.approval':
    'approval {id} ({action} {app} {version} to {env}): {state, select, requested {requested} approved {approved} denied {denied} other {expired}}',
  'event.lock':
    '{locked, select, yes {🔒 {env} locked} other {🔓 {env} unlocked}} by {by}: {reason}',
  'event.frozen': '❄️ {env} is frozen until {until}: {reason}',
  'event.unfrozen': '☀️ {env} freeze over ({reason})',
  'event.block': '{app} {version} {blocked, select, yes {blocked} other {unblocked}} by {by}{reason}',
  'event.block.reason': ': {reason}',
  'event.build-failed': '❌ build of {app}/{image} failed ({trigger}, {commit}): {message}',
  'event.build-succeeded': '📦 built {ref} ({trigger})',
  'event.release-built': '🏷️ {app} {version} is built and ready',
  'event.release-added': '🏷️ {app} {version} is registered and ready',
  'event.rollout':
    '{state, select, live {✅ {what} is live in {env}, healthy, {after} after the commit ({commit})} degraded {🔥 {what} is degraded in {env} ({commit}): {message}} failed {❌ {what} failed to sync in {env} ({commit}): {message}} other {⏱️ {what} is still not live in {env} {after} after the commit ({commit}): the rollout timed out}}',
  'event.verification':
    '{ok, select, yes {🧪 {what} passed verification in {env}} other {🧪 {what} failed verification in {env}: {message}}}{log, select, none {} other { ({log})}}',
  'event.log': 'log',
  'event.you-approved': '{text} (you approved {version})',
  'event.test': 'gantry doctor: test message',

  // ── the shell's live lines ─────────────────────────────────────────────────────
  'shell.welcome': 'gantry shell as {id}. /help lists commands; ":as <name>" switches user; ":quit" leaves.',
  'shell.acting-as': 'now acting as {id}{name}',
  'shell.approval-asked': '[approval {id}] {by} asks to {action} {app} {version} in {env}: /approve {id}',
  'shell.approval-expired': '[approval {id}] expired: {app} {version} was not deployed to {env}',
  'shell.deployed': '[{type}] {app} {version} in {env} by {by} ({commit})',
  'shell.deploy-failed': '[deploy failed] {message}',
  'shell.lock': '[{type}] {env} by {by}: {reason}',

  // ── chat faces ─────────────────────────────────────────────────────────────────
  'chat.ran': '{user} ran {line}',
  'chat.text-only': 'gantry understands text commands, e.g. @gantry /status',
  'chat.reason': 'reason',
  'chat.check-run': 'Check run',

  // ── Slack ──────────────────────────────────────────────────────────────────────
  /** the reason a click on an approval card's Deny button records */
  'slack.deny-reason': 'denied in Slack',

  // ── e-mail ─────────────────────────────────────────────────────────────────────
  'mail.subject': '[gantry] {subject}',
  'mail.row': '{label}: {value}',
  'mail.lines': 'Manifest lines that will change:',
  'mail.hint': 'Approve in chat with /approve {id}, or deny with /deny {id} <reason>.',
  'mail.links.commit': 'Deploy commit',
  'mail.links.compare': 'Changes in code',
  'mail.links.check': 'Check run',
  'mail.test.subject': '[gantry] doctor: test message',
  'mail.test.text': 'gantry can send you mail.',
  'mail.at': 'at {at}',

  // ── rollout: what the Argo CD and Flux receivers and the poller refuse ──────────
  'rollout.what.flux': 'the Flux event',
  'rollout.what.argocd': 'the Argo CD notification',
  'rollout.what.argocd-name': 'the Argo CD application name',
  'rollout.what.argocd-namespace': 'the Argo CD application namespace',
  'rollout.what.argocd-answer': 'Argo CD\'s answer for application {name}',
  'rollout.what.body': 'the body',
  'rollout.field': '{what}: {where}: {problem}',
  'rollout.not-json': '{what} is not valid JSON',
  'rollout.proto-key': 'the body has a "__proto__" key: no field of a rollout event has that name',
  'rollout.flux.unsigned':
    'unsigned: send X-Signature: sha256=<hex HMAC of the body> (a Flux Provider of type generic-hmac)',
  'rollout.flux.hash': 'X-Signature must be <hash>=<hex HMAC of the body>, the hash one of {accepted}',
  'rollout.flux.forged':
    'X-Signature does not match the body: the token of the Provider\'s secret is not gantry\'s, or the body was changed',
  'rollout.flux.stale':
    'the event of {timestamp} is older than {minutes} minutes or ahead of gantry\'s clock: refused as a replay',
  'rollout.flux.kind':
    'involvedObject.kind: {kind} is not a kind gantry follows ({kinds}); leave it out of the Alert\'s eventSources',
  'rollout.argocd.unreachable': 'cannot reach Argo CD at {server} for application {name}: {reason}',
  'rollout.argocd.http': 'Argo CD at {server} answered HTTP {status} for application {name}',
  'rollout.argocd.too-large': 'Argo CD at {server} sent more than {limit} bytes for application {name}',
  // ── rollout: a deploy's life after the commit (src/rollout/) ──────────────────
  'error.rollout.busy': 'the rollout of {id} is changing too often; try again',
  'error.rollout.bad-deploy': 'cannot follow the deploy of {app} to {env}: {commit} is not a full commit SHA, or the names are not valid',
  // ── verification after the rollout (src/rollout/verify*.ts) ──────────────────
  'error.verify.bad-run': 'cannot verify {app} {version} in {env}: the app, environment or version is not a valid name',
  'verify.log-unknown': 'no verification log {id}: the link is wrong, or the log has expired (logs are kept {days} days)',

  // ── delivery stats (/stats, src/queries/stats.ts) ────────────────────────────
  'help.stats': 'delivery metrics of followed deploys: deploys a day, lead time, change failure rate, time to restore',
  'stats.title': 'Delivery of {apps} in {envs}, last {period} ({from} to {to}):',
  'stats.row': '{app} in {env}',
  'stats.total': 'all together',
  'stats.deploys': 'deploys: {deploys} live, {perDay, number} a day{unsettled}',
  'stats.unsettled': ' ({n} still rolling out)',
  'stats.lead': 'lead time, change to live: median {p50}, p90 {p90} ({n, plural, one {# deploy} other {# deploys}})',
  'stats.lead.none': 'lead time: no deploy of a known release went live',
  'stats.failure': 'change failure rate: {ratio, number, percent} ({failed} of {ended} ended deploys failed or were rolled back)',
  'stats.failure.none': 'change failure rate: no deploy ended',
  'stats.restore': 'time to restore: median {p50}, p90 {p90} ({n, plural, one {# failure} other {# failures}} restored){open}',
  'stats.restore.open': '; {n, plural, one {# failure} other {# failures}} not restored yet',
  'stats.restore.none': 'time to restore: {open, plural, =0 {no failures} one {# failure, not restored yet} other {# failures, not restored yet}}',
  'stats.empty':
    'No followed deploys of {apps} in {envs} in the last {period}. These figures come only from deploys gantry follows until Argo CD or Flux says how they went: map each environment to its Argo CD application or Flux object (the environment’s rollout key in the config; README, "Rollout status").',
  'error.stats.period': '{word} is not a period: give hours or days, from 1h to 90d (24h, 7d, 30d)',
  'error.stats.period-last': 'the period {word} comes last: /stats [app] [env] [period]',

  // ── verification (/verify, src/rollout/verify*.ts) ──────────────────────────────
  'help.verify': "run an environment's verification checks again against what runs there",
  'verify.queued': '🧪 verifying {app} {version} in {env} ({checks, plural, one {# check} other {# checks}}); the result follows here',
  'error.verify.no-checks': '{env} has no verify checks (environments.{env}.verify in the config)',
  'error.verify.nothing-runs': 'no version of {app} runs in {env}: nothing to verify',
  ...errorsEn,
  ...webEn,
  ...signinEn,
  ...buildLogEn,
  ...homeEn,
  ...bundlesEn,
  ...bluegreenEn,
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof en;
