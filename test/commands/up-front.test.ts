import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/store/redis.js';
import { redisUrl } from '../support/env.js';
import { startHarness, type Harness } from '../support/harness.js';

/** What a request would be refused for is said when it is made, not after it was queued or approved. */
describe('refusals up front', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('ALREADY_DEPLOYED is answered before a deploy job or an approval exists', async () => {
    h = await startHarness({ name: 'up-front-already' });
    await h.release('v1.0.0');
    const events: string[] = [];
    const stop = await h.gantry.core.bus.subscribe(connect(redisUrl()), (ev) => events.push(ev.type));
    try {
      const head = await h.head();
      const qa = await h.run('carol', '/promote v1.0.0 qa');
      expect(qa).toMatchObject({ ok: false, code: 'ALREADY_DEPLOYED' });
      expect(qa.text).toContain('web v1.0.0 already runs in qa');
      // prod needs approval: nobody is asked to approve a change that is no change
      const prod = await h.run('carol', '/promote v1.0.0 prod --force "x"');
      expect(prod.code).toBe('NOT_ALLOWED'); // carol has no break-glass rights: the gate answers first
      const prod2 = await h.run('alice', '/promote v1.0.0 prod');
      expect(prod2).toMatchObject({ ok: false, code: 'ALREADY_DEPLOYED' });
      expect(await h.gantry.core.approvals.pending()).toEqual([]);
      const counts = await h.gantry.core.queue.queue.getJobCounts();
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(events).not.toContain('deploy-failed');
      expect(await h.head()).toBe(head);
    } finally {
      await stop();
    }
  });

  it('two requests for the same promotion at once open one approval; the other is told which', async () => {
    h = await startHarness({ name: 'up-front-twice', edit: (d) => delete d.environments.prod.from });
    await h.release('v1.3.0');
    const [a, b] = await Promise.all([h.run('carol', '/promote v1.3.0 prod'), h.run('dave', '/promote v1.3.0 prod')]);
    const opened = [a, b].filter((r) => r.ok);
    const refused = [a, b].filter((r) => !r.ok);
    expect(opened).toHaveLength(1);
    expect(refused[0]).toMatchObject({ code: 'APPROVAL_PENDING' });
    expect(refused[0]!.text).toContain(`approval ${opened[0]!.approval!.id} already asks for this`);
    expect(await h.gantry.core.approvals.pending()).toHaveLength(1);
    // once it is denied, the same promotion may be asked for again
    expect((await h.run('alice', `/deny ${opened[0]!.approval!.id} not today`)).ok).toBe(true);
    expect((await h.run('carol', '/promote v1.3.0 prod')).ok).toBe(true);
  });

  it('--force is recorded only when it passed something: a lock lifted before the approval completed passed nothing', async () => {
    h = await startHarness({ name: 'up-front-force', edit: (d) => delete d.environments.prod.from });
    await h.release('v1.4.0');
    expect((await h.run('bob', '/lock prod db migration')).ok).toBe(true);
    const asked = await h.run('alice', '/promote v1.4.0 prod --force "hotfix for checkout"');
    expect(asked.ok, asked.text).toBe(true);
    expect((await h.run('bob', '/unlock prod')).ok).toBe(true);
    const done = await h.run('dave', `/approve ${asked.approval!.id}`);
    expect(done.ok, done.text).toBe(true);
    expect(done.text).not.toContain('override');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Version: v1.4.0');
    expect(message).not.toContain('Gantry-Override');
    expect(message).not.toContain('passed lock');
  });

  it('a mistake in /promote is named as typed', async () => {
    h = await startHarness({ name: 'up-front-words' });
    const cases: [string, string][] = [
      ['/promote v1.2.0 qa extra words', 'unexpected "extra words" after the environment qa'],
      ['/promote qa v1.2.0', 'the version comes before the environment: /promote v1.2.0 qa'],
      ['/promote v1.2.0', 'name the environment to promote v1.2.0 to (environments: qa, staging, prod)'],
      ['/promote prod', 'name the version to promote to prod'],
      ['/promote web v1 v2 prod', 'too many words'],
    ];
    for (const [line, text] of cases) {
      const r = await h.run('carol', line);
      expect(r.code, line).toBe('COMMAND_USAGE');
      expect(r.text, line).toContain(text);
      expect(r.text, line).toContain('usage: /promote [app] <version> <env>');
    }
  });
});
