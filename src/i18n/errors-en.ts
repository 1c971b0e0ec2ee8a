/**
 * Refusals from below the command layer (grammar, policy, versions, the deployer, manifests), in
 * English; errors-zh-cn.ts holds the same keys. Spread into the catalog (messages-en.ts).
 * Values the user typed arrive already quoted (`sanitize`, `quoteInput`) where the text shows quotes
 * around them; times are `{ time: iso }`, lists `{ list: [...] }`.
 */
export const errorsEn = {
  // ── the grammar of a command line ──────────────────────────────────────────────
  'error.grammar.unclosed-quote': 'unclosed quote',
  'error.grammar.too-long': 'command too long ({length} characters; at most {max})',
  'error.grammar.control-characters': 'the command contains control characters',
  'error.grammar.empty': 'type a command, e.g. {example}; /help lists them all',
  'error.grammar.unknown-command': 'unknown command "{command}"; known: {known}',
  'error.grammar.force-elsewhere': '--force goes with /promote, /rollback, /shift and /switch only',
  'error.grammar.force-reason': '--force needs a reason in quotes',
  'error.grammar.unknown-option': 'unknown option {option}',

  // ── a command's words ──────────────────────────────────────────────────────────
  'error.usage.too-many-arguments': 'too many arguments',
  'error.usage.unexpected': 'too many arguments: unexpected {word}',
  'error.usage.after-env': 'unexpected {word} after the environment {env}',
  'error.usage.no-env': 'name the environment',
  'error.usage.app-first': 'the app comes before the environment: {suggestion}',
  'error.usage.no-version': 'name the version',
  'error.promote.missing': 'name a version and an environment',
  'error.promote.no-version': 'name the version to promote to {env}',
  'error.promote.no-env': 'name the environment to promote {version} to (environments: {envs})',
  'error.promote.version-first': 'the version comes before the environment: {suggestion}',
  'error.promote.after-env': 'unexpected "{words}" after the environment {env} (a reason goes in --force "…")',
  'error.promote.too-many': 'too many words: "{words}" is more than [app] <version> <env>',
  'error.rollback.no-env': 'name the environment to roll back',
  'error.approval.no-id': 'name the approval request',
  'error.approval.bad-id': '"{id}" is not an approval id (a number)',
  'error.history.count-range': 'n must be between 1 and 100',
  'error.history.not-count': '{word} is not a number of entries (n must be between 1 and 100)',
  'error.releases.env-given': '{word} is an environment; /releases lists the releases of an app (apps: {apps})',
  'error.diff.two-envs': 'name two environments',
  'error.diff.after-envs': 'unexpected {word} after the environments {envA} and {envB}',
  'error.help.unknown-command': 'unknown command "{command}"',
  'error.reason.empty': 'the reason is empty',
  'error.reason.too-long': 'the reason is too long ({length} characters; at most {max})',

  // ── names of apps and environments ─────────────────────────────────────────────
  'error.input.env-name': '"{name}" is not a valid environment name',
  'error.input.app-name': '"{name}" is not a valid app name',
  'error.app.unknown': 'unknown app "{app}" (known: {known})',
  'error.app.which': 'which app? name it (apps: {apps})',
  'error.env.unknown': 'unknown environment "{env}" (known: {known})',
  'error.env.not-deployed': '{app} is not deployed to {env} (no apps.{app}.deploy.{env} in the config)',

  // ── policy: rights, blocks, locks, freezes ─────────────────────────────────────
  'error.policy.not-allowed':
    '{who} may not {perm, select, promote {promote to {env}} rollback {roll back {env}} lock {lock or unlock {env}} breakGlass {use --force (break-glass) in {env}} shift {shift traffic in {env}} other {block or unblock releases}} ({allowed})',
  'error.policy.allowed': 'allowed: {list}',
  'error.policy.nobody': 'nobody is allowed',
  'error.policy.blocked':
    '{version} is blocked by {by} ({reason}); /unblock it first or pick another version{rollback, select, yes {, or --force "reason" with break-glass rights} other {}}',
  'error.policy.locked':
    '{env} is locked by {by} since {since}: {reason}. /unlock {env} first, or --force "reason" with break-glass rights',
  'error.policy.frozen': '{env} is frozen ({reason}) until {until}; --force "reason" needs break-glass rights',
  'error.lock.already': '{env} is already locked by {by} since {since}: {reason}',

  // ── freeze windows (checked with the config; a bad one also stops a deploy) ────
  'error.freeze.cron-fields':
    'cron expression {expr} has {count} field(s); expected 5: minute hour day-of-month month day-of-week',
  'error.freeze.cron-h': 'cron expression {expr} uses H; freeze windows need fixed times',
  'error.freeze.cron-invalid': 'cron expression {expr} is invalid: {error}',
  'error.freeze.in': 'freeze "{reason}": {detail}',
  'error.freeze.time-zone': 'unknown time zone "{zone}"',
  'error.freeze.no-fire-time': 'cannot compute when "{cron}" fires in {zone} after {after}: {error}',
  'error.freeze.walk': 'no fire time within {steps} steps',

  // ── versions and durations ─────────────────────────────────────────────────────
  'error.version.empty': 'version must not be empty',
  'error.version.too-long': 'version {version} is too long ({length} characters, at most {max})',
  'error.version.bad-char': 'version {version} contains {char}: only letters, digits and . _ + - are allowed',
  'error.version.start': 'version {version} must start with a letter or a digit',
  'error.version.dots': 'version {version} must not contain ".."',
  'error.version.none-built': 'no built release matches {query} (no release has been built yet)',
  'error.version.no-match': 'no built release matches {query} (newest: {newest})',
  'error.version.only-pre':
    'no stable release matches {query}; pre-releases must be named exactly (newest: {newest})',
  'error.duration.invalid':
    'duration {text} is not a duration: use numbers with units ms, s, m, h or d, e.g. 30m, 1h or 2d12h',
  'error.duration.too-long': 'duration {text} is too long (at most 3650d)',

  // ── image references ───────────────────────────────────────────────────────────
  'error.image.not-ref': '"{ref}" is not an image reference: {problem}',
  'error.image.not-repository': '"{repository}" is not an image repository: {problem}',
  'error.image.not-tag': '"{tag}" is not an image tag',
  'error.image.not-digest': '"{digest}" is not an image digest (expected sha256:<64 hex>)',
  'error.image.empty': 'it is empty',
  'error.image.too-long': 'it is longer than 1024 characters',
  'error.image.whitespace': 'it contains whitespace or control characters',
  'error.image.bad-digest': '"{digest}" is not a valid digest',
  'error.image.bad-tag': '"{tag}" is not a valid tag',
  'error.image.empty-repository': 'the repository is empty',
  'error.image.bad-host': '"{host}" is not a valid registry host',
  'error.image.bad-part': '"{part}" is not a valid repository path component (lower-case letters, digits, . _ -)',

  // ── releases and the deploy itself ─────────────────────────────────────────────
  'error.release.not-built': '{app} {version} is not a built release',
  'error.release.not-built-hint': '{app} {version} is not a built release (/releases {app} lists them)',
  'error.release.no-image': '{app} {version} has no image "{image}"',
  'error.release.no-digest': '{env} pins digests, but {app} {version} has no digest for image {image}',
  'error.deploy.pr-no-access':
    '{env} deploys by pull request, but gantry has no GitHub access to open one: set GANTRY_DEPLOY_TOKEN and deployRepo.github',
  'error.deploy.repo-moving':
    'the deploy repo kept moving: gave up after {pushes, plural, one {# push} other {# pushes}}; nothing was changed',
  'error.deploy.order': '{app} {version} has not run in {from} yet; promote it to {from} first',
  'error.deploy.held':
    '{env} is on hold since {who} rolled {app} back to {version}; automatic deploys resume after a promotion by hand',
  'error.deploy.already': '{app} {version} already runs in {env}',
  'error.deploy.no-changes': '{app} {version} already runs in {env}: no manifest changes',
  'error.rollback.nothing-before': 'nothing to roll back to: the history of {app} in {env} has nothing before {current}',
  'error.rollback.what-runs-now': 'what runs now',
  'error.rollback.never-ran':
    '{app} {version} never ran in {env} (by the history of its files), so there is nothing to roll back to; a release that has not run there goes through /promote {app} {version} {env}',
  'error.rollback.untagged': 'cannot roll back {file}: image {image} had no tagged reference when {version} ran',
  'error.rollback.that-version': 'that version',

  // ── manifests in the deploy repo ───────────────────────────────────────────────
  'error.manifest.at': '{file} line {line}: {detail}',
  'error.manifest.in': '{file}: {detail}',
  'error.manifest.no-file': '{file}: no such file in the deploy repo (branch {branch})',
  'error.manifest.one-container':
    'container: {container} names one {what}, but images {images} are meant for this file; list one image under images:',
  'error.manifest.image-not-found': 'image {image} ({repository}) not found in {file}',
  'error.manifest.cannot-set': 'cannot set {image}: {why}',
  'error.manifest.invalid-ref': '"{ref}" is not a valid image reference',
  'error.manifest.overlap': 'two edits would touch the same text ({error})',
  'error.manifest.would-not-parse': 'the edited file would not parse ({error}); nothing was written',
  'error.manifest.count-changed': 'after editing, {image} occurs {got} times instead of {want}; nothing was written',
  'error.manifest.reads-otherwise': 'after editing, {image} reads "{got}" instead of "{want}"; nothing was written',
  'error.target.bad-repository': 'target {image}: "{repository}" is not an image repository',
  'error.target.bad-tag': 'target {image}: "{tag}" is not an image tag',
  'error.target.bad-digest': 'target {image}: "{digest}" is not an image digest',
  'error.target.pin-needs-digest': 'target {image}: pinning needs a digest',

  // ── traffic files of a blue-green app (src/gitops/traffic/) ───────────────────────
  'error.traffic.no-resource': 'no {kind}{name, select, none {} other { named {name}}} here',
  'error.traffic.no-route': 'no {where} in this {kind} routes to {blue} or {green}',
  'error.traffic.no-selector': 'no Service here selects pods by {key}',
  'error.traffic.colour-missing': 'this {where} routes to {present} but not to {missing}: it must name both colours',
  'error.traffic.other-backend': 'this {where} also routes to {backend}: gantry splits traffic between {blue} and {green} only',
  'error.traffic.backend-twice': 'this {where} names {backend} twice',
  'error.traffic.weight-missing': '{backend} has no {key}: gantry edits it, it never adds it',
  'error.traffic.weight-blocked': 'the {key} of {backend} cannot be edited safely: {why}',
  'error.traffic.weight-not-integer': 'the {key} of {backend} is "{value}", not a whole number from 0 to 100',
  'error.traffic.weights-sum': 'the weights of {blue} ({blueWeight}) and {green} ({greenWeight}) add up to {sum}, not 100',
  'error.traffic.disagree':
    'routes {blueWeight}% to blue and {greenWeight}% to green, but line {line} routes {blueThere}% and {greenThere}%: set them alike',
  'error.traffic.both-selected': 'selects {value} while line {line} selects {other}: both colours are live',
  'error.traffic.neither-colour': '{what} is "{value}", neither blue ({blue}) nor green ({green})',
  'error.traffic.switch-only': '{format} can only send all traffic to one colour, not blue {blue}% and green {green}%',
  'error.traffic.canary-total': 'canary-weight-total is "{total}": gantry writes percents, so it must be 100 or absent',
  'error.traffic.bad-weights': 'traffic weights must be whole percents that add up to 100, not blue {blue} and green {green}',

  // ── the deploy worker's check of a job ─────────────────────────────────────────
  'error.guard.refused': 'deploy job {job} refused: {why}',
  'error.guard.id-mismatch': 'its request id {id} is not its job id',
  'error.guard.unknown-app': 'unknown app "{app}"',
  'error.guard.unknown-env': 'unknown environment "{env}"',
  'error.guard.not-deployed': '{app} is not deployed to {env}',
  'error.guard.no-version': '{action, select, auto {an auto-deploy} other {a promotion}} names the version to deploy',
  'error.guard.needs-approval':
    '{action, select, rollback {rollback} auto {auto} shift {shift} other {promote}} to {env} needs {required, plural, one {# approval} other {# approvals}}, and the job names no approval gantry recorded',
  'error.guard.approvers-unrecorded': 'it names approvers, but no approval was recorded for it',
  'error.guard.auto-requester': 'automatic deploys are requested by {expected}, not {got}',
  'error.guard.auto-approvers': 'an automatic deploy has no approvers',
  'error.guard.auto-force': 'an automatic deploy cannot use --force',
  'error.guard.auto-approvals': '{env} needs approvals, so nothing deploys there automatically',
  'error.guard.not-a-release': 'deploy job {job} refused: {app} {version} is not a release gantry built or registered',
  'error.guard.version-missing': '(no version)',
  'error.guard.failure-not-auto': 'only gantry\'s automatic rollbacks answer a failure',
  'error.guard.no-auto-rollback': '{env} does not roll back by itself (its onFailure is not rollback)',
  'error.guard.auto-rollback-why': 'an automatic rollback names the failed deploy and the reason',
  'error.guard.other-deploy': 'the failed deploy {deploy} is of another app or environment',
  'error.guard.not-failed':
    'deploy job {job} refused: the deploy of {app} {version} to {env} has not failed, or a newer deploy replaced it; nothing to roll back',
  'error.deploy.unverified':
    '{state, select, failed {{version} failed verification in {env}: {message}{log}} verifying {{version} is still verifying in {env}; try again when it is done} other {{version} has not been verified in {env} yet: it must roll out there and pass its checks (or run /verify {app} {env})}}',
  'error.deploy.verify-log': ' (log: {url})',
  'error.deploy.rollback-obsolete': '{app} no longer runs {version} in {env} (it runs {current}): the automatic rollback is not needed',
  'error.guard.no-approval': 'there is no approval {id}',
  'error.guard.other-request': 'it is not the request approval {id} was asked for',
  'error.guard.not-approved': 'deploy job {job} refused: approval {id} is {status}, not approved',
  'error.guard.too-few-votes':
    'approval {id} has {count, plural, one {# valid approval} other {# valid approvals}}; {need} needed',

  // ── approvals ──────────────────────────────────────────────────────────────────
  'error.approval.not-approver': 'you are not an approver for {env} (approvers: {approvers})',
  'error.approval.self': 'you asked for approval {id} yourself (as {as}); someone else has to approve it',
  'error.approval.duplicate': 'you already approved {id}; waiting for {remaining} more',
  'error.approval.unknown': 'there is no approval request {id}',
  'error.approval.pending': 'approval {id} already asks for this; /approve {id} or /deny {id}',
  'error.approval.busy': 'approval {id} is changing too often; try again',
  'error.approval.not-yet-approved': 'approval {id} is pending, not approved',
  'error.approval.already': 'approval {id} is already {status}',
  'error.approval.already-denied': 'approval {id} is already denied by {by}',
  'error.approval.open-until': 'approval {id} is open until {deadline}',
  'error.approval.expired': 'approval {id} expired at {deadline}; ask for the promotion again',
  'error.previews.none': 'app {app} has no preview environments (apps.{app}.previews in the config)',
} as const satisfies Record<string, string>;
