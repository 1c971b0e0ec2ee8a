import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Refusal } from '../../src/commands/replies.js';
import { Voice } from '../../src/i18n/voice.js';
import { toGantryError } from '../../src/queue/deploy-queue.js';
import { startHarness, type Harness } from '../support/harness.js';
import type { Said } from '../support/said.js';

const EN = new Voice('en', 'UTC');
const ZH = new Voice('zh-CN', 'Asia/Shanghai');

/**
 * Words a Chinese refusal may still spell in Latin letters: names and values (apps, environments,
 * people, identities, versions, reasons typed in English), command words, the grammar of a usage
 * line, and time-zone names. Anything else is English left untranslated.
 */
const KEPT = new Set(
  [
    'web', 'qa', 'staging', 'prod', 'shell', 'alice', 'bob', 'carol', 'dave', 'leads', 'oncall', 'devs',
    'v', 'frobnicate', 'extra', 'db', 'migration', 'corrupts', 'sessions', 'release', 'train', 'not', 'now',
    'promote', 'rollback', 'approve', 'deny', 'status', 'history', 'releases', 'diff', 'lock', 'unlock', 'block',
    'unblock', 'help', 'login', 'gantry', 'stats', 'verify', 'previews', 'period', 'force', 'n', 'GMT', 'UTC', 'shift', 'switch',
  ].map((w) => w.toLowerCase()),
);

function leftoverEnglish(text: string): string[] {
  return (text.match(/[A-Za-z]+/g) ?? []).filter((w) => !KEPT.has(w.toLowerCase()));
}

/**
 * The harness's clock: Wednesday 2036-01-02, when prod is frozen 09:00–11:00 UTC ("release train").
 * Later than the real clock, so no approval expires by itself (expiry jobs run on real time).
 */
let now = new Date('2036-01-02T12:00:00Z');

