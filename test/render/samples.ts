import type { Reply, ReplyKind } from '../../src/commands/replies.js';
import type { DeployResult } from '../../src/domain/deploy.js';
import { msg } from '../../src/i18n/voice.js';
import type { ApprovalView } from '../../src/queries/approvals.js';
import type { Approval } from '../../src/approvals/store.js';
import type { GantryEvent, StoredEvent } from '../../src/notify/events.js';

/**
 * One or more replies of every kind, as a face receives them. Typed by kind, so a new reply kind
 * does not compile until it has a sample here, and the golden test renders it in every face.
 */
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const AT = '2026-12-04T10:00:00.000Z';

const result: DeployResult = {
  requestId: 'promote-1',
  app: 'web',
  env: 'prod',
  action: 'promote',
  version: 'v1.2.10',
  previousVersion: 'v1.2.3',
  commit: SHA,
  changes: [{ file: 'apps/web/prod/deployment.yaml', line: 21, image: 'web', before: 'reg.example/web:v1.2.3', after: 'reg.example/web:v1.2.10' }],
  retries: 0,
};

export const approval: ApprovalView = {
  id: '17',
  status: 'pending',
  action: 'promote',
  app: 'web',
  env: 'prod',
  from: 'v1.2.3',
  to: 'v1.2.10',
  changes: [{ file: 'apps/web/prod/deployment.yaml', line: 21, before: 'reg.example/web:v1.2.3', after: 'reg.example/web:v1.2.10' }],
  compareUrl: 'https://github.com/acme/web/compare/aaa...bbb',
  checkUrl: 'https://github.com/acme/web/runs/42',
  requestedBy: 'carol <script>',
  approvers: ['leads'],
  required: 1,
  votes: [],
  createdAt: '2026-12-04T09:00:00.000Z',
  deadline: AT,
};

