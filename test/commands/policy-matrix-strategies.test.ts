import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueGreenProd, blueGreenSeed } from '../support/bluegreen.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startBundleHarness } from '../bundles/seed.js';

/**
 * The policy matrix (test/commands/policy-matrix.test.ts) for the commands of the release
 * strategies: /shift and /switch in a blue-green prod, and bundles, each role × each environment,
 * through real commands against the shipped config/demo/gantry.yml (leads: alice, dave; oncall: bob;
 * devs: carol; erin is known to nobody). "allowed" means the reply is not NOT_ALLOWED: an allowed
 * command may still be refused for another reason (nothing to shift, already there, …), and a
 * refused one changes nothing.
 */
const ROLES = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
type Role = (typeof ROLES)[number];

/** who may promote in prod by the demo config; `shift` defaults to it */
const PROD_PROMOTERS: Role[] = ['alice', 'carol', 'dave'];

describe('policy matrix: /shift and /switch in a blue-green prod', () => {
  let seed: { dir: string; remove(): void };
  let h: Harness;
  beforeAll(async () => {
    seed = blueGreenSeed('matrix-bg');
    h = await startHarness({ name: 'matrix-bg', seed: seed.dir, edit: (d) => blueGreenProd(d) });
    await h.release('v9.9.9');
    const promoted = await h.run('alice', '/promote v9.9.9 prod');
    expect(promoted.ok, promoted.text).toBe(true);
  });
  afterAll(async () => {
    await h?.close();
    seed?.remove();
  });

  const EXPECTED: [string, (role: Role) => string, Role[]][] = [
    ['shift', () => '/shift prod 10%', PROD_PROMOTERS],
    ['shift with an app', () => '/shift web prod 50%', PROD_PROMOTERS],
    ['shift --force', () => '/shift prod 60% --force "matrix"', ['alice', 'dave']],
    ['switch', () => '/switch prod', PROD_PROMOTERS],
    ['switch with an app', () => '/switch web prod', PROD_PROMOTERS],
  ];
  for (const [what, line, allowed] of EXPECTED) {
    for (const role of ROLES) {
      const want = allowed.includes(role) ? 'allowed' : 'denied';
      it(`${what} prod by ${role}: ${want}`, async () => {
        const before = await h.head();
        const reply = await h.run(role, line(role));
        expect(reply.code === 'NOT_ALLOWED' ? 'denied' : 'allowed', reply.text).toBe(want);
        if (want === 'denied') expect(await h.head()).toBe(before);
      });
    }
  }

  it('the traffic moved back by /rollback is the rollback right (on-call), not the shift right', async () => {
    // alice switched above: green (v9.9.9) is live, blue holds what ran before
    const carol = await h.run('carol', '/rollback prod');
    expect(carol.code, carol.text).toBe('NOT_ALLOWED');
    const bob = await h.run('bob', '/rollback prod');
    expect(bob.ok, bob.text).toBe(true);
  });
});

describe('policy matrix: bundles', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startBundleHarness('matrix-bundle', {
      edit: (d) => {
        d.environments.prod.approvals.required = 5; // asked, never executed
        delete d.environments.staging.from;
        delete d.environments.prod.from;
      },
    });
  });
  afterAll(async () => h?.close());

  const EXPECTED: [string, string, Role[]][] = [
    ['/promote bundle 2026.12 qa', 'qa', [...ROLES]],
    ['/promote bundle 2026.12 staging', 'staging', [...ROLES]],
    ['/promote bundle 2026.12 prod', 'prod', PROD_PROMOTERS],
    ['/promote bundle 2026.12 prod --force "matrix"', 'prod', ['alice', 'dave']],
    ['/rollback bundle 2026.12 qa', 'qa', [...ROLES]],
    ['/rollback bundle 2026.12 prod', 'prod', ['alice', 'bob', 'dave']],
  ];
  for (const [line, env, allowed] of EXPECTED) {
    for (const role of ROLES) {
      const want = allowed.includes(role) ? 'allowed' : 'denied';
      it(`${line} by ${role}: ${want}`, async () => {
        const before = await h.head();
        const reply = await h.run(role, line);
        expect(reply.code === 'NOT_ALLOWED' ? 'denied' : 'allowed', `${env}: ${reply.text}`).toBe(want);
        if (want === 'denied') expect(await h.head()).toBe(before);
      });
    }
  }
});