describe('refusals are said in English and in Chinese', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      name: 'refusals-i18n',
      now: () => now,
      edit: (d) => {
        d.environments.prod.freeze = [{ cron: '0 9 * * 3', duration: '2h', timezone: 'UTC', reason: 'release train' }];
      },
    });
    for (const v of ['v1.0.0', 'v1.1.0', 'v1.2.3']) await h.release(v);
  });
  afterAll(async () => h.close());

  /** The refusal's message: English as it always was, Chinese with a Chinese sentence and no English one. */
  function check(r: Said, code: string, english: string): string {
    expect(r.ok, r.text).toBe(false);
    const refusal = r as Said & Refusal;
    expect(refusal.code).toBe(code);
    expect(EN.say(refusal.message)).toBe(english);
    const zh = ZH.say(refusal.message);
    expect(zh, zh).toMatch(/\p{Script=Han}/u);
    expect(zh).not.toContain(english);
    expect(leftoverEnglish(zh), zh).toEqual([]);
    return zh;
  }

  it('an unknown command', async () => {
    const zh = check(
      await h.run('carol', '/frobnicate qa'),
      'COMMAND_UNKNOWN',
      'unknown command "/frobnicate"; known: /promote /rollback /approve /deny /status /history /releases /previews /diff /stats /verify /lock /unlock /block /unblock /shift /switch /help /login',
    );
    expect(zh).toContain('未知命令');
  });

  it('usage errors, with the usage line of the command', async () => {
    const missing = await h.run('carol', '/promote');
    check(missing, 'COMMAND_USAGE', 'name a version and an environment');
    expect((missing as Said & Refusal).usage).toBe('promote');
    check(await h.run('carol', '/promote v1.2.3 qa extra'), 'COMMAND_USAGE', 'unexpected "extra" after the environment qa (a reason goes in --force "…")');
    check(await h.run('carol', '/history qa 500'), 'COMMAND_USAGE', 'n must be between 1 and 100');
    check(await h.run('carol', '/status qa web'), 'COMMAND_USAGE', 'the app comes before the environment: /status web qa');
  });

  it('not allowed', async () => {
    const zh = check(await h.run('carol', '/rollback prod'), 'NOT_ALLOWED', 'shell:carol may not roll back prod (allowed: oncall, leads)');
    expect(zh).toContain('oncall、leads');
  });

  it('locked, and already locked', async () => {
    expect((await h.run('bob', '/lock staging db migration')).ok).toBe(true);
    try {
      const zh = check(
        await h.run('carol', '/promote v1.0.0 staging'),
        'ENV_LOCKED',
        'staging is locked by shell:bob (bob) since Jan 2, 2036, 12:00 UTC: db migration. /unlock staging first, or --force "reason" with break-glass rights',
      );
      expect(zh).toMatch(/2036年1月2日.* 20:00/); // the reader's time zone
      check(await h.run('bob', '/lock staging again'), 'ENV_LOCKED', 'staging is already locked by shell:bob (bob) since Jan 2, 2036, 12:00 UTC: db migration');
    } finally {
      await h.run('bob', '/unlock staging');
    }
  });

  it('frozen, with the time the freeze ends', async () => {
    now = new Date('2036-01-02T10:00:00Z');
    try {
      const zh = check(
        await h.run('alice', '/promote v1.0.0 prod'),
        'ENV_FROZEN',
        'prod is frozen (release train) until Jan 2, 2036, 11:00 UTC; --force "reason" needs break-glass rights',
      );
      expect(zh).toContain('冻结');
      expect(zh).toMatch(/2036年1月2日.* 19:00/);
    } finally {
      now = new Date('2036-01-02T12:00:00Z');
    }
  });

  it('an order violation, an unknown version, a blocked release, one already deployed', async () => {
    check(await h.run('carol', '/promote v1.2.3 staging'), 'ORDER_VIOLATION', 'web v1.2.3 has not run in qa yet; promote it to qa first');
    const zh = check(await h.run('carol', '/promote v9 qa'), 'VERSION_UNKNOWN', 'no built release matches "v9" (newest: v1.2.3, v1.1.0, v1.0.0)');
    expect(zh).toContain('v1.2.3、v1.1.0、v1.0.0');
    expect((await h.run('bob', '/block v1.1.0 corrupts sessions')).ok).toBe(true);
    check(
      await h.run('carol', '/promote v1.1.0 qa'),
      'RELEASE_BLOCKED',
      'v1.1.0 is blocked by shell:bob (bob) (corrupts sessions); /unblock it first or pick another version',
    );
    check(await h.run('carol', '/promote v1.0.0 qa'), 'ALREADY_DEPLOYED', 'web v1.0.0 already runs in qa');
  });

  it('an approval that is closed', async () => {
    for (const env of ['qa', 'staging']) {
      const done = await h.run('carol', `/promote v1.2.3 ${env}`);
      expect(done.ok, done.text).toBe(true);
    }
    const asked = await h.run('carol', '/promote v1.2.3 prod');
    expect(asked.ok, asked.text).toBe(true);
    const id = asked.approval!.id;
    const denied = await h.run('dave', `/deny ${id} not now`);
    expect(denied.ok, denied.text).toBe(true);
    const zh = check(await h.run('alice', `/approve ${id}`), 'APPROVAL_CLOSED', `approval ${id} is already denied by dave`);
    expect(zh).toContain('已被 dave 拒绝');
  });
});

describe('a refusal from the deploy worker', () => {
  it('crosses the queue as catalog data and is said in the asker\'s language', async () => {
    // qa deploys by pull request, but this gantry has no GitHub access: only the worker finds out
    const h = await startHarness({ name: 'refusals-worker', edit: (d) => (d.environments.qa.mode = 'pull-request') });
    try {
      await h.release('v1.2.3');
      const r = (await h.run('carol', '/promote v1.2.3 qa')) as Said & Refusal;
      expect(r.code, r.text).toBe('CONFIG_INVALID');
      const english = 'qa deploys by pull request, but gantry has no GitHub access to open one: set GANTRY_DEPLOY_TOKEN and deployRepo.github';
      expect(EN.say(r.message)).toBe(english);
      expect(ZH.say(r.message)).toBe('qa 通过拉取请求部署，但 gantry 没有创建拉取请求所需的 GitHub 权限：请设置 GANTRY_DEPLOY_TOKEN 和 deployRepo.github');
    } finally {
      await h.close();
    }
  });

  it('falls back to the English text when the job carries no message of the catalog', () => {
    for (const forged of [{ key: 'no.such.key' }, { key: 'error.deploy.already' }, { key: 'error.text', params: null }, 'text']) {
      const e = toGantryError(new Error('ALREADY_DEPLOYED: web v1 already runs in qa'), forged);
      expect(e.code).toBe('ALREADY_DEPLOYED');
      expect(ZH.say(e.detail)).toBe('web v1 already runs in qa');
    }
  });
});