export const SAMPLES: Record<ReplyKind, Reply[]> = {
  'bundle-deployed': [
    {
      ok: true,
      command: 'promote',
      kind: 'bundle-deployed',
      result: {
        requestId: 'bundle-1', bundle: '2026.12', env: 'prod', action: 'promote', commit: SHA, retries: 0,
        apps: [
          { ...result, app: 'api', version: 'v3.4.0', previousVersion: 'v3.3.0', changes: [{ ...result.changes[0]!, file: 'apps/api/prod/values.yaml' }] },
          { ...result, version: 'v1.2.3', previousVersion: undefined },
        ],
      },
      commitUrl: `https://github.com/acme/deploy/commit/${SHA}`,
    },
  ],
  deployed: [
    { ok: true, command: 'promote', kind: 'deployed', result, resolved: { query: 'v1.2', version: 'v1.2.10' }, commitUrl: `https://github.com/acme/deploy/commit/${SHA}` },
    {
      ok: true,
      command: 'rollback',
      kind: 'deployed',
      result: { ...result, action: 'rollback', version: 'v1.2.3', previousVersion: 'v1.2.10', override: { reason: 'outage *now*', passed: ['lock by dave: release day'] } },
    },
    {
      ok: true,
      command: 'approve',
      kind: 'deployed',
      result: { ...result, pullRequest: { number: 7, url: 'https://github.com/acme/deploy/pull/7', branch: 'gantry/promote-web-prod' } },
      approval: { ...approval, status: 'executed', votes: ['alice'], result: { commit: SHA } },
      approvedBy: ['alice'],
    },
    // blue-green: a promotion to the idle colour, a shift, traffic moved back
    {
      ok: true,
      command: 'promote',
      kind: 'deployed',
      result: { ...result, blueGreen: { colour: 'green', live: 'blue', versions: { blue: 'v1.2.3', green: 'v1.2.10' }, weights: { blue: 100, green: 0 }, before: { blue: 100, green: 0 } } },
    },
    {
      ok: true,
      command: 'shift',
      kind: 'deployed',
      result: {
        ...result,
        action: 'shift',
        changes: [{ file: 'apps/web/prod/route.yaml', line: 17, image: 'traffic:green', before: '0', after: '10' }],
        blueGreen: { colour: 'green', live: 'blue', versions: { blue: 'v1.2.3', green: 'v1.2.10' }, weights: { blue: 90, green: 10 }, before: { blue: 100, green: 0 } },
      },
    },
    {
      ok: true,
      command: 'rollback',
      kind: 'deployed',
      result: {
        ...result,
        action: 'rollback',
        version: 'v1.2.3',
        previousVersion: 'v1.2.10',
        blueGreen: { colour: 'blue', live: 'blue', versions: { blue: 'v1.2.3', green: 'v1.2.10' }, weights: { blue: 100, green: 0 }, before: { blue: 50, green: 50 } },
      },
    },
  ],
  'approval-requested': [{ ok: true, command: 'promote', kind: 'approval-requested', approval, resolved: { query: 'v1.2', version: 'v1.2.10' } }],
  'approval-voted': [{ ok: true, command: 'approve', kind: 'approval-voted', approval: { ...approval, required: 2, votes: ['alice'] }, by: 'alice', remaining: 1 }],
  'approval-denied': [
    { ok: true, command: 'deny', kind: 'approval-denied', approval: { ...approval, status: 'denied', denied: { by: 'bob', reason: 'not <today>' } }, by: 'bob', reason: 'not <today>' },
  ],
  status: [
    {
      ok: true,
      command: 'status',
      kind: 'status',
      envs: [
        {
          env: 'prod',
          lock: { by: 'shell:dave (dave)', reason: 'release day', at: AT },
          freeze: { until: AT, reason: 'weekend' },
          apps: [
            {
              app: 'web',
              version: 'v1.2.3',
              images: [{ name: 'web', ref: 'reg.example/web:v1.2.3', file: 'apps/web/prod/deployment.yaml' }],
              held: true,
              last: { sha: SHA, date: AT, action: 'rollback', version: 'v1.2.3', from: 'v1.2.10', by: 'bob', approvedBy: [] },
              rollout: { state: 'degraded', since: AT, forMs: 60_000, message: 'Deployment web: <Progressing> exceeded its progress deadline' },
            },
            {
              app: 'worker',
              version: 'v2.0.1',
              images: [{ name: 'worker', ref: 'reg.example/worker:v2.0.1', file: 'apps/worker/prod/values.yaml' }],
              held: false,
              rollout: { state: 'syncing', since: AT, forMs: 134_000 },
            },
            {
              app: 'jobs',
              version: 'v3.1.0',
              images: [{ name: 'jobs', ref: 'reg.example/jobs:v3.1.0', file: 'apps/jobs/prod/values.yaml' }],
              held: false,
              rollout: { state: 'live', since: AT, forMs: 600_000 },
              verification: { state: 'failed', logUrl: 'https://gantry.example/verifications/v2/log' },
            },
            {
              app: 'shop',
              version: 'v4.0.0',
              images: [{ name: 'shop', ref: 'reg.example/shop:v4.0.0', file: 'apps/shop/prod/blue.yaml' }],
              held: false,
              last: { sha: SHA, date: AT, action: 'shift', version: 'v4.1.0', from: 'v4.0.0', by: 'carol', approvedBy: [] },
              blueGreen: { live: 'blue', fresh: 'green', versions: { blue: 'v4.0.0', green: 'v4.1.0' }, weights: { blue: 90, green: 10 } },
            },
            { app: 'api', error: 'apps/api/prod/values.yaml line 3: not a mapping' },
          ],
        },
        { env: 'qa', apps: [{ app: 'web', images: [], held: false, last: { sha: SHA, date: AT, action: 'manual', by: 'Jo <jo@example.com>', approvedBy: [] } }] },
      ],
    },
  ],
  history: [
    {
      ok: true,
      command: 'history',
      kind: 'history',
      app: 'web',
      env: 'prod',
      entries: [
        { sha: SHA, date: AT, action: 'promote', version: 'v1.2.10', from: 'v1.2.3', by: 'carol', approvedBy: ['alice', 'bob'], override: 'hotfix' },
        { sha: SHA, date: AT, action: 'manual', version: 'v1.2.3', by: 'Jo <jo@example.com>', approvedBy: [] },
      ],
    },
    { ok: true, command: 'history', kind: 'history', app: 'web', env: 'qa', entries: [] },
  ],
  releases: [
    {
      ok: true,
      command: 'releases',
      kind: 'releases',
      app: 'web',
      releases: [
        { version: 'v1.2.10', builtAt: AT, commit: SHA, images: [{ name: 'web', repository: 'reg.example/web', tag: 'v1.2.10', digest: `sha256:${'ab'.repeat(32)}` }] },
        { version: 'v1.2.9', builtAt: AT, images: [{ name: 'web', repository: 'reg.example/web', tag: 'v1.2.9' }], blocked: { by: 'shell:dave (dave)', reason: 'leaks memory', at: AT } },
      ],
    },
    { ok: true, command: 'releases', kind: 'releases', app: 'api', releases: [] },
  ],
  previews: [
    {
      ok: true,
      command: 'previews',
      kind: 'previews',
      app: 'web',
      previews: [
        { app: 'web', pr: 42, dir: 'previews/web-pr-42', url: 'https://web-pr-42.preview.example.com/', updatedAt: AT, version: 'pr-42-1a2b3c4', image: `reg.example/web@sha256:${'ab'.repeat(32)}` },
        { app: 'web', pr: 57, dir: 'previews/web-pr-57', url: 'https://web-pr-57.preview.example.com/', updatedAt: AT },
      ],
    },
    { ok: true, command: 'previews', kind: 'previews', app: 'web', previews: [] },
  ],
  verifying: [{ ok: true, command: 'verify', kind: 'verifying', app: 'web', env: 'qa', version: 'v1.2.10', checks: 2, requestId: 'verify-web-qa-1' }],
  stats: [
    {
      ok: true,
      command: 'stats',
      kind: 'stats',
      apps: ['web', 'api'],
      envs: ['prod'],
      period: 30 * 86_400_000,
      stats: {
        from: '2026-11-04T10:00:00.000Z',
        to: AT,
        rows: [
          {
            app: 'api',
            env: 'prod',
            deploys: 1,
            perDay: 1 / 30,
            leadTime: { n: 1, p50: 4 * 3_600_000, p90: 4 * 3_600_000 },
            changeFailure: { failed: 1, ended: 1, ratio: 1 },
            restore: { n: 0, open: 1 },
            unsettled: 0,
          },
          {
            app: 'web',
            env: 'prod',
            deploys: 12,
            perDay: 0.4,
            leadTime: { n: 11, p50: 2 * 3_600_000 + 600_000, p90: 27 * 3_600_000 },
            changeFailure: { failed: 2, ended: 12, ratio: 2 / 12 },
            restore: { n: 2, p50: 45 * 60_000, p90: 81 * 60_000, open: 0 },
            unsettled: 1,
          },
        ],
        total: {
          deploys: 13,
          perDay: 13 / 30,
          leadTime: { n: 12, p50: 2 * 3_600_000 + 900_000, p90: 26 * 3_600_000 },
          changeFailure: { failed: 3, ended: 13, ratio: 3 / 13 },
          restore: { n: 2, p50: 45 * 60_000, p90: 81 * 60_000, open: 1 },
          unsettled: 1,
        },
      },
    },
    {
      ok: true,
      command: 'stats',
      kind: 'stats',
      apps: ['web'],
      envs: ['qa', 'prod'],
      period: 7 * 86_400_000,
      stats: {
        from: '2026-11-27T10:00:00.000Z',
        to: AT,
        rows: [],
        total: { deploys: 0, perDay: 0, leadTime: { n: 0 }, changeFailure: { failed: 0, ended: 0 }, restore: { n: 0, open: 0 }, unsettled: 0 },
      },
    },
  ],
  diff: [
    {
      ok: true,
      command: 'diff',
      kind: 'diff',
      app: 'web',
      envA: 'qa',
      envB: 'prod',
      images: [
        { image: 'web', a: 'reg.example/web:v1.2.10', b: 'reg.example/web:v1.2.3' },
        { image: 'worker', a: 'reg.example/worker:v2' },
      ],
    },
  ],
  locked: [{ ok: true, command: 'lock', kind: 'locked', env: 'prod', by: 'dave', reason: 'release day' }],
  unlocked: [
    { ok: true, command: 'unlock', kind: 'unlocked', env: 'prod', by: 'dave', was: { by: 'shell:dave (dave)', reason: 'release day' } },
    { ok: true, command: 'unlock', kind: 'unlocked', env: 'qa', by: 'dave' },
  ],
  blocked: [{ ok: true, command: 'block', kind: 'blocked', app: 'web', version: 'v1.2.9', by: 'dave', reason: 'leaks memory' }],
  unblocked: [
    { ok: true, command: 'unblock', kind: 'unblocked', app: 'web', version: 'v1.2.9', by: 'dave', changed: true },
    { ok: true, command: 'unblock', kind: 'unblocked', app: 'web', version: 'v1.2.8', by: 'dave', changed: false },
  ],
  help: [
    { ok: true, command: 'help', kind: 'help' },
    { ok: true, command: 'help', kind: 'help', topic: 'promote' },
  ],
  'login-link': [{ ok: true, command: 'login', kind: 'login-link', url: `https://gantry.example.com/login/link/${'A'.repeat(43)}`, expiresAt: AT }],
  refused: [
    { ok: false, command: 'promote', kind: 'refused', code: 'COMMAND_USAGE', message: msg('error.promote.missing'), usage: 'promote' },
    { ok: false, command: 'promote', kind: 'refused', code: 'ENV_FROZEN', message: msg('error.text', { text: 'said as it is in every language' }) },
    { ok: false, kind: 'refused', code: 'RATE_LIMITED', message: msg('refused.rate-limited', { max: 20, window: msg('refused.window', { ms: '60000', text: '1 min' }), wait: 12 }) },
    { ok: false, command: 'status', kind: 'refused', code: 'INTERNAL', message: msg('refused.internal') },
  ],
};

