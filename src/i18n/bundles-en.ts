/**
 * What gantry says about bundles (several apps promoted together), in English; bundles-zh-cn.ts
 * holds the same keys. Spread into the catalog (messages-en.ts).
 */
export const bundlesEn = {
  'bundle.done':
    '{action, select, rollback {rolled back bundle {name} in {env}} other {promoted bundle {name} to {env}}}: one commit {commit}',
  'bundle.app': '{app} {version}{was}',
  'bundle.requested':
    'approval {id} requested: {action, select, rollback {roll back bundle {name} in {env}} other {promote bundle {name} to {env}}} needs {required, plural, one {# approval} other {# approvals}} from {approvers} within {within}. One approval covers every app:',
  'bundle.approval-app': '{app} {to}{now}',
  'bundle.card.title': 'Approval {id}: {action, select, rollback {roll back} other {promote}} bundle {name} in {env}',
  'bundle.card.apps': 'Apps',
  'event.bundle.deploy-failed': '❌ {action, select, rollback {rollback of bundle {name}} other {bundle {name}}} ({apps}) to {env} failed: {message}',
  'event.bundle.approval':
    'approval {id} ({action, select, rollback {roll back} other {promote}} bundle {name}: {apps} to {env}): {state, select, requested {requested} approved {approved} denied {denied} other {expired}}',

  'error.bundle.name':
    'bundle name "{name}" is not valid: letters, digits, dots, dashes and underscores, starting with a letter or digit, at most 63 characters',
  'error.bundle.empty': 'bundle {name} names no app: give app=version pairs',
  'error.bundle.pair': '"{pair}" is not app=version',
  'error.bundle.duplicate-app': '{app} is named twice in bundle {name}; a bundle has one version per app',
  'error.bundle.not-built': 'bundle {name}: {list} {count, plural, one {is not a built release} other {are not built releases}}; only built releases can be bundled',
  'error.bundle.taken': 'bundle {name} is already registered with other versions ({contents}); a bundle never changes',
  'error.bundle.unknown': 'there is no bundle {name}',
  'error.bundle.refused':
    '{action, select, rollback {rollback of bundle {name} in {env}} other {bundle {name} to {env}}} refused as a whole; nothing was written:\n{reasons}',
  'error.bundle.reason': '  - {apps}: {why}',
  'error.bundle.and': '{first}\n{next}',
  'error.bundle.nothing': 'every app of bundle {name} already runs its version in {env}',
  'error.bundle.never-promoted': 'bundle {name} was never promoted to {env}: nothing to roll back',
  'error.bundle.moved': '{app} runs {now} in {env} now, not {version} that the bundle put there',
  'error.bundle.no-previous': 'nothing ran in {env} before the bundle brought {app}',
  'error.bundle.pull-request': '{env} deploys by pull request (mode: pull-request); bundles are committed directly and do not support it yet',
  'error.bundle.args': 'name the bundle and the environment: /promote bundle <name> <env>, or /promote --from <env> <env>',
  'error.bundle.from-same': '--from {env} {env}: promote from one environment to another',
  'error.bundle.from-nothing': 'every app deployed to both runs the same version in {from} and {env}: nothing to promote',
  'error.guard.bundle-approval': 'approval {id} is for bundle {name}: only the bundle job may use it',
  'error.guard.bundle-app': 'bundle {name} names {app}, which is not deployed to {env} (config)',
} as const satisfies Record<string, string>;
