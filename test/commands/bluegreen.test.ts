import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { BLUE, GREEN, ROUTE, blueGreenProd, blueGreenSeed } from '../support/bluegreen.js';
import { startHarness, type Harness } from '../support/harness.js';

/** The files a commit changed, from the bare deploy repo. */
async function changed(h: Harness, rev = 'main'): Promise<string[]> {
  return (await h.git('show', '--name-only', '--format=', rev)).trim().split('\n');
}

const weightsOf = (route: string) => [...route.matchAll(/weight: (\d+)/g)].map((m) => Number(m[1]));

describe('blue-green deploys through the shell', () => {
  let seed: { dir: string; remove(): void };
  let h: Harness;
  beforeAll(() => {
    seed = blueGreenSeed('bluegreen');
  });
  afterAll(() => seed.remove());
  beforeEach(async () => {
    h = await startHarness({ name: 'bluegreen', seed: seed.dir, edit: (d) => blueGreenProd(d) });
    for (const v of ['v1.3.0', 'v1.4.0']) await h.release(v);
  });
  afterEach(async () => h.close());

  it('/promote writes only the idle colour, byte for byte, and says which colour is live', async () => {
    const [blue, green, route] = [await h.file(BLUE), await h.file(GREEN), await h.file(ROUTE)];
    const reply = await h.run('carol', '/promote v1.3.0 prod');
    expect(reply.ok, reply.text).toBe(true);
    expect(reply.text).toContain('promoted web v1.3.0 to prod (was v1.0.0)');
    expect(reply.text).toContain('wrote the idle colour green; traffic unchanged, blue stays live');
    expect(reply.text).toContain('colours: blue v1.0.0 100% (live) · green v1.3.0 0% (new)');
    expect(await changed(h)).toEqual([GREEN]);
    expect(await h.file(GREEN)).toBe(green.replace('web:v1.0.0', 'web:v1.3.0'));
    expect(await h.file(BLUE)).toBe(blue);
    expect(await h.file(ROUTE)).toBe(route);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe('promote web v1.3.0 to prod (green)');
    expect(parseDeployTrailers(message)).toMatchObject({ action: 'promote', version: 'v1.3.0', previousVersion: 'v1.0.0', color: 'green', weights: { blue: 100, green: 0 } });
    // what runs is the live colour's version; /status shows both colours
    const status = await h.run('carol', '/status web prod');
    expect(status.text).toContain('web v1.0.0');
    expect(status.text).toContain('colours: blue v1.0.0 100% (live) · green v1.3.0 0% (new)');
  });

  it('/shift 10% → 50% → /switch: one commit each, the route alone, with trailers; then the next promote goes to blue', async () => {
    const [blue, green] = [await h.file(BLUE), await h.file(GREEN)];
    expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
    const greenV13 = await h.file(GREEN);
    const steps: [string, number[], string][] = [
      ['/shift prod 10%', [90, 10], 'green has 10% of the traffic now'],
      ['/shift web prod 50%', [50, 50], 'green has 50% of the traffic now'],
      ['/switch prod', [0, 100], 'green has 100% of the traffic now: it is live'],
    ];
    for (const [line, weights, said] of steps) {
      const before = await h.head();
      const reply = await h.run('carol', line);
      expect(reply.ok, reply.text).toBe(true);
      expect(reply.text).toContain('shifted traffic of web in prod to v1.3.0');
      expect(reply.text).toContain(said);
      expect((await h.git('rev-list', `${before}..main`)).trim().split('\n')).toHaveLength(1);
      expect(await changed(h)).toEqual([ROUTE]);
      expect(weightsOf(await h.file(ROUTE))).toEqual(weights);
      const t = parseDeployTrailers(await h.git('log', '-1', '--format=%B', 'main'))!;
      expect(t).toMatchObject({ action: 'shift', version: 'v1.3.0', previousVersion: 'v1.0.0', color: 'green', weights: { blue: weights[0], green: weights[1] } });
      expect(t.requestedBy.id).toBe('shell:carol');
    }
    // images never moved
    expect(await h.file(BLUE)).toBe(blue);
    expect(await h.file(GREEN)).toBe(greenV13);
    expect(green).not.toBe(greenV13);
    const status = await h.run('carol', '/status web prod');
    expect(status.text).toContain('web v1.3.0');
    expect(status.text).toContain('colours: blue v1.0.0 0% · green v1.3.0 100% (live)');
    const history = await h.run('carol', '/history prod 4');
    expect(history.text.split('\n').slice(1, 5).map((l) => / (promote|shift|rollback) (v[\d.]+)/.exec(l)?.slice(1).join(' '))).toEqual([
      'shift v1.3.0',
      'shift v1.3.0',
      'shift v1.3.0',
      'promote v1.3.0',
    ]);
    // green is live now: the next release goes to blue
    const next = await h.run('carol', '/promote v1.4.0 prod');
    expect(next.ok, next.text).toBe(true);
    expect(next.text).toContain('wrote the idle colour blue; traffic unchanged, green stays live');
    expect(await changed(h)).toEqual([BLUE]);
  });

  it('/rollback during a shift moves all traffic back in one commit, images untouched; a second has nothing to move', async () => {
    expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
    expect((await h.run('carol', '/shift prod 10%')).ok).toBe(true);
    const [blue, green] = [await h.file(BLUE), await h.file(GREEN)];
    const back = await h.run('bob', '/rollback prod');
    expect(back.ok, back.text).toBe(true);
    expect(back.text).toContain('rolled back web in prod to v1.0.0 (was v1.3.0)');
    expect(back.text).toContain('all traffic is back on blue; images untouched');
    expect(await changed(h)).toEqual([ROUTE]);
    expect(weightsOf(await h.file(ROUTE))).toEqual([100, 0]);
    expect([await h.file(BLUE), await h.file(GREEN)]).toEqual([blue, green]);
    const t = parseDeployTrailers(await h.git('log', '-1', '--format=%B', 'main'))!;
    expect(t).toMatchObject({ action: 'rollback', version: 'v1.0.0', color: 'blue', weights: { blue: 100, green: 0 } });
    const head = await h.head();
    const again = await h.run('bob', '/rollback prod');
    expect(again).toMatchObject({ ok: false, code: 'NO_ROLLBACK_TARGET' });
    expect(again.text).toContain('nothing to move back: all traffic of web in prod is on the old colour (blue) already');
    expect(await h.head()).toBe(head);
  });

  it('/rollback after the switch moves all traffic back to the old colour', async () => {
    expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
    expect((await h.run('carol', '/switch prod')).ok).toBe(true);
    expect(weightsOf(await h.file(ROUTE))).toEqual([0, 100]);
    const back = await h.run('bob', '/rollback prod');
    expect(back.ok, back.text).toBe(true);
    expect(await changed(h)).toEqual([ROUTE]);
    expect(weightsOf(await h.file(ROUTE))).toEqual([100, 0]);
    expect((await h.run('carol', '/status web prod')).text).toContain('colours: blue v1.0.0 100% (live) · green v1.3.0 0%');
  });

  it('refusals change nothing: shift in progress, nothing to shift, a version on /rollback, a plain environment', async () => {
    expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
    expect((await h.run('carol', '/shift prod 10%')).ok).toBe(true);
    const head = await h.head();
    const cases: [string, string, string][] = [
      ['/promote v1.4.0 prod', 'DEPLOY_REFUSED', 'web is shifting traffic in prod (blue 90%, green 10%)'],
      ['/shift prod 10%', 'ALREADY_DEPLOYED', 'has 10% of the traffic already: nothing to shift'],
      ['/rollback prod v1.0.0', 'COMMAND_USAGE', '/rollback prod moves traffic back to the old colour'],
      ['/shift qa 10%', 'INPUT_INVALID', 'web is not deployed blue-green in qa'],
      ['/shift prod 0%', 'COMMAND_USAGE', 'from 1% to 100%'],
      ['/shift prod 101%', 'COMMAND_USAGE', 'from 1% to 100%'],
      ['/shift prod', 'COMMAND_USAGE', 'name the environment and the share of traffic'],
      ['/shift prod ten', 'COMMAND_USAGE', 'from 1% to 100%'],
      ['/switch', 'COMMAND_USAGE', 'name the environment'],
    ];
    for (const [line, code, text] of cases) {
      const r = await h.run('carol', line);
      expect(r, line).toMatchObject({ ok: false, code });
      expect(r.text, line).toContain(text);
    }
    expect(await h.head()).toBe(head);
  });
});