const carol = { id: 'shell:carol', name: 'carol' };
const request = { id: 'promote-1', action: 'promote' as const, app: 'web', env: 'prod', version: 'v1.2.10', requestedBy: carol, approvedBy: [{ id: 'slack:U1', name: 'alice' }] };
const stored: Approval = {
  id: '17',
  status: 'pending',
  request,
  required: 1,
  approvers: ['leads'],
  votes: [],
  createdAt: '2026-12-04T09:00:00.000Z',
  deadline: AT,
  preview: { previousVersion: 'v1.2.3', changes: result.changes },
};
const build = { app: 'web', image: 'web', repo: 'acme/web', sha: SHA, trigger: 'pr #42', version: 'pr-42-1a2b3c4', url: 'https://github.com/acme/web/runs/42' };

/** One event of every type, as the notification worker delivers them. */
export const EVENTS: Record<GantryEvent['type'], StoredEvent> = {
  deployed: { type: 'deployed', result, request, id: 'e1', at: AT },
  'rolled-back': { type: 'rolled-back', result: { ...result, action: 'rollback', version: 'v1.2.3', previousVersion: 'v1.2.10' }, request: { ...request, action: 'rollback', force: 'outage' }, id: 'e2', at: AT },
  'deploy-failed': { type: 'deploy-failed', request, code: 'ENV_LOCKED', message: 'prod is locked', detail: msg('error.policy.locked', { env: 'prod', by: 'shell:dave (dave)', since: { time: AT }, reason: 'release day' }), id: 'e3', at: AT },
  'approval-requested': { type: 'approval-requested', approval: stored, id: 'e4', at: AT },
  'approval-voted': { type: 'approval-voted', approval: { ...stored, votes: [{ actor: carol, person: 'carol', at: AT }] }, id: 'e4v', at: AT },
  'approval-approved': { type: 'approval-approved', approval: { ...stored, status: 'approved' }, id: 'e5', at: AT },
  'approval-denied': { type: 'approval-denied', approval: { ...stored, status: 'denied' }, id: 'e6', at: AT },
  'approval-expired': { type: 'approval-expired', approval: { ...stored, status: 'expired' }, id: 'e7', at: AT },
  locked: { type: 'locked', env: 'prod', by: carol, reason: 'release <day>', id: 'e8', at: AT },
  unlocked: { type: 'unlocked', env: 'prod', by: carol, reason: 'release <day>', id: 'e9', at: AT },
  frozen: { type: 'frozen', env: 'prod', reason: 'weekend', until: AT, id: 'e10', at: AT },
  unfrozen: { type: 'unfrozen', env: 'prod', reason: 'weekend', id: 'e11', at: AT },
  blocked: { type: 'blocked', app: 'web', version: 'v1.2.9', by: carol, reason: 'leaks memory', id: 'e12', at: AT },
  unblocked: { type: 'unblocked', app: 'web', version: 'v1.2.9', by: carol, reason: '', id: 'e13', at: AT },
  'release-added': { type: 'release-added', app: 'web', version: 'v1.2.10', by: 'api', id: 'e14', at: AT },
  'build-succeeded': { type: 'build-succeeded', build: { ...build, ref: 'reg.example/web:pr-42-1a2b3c4', digest: `sha256:${'cd'.repeat(32)}` }, id: 'e15', at: AT },
  'build-failed': { type: 'build-failed', build, stage: 'build', message: 'Dockerfile line 4: RUN make failed', id: 'e16', at: AT },
  'rolled-out': {
    type: 'rolled-out',
    rollout: { deploy: `web:prod:${SHA}`, app: 'web', env: 'prod', version: 'v1.2.10', commit: SHA, state: 'live', message: 'healthy', since: '2026-12-04T09:32:14.000Z', committedAt: '2026-12-04T09:30:00.000Z', requestId: 'promote-1', action: 'promote', requestedBy: carol },
    id: 'e18',
    at: AT,
  },
  'rollout-failed': {
    type: 'rollout-failed',
    rollout: { deploy: `web:prod:${SHA}`, app: 'web', env: 'prod', version: 'v1.2.10', commit: SHA, state: 'degraded', message: 'Deployment web: <Progressing> exceeded its progress deadline', since: AT, committedAt: AT, requestId: 'promote-1', action: 'promote', requestedBy: carol },
    id: 'e19',
    at: AT,
  },
  verified: {
    type: 'verified',
    verification: { id: 'v1', app: 'web', env: 'qa', version: 'v1.2.10', commit: SHA, ok: true, message: '', at: AT, logUrl: 'https://gantry.example/verifications/v1/log' },
    id: 'e20',
    at: AT,
  },
  'verify-failed': {
    type: 'verify-failed',
    verification: { id: 'v2', app: 'web', env: 'qa', version: 'v1.2.10', commit: SHA, ok: false, message: 'smoke: exit code 1 <after 3s>', at: AT, logUrl: 'https://gantry.example/verifications/v2/log' },
    id: 'e21',
    at: AT,
  },
  'release-built': {
    type: 'release-built',
    release: { app: 'web', version: 'v1.2.10', builtAt: AT, images: { web: { repository: 'reg.example/web', tag: 'v1.2.10' } } },
    trigger: { kind: 'tag', name: 'v1.2.10' },
    autoDeploy: [{ env: 'staging', queued: true }],
    id: 'e17',
    at: AT,
  },
};
