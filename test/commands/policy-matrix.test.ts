import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * Each role × each command × each environment, through real commands, against the shipped
 * config/demo/gantry.yml (leads: alice, dave; oncall: bob; devs: carol; erin is known to nobody).
 * "allowed" means the reply is not NOT_ALLOWED: an allowed command may still be refused for
 * another reason (nothing to roll back to, a pending approval, …).
 */
const ROLES = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
type Role = (typeof ROLES)[number];

const EXPECTED: Record<string, Record<string, Role[]>> = {
  promote: { qa: [...ROLES], staging: [...ROLES], prod: ['alice', 'carol', 'dave'] },
  rollback: { qa: [...ROLES], staging: [...ROLES], prod: ['alice', 'bob', 'dave'] },
  lock: { qa: [...ROLES], staging: [...ROLES], prod: ['alice', 'bob', 'dave'] },
  force: { qa: [], staging: [], prod: ['alice', 'dave'] },
  approve: { prod: ['alice', 'dave'] },
  block: { any: ['alice', 'bob', 'dave'] },
};

describe('policy matrix', () => {
  let h: Harness;
  let approvalId: string;
  beforeAll(async () => {
    h = await startHarness({
      name: 'matrix',
      edit: (d) => {
        d.environments.prod.approvals.required = 5; // votes are recorded, nothing executes
        delete d.environments.prod.from;
      },
    });
    await h.release('v9.9.9');
    const asked = await h.run('carol', '/promote v9.9.9 prod');
    expect(asked.ok, asked.text).toBe(true);
    approvalId = asked.approval!.id;
  });
  afterAll(async () => h.close());

  const attempt: Record<string, (role: Role, env: string) => Promise<string | undefined>> = {
    promote: async (role, env) => (await h.run(role, `/promote v9.9.9 ${env}`)).code,
    rollback: async (role, env) => (await h.run(role, `/rollback ${env}`)).code,
    lock: async (role, env) => {
      const r = await h.run(role, `/lock ${env} matrix`);
      if (r.ok) expect((await h.run(role, `/unlock ${env}`)).ok).toBe(true);
      return r.code;
    },
    force: async (role, env) => (await h.run(role, `/promote v9.9.9 ${env} --force "matrix"`)).code,
    approve: async (role) => (await h.run(role, `/approve ${approvalId}`)).code,
    block: async (role) => {
      const r = await h.run(role, '/block v9.9.9 matrix');
      if (r.ok) expect((await h.run(role, '/unblock v9.9.9')).ok).toBe(true);
      return r.code;
    },
  };

  for (const [command, byEnv] of Object.entries(EXPECTED)) {
    for (const [env, allowed] of Object.entries(byEnv)) {
      for (const role of ROLES) {
        const want = allowed.includes(role) ? 'allowed' : 'denied';
        it(`${command} ${env} by ${role}: ${want}`, async () => {
          const code = await attempt[command]!(role, env);
          expect(code === 'NOT_ALLOWED' ? 'denied' : 'allowed').toBe(want);
        });
      }
    }
  }

  it('refuses self-approval, even to an approver', async () => {
    // carol's request for v9.9.9 is open: a second request for the same change is refused up front
    expect(await h.run('alice', '/promote v9.9.9 prod')).toMatchObject({ ok: false, code: 'APPROVAL_PENDING' });
    await h.release('v9.9.8');
    const asked = await h.run('alice', '/promote v9.9.8 prod');
    expect(await h.run('alice', `/approve ${asked.approval!.id}`)).toMatchObject({ ok: false, code: 'SELF_APPROVAL' });
    expect((await h.run('dave', `/approve ${asked.approval!.id}`)).text).toContain('approved by dave; 4 more needed');
  });

  it('refuses an expired approval, and tells the requester when it expires by itself', async () => {
    const e = await startHarness({
      name: 'matrix-expiry',
      edit: (d) => {
        d.environments.prod.approvals.deadline = '1s';
        delete d.environments.prod.from;
      },
    });
    try {
      await e.release('v1.5.0');
      const events: string[] = [];
      const { connect } = await import('../../src/store/redis.js');
      const { redisUrl } = await import('../support/env.js');
      const stop = await e.gantry.core.bus.subscribe(connect(redisUrl()), (ev) => events.push(ev.type));
      const asked = await e.run('carol', '/promote v1.5.0 prod');
      const id = asked.approval!.id;
      // bounded wait for the expiry job (deadline 1 s)
      for (let i = 0; i < 100 && !events.includes('approval-expired'); i++) await new Promise((r) => setTimeout(r, 50));
      await stop();
      expect(events).toContain('approval-expired');
      const late = await e.run('alice', `/approve ${id}`);
      expect(late).toMatchObject({ ok: false, code: 'APPROVAL_CLOSED' });
      expect(late.text).toContain('expired');
      expect(await e.file('apps/web/prod/values.yaml')).toContain('tag: "v1.0.0"');
    } finally {
      await e.close();
    }
  });
});