describe('blue-green policy', () => {
  let seed: { dir: string; remove(): void };
  beforeAll(() => {
    seed = blueGreenSeed('bluegreen-policy');
  });
  afterAll(() => seed.remove());

  it('who may shift (by person) and locks stop shifts', async () => {
    const h = await startHarness({
      name: 'bluegreen-policy',
      seed: seed.dir,
      edit: (d) => {
        blueGreenProd(d);
        d.environments.prod.shift = ['leads'];
      },
    });
    try {
      await h.release('v1.3.0');
      expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
      const head = await h.head();
      const denied = await h.run('carol', '/shift prod 10%');
      expect(denied).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
      expect(denied.text).toContain('shell:carol may not shift traffic in prod (allowed: leads)');
      expect((await h.run('alice', '/lock prod db migration')).ok).toBe(true);
      expect(await h.run('alice', '/shift prod 10%')).toMatchObject({ ok: false, code: 'ENV_LOCKED' });
      expect(await h.head()).toBe(head);
      expect((await h.run('alice', '/unlock prod')).ok).toBe(true);
      expect((await h.run('alice', '/shift prod 10%')).ok).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('a freeze window stops a shift, never the rollback', async () => {
    const h = await startHarness({
      name: 'bluegreen-freeze',
      seed: seed.dir,
      edit: (d) => {
        blueGreenProd(d);
        d.environments.prod.freeze = [{ cron: '* * * * *', duration: '2h', reason: 'release freeze' }];
      },
    });
    try {
      await h.release('v1.3.0');
      // the promotion before the window is written by hand: a freeze stops /promote too
      expect(await h.run('carol', '/promote v1.3.0 prod')).toMatchObject({ ok: false, code: 'ENV_FROZEN' });
      expect((await h.run('alice', '/promote v1.3.0 prod --force "hotfix"')).ok).toBe(true);
      expect((await h.run('alice', '/shift prod 10% --force "hotfix"')).ok).toBe(true);
      const head = await h.head();
      const shift = await h.run('alice', '/shift prod 50%');
      expect(shift).toMatchObject({ ok: false, code: 'ENV_FROZEN' });
      expect(await h.head()).toBe(head);
      const back = await h.run('bob', '/rollback prod');
      expect(back.ok, back.text).toBe(true);
      expect(weightsOf(await h.file(ROUTE))).toEqual([100, 0]);
    } finally {
      await h.close();
    }
  });

  it('approvals.shift: first asks for approval on the first shift only', async () => {
    const h = await startHarness({
      name: 'bluegreen-approval',
      seed: seed.dir,
      edit: (d) => {
        blueGreenProd(d);
        d.environments.prod.approvals = { required: 1, from: ['leads'], shift: 'first' };
      },
    });
    try {
      await h.release('v1.3.0');
      const promoted = await h.run('carol', '/promote v1.3.0 prod');
      const id0 = promoted.approval!.id;
      expect((await h.run('alice', `/approve ${id0}`)).ok).toBe(true);
      const head = await h.head();
      const asked = await h.run('carol', '/shift prod 10%');
      expect(asked.ok, asked.text).toBe(true);
      const id = asked.approval!.id;
      expect(asked.text).toContain(`approval ${id} requested: shift traffic of web in prod to v1.3.0`);
      expect(await h.head()).toBe(head);
      const approved = await h.run('alice', `/approve ${id}`);
      expect(approved.ok, approved.text).toBe(true);
      expect(weightsOf(await h.file(ROUTE))).toEqual([90, 10]);
      const message = await h.git('log', '-1', '--format=%B', 'main');
      expect(message).toContain('Gantry-Action: shift');
      expect(message).toContain('Gantry-Approved-By: shell:alice (alice)');
      // not the first shift any more: straight through
      const next = await h.run('carol', '/shift prod 50%');
      expect(next.ok, next.text).toBe(true);
      expect(next.approval).toBeUndefined();
      expect(weightsOf(await h.file(ROUTE))).toEqual([50, 50]);
    } finally {
      await h.close();
    }
  });
});
