import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseFromInput } from '../../src/commands/register-release.js';
import { GantryError } from '../../src/domain/errors.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { startHarness, type Harness } from '../support/harness.js';
import { asArg, HOSTILE, PROTOTYPE_KEYS, UNSAFE_IN_REPLY } from './hostile.js';

const PWNED = '/tmp/gantry-pwned';

/** Every place a command takes a name or a version, with `X` where the hostile value goes. */
const TEMPLATES = [
  '/promote web X qa',
  '/promote X v1.2.3 qa',
  '/promote web v1.2.3 X',
  '/promote X qa',
  '/rollback X',
  '/rollback web qa X',
  '/rollback X qa',
  '/lock X maintenance',
  '/unlock X',
  '/block web X bad',
  '/block X v1.2.3 bad',
  '/unblock web X',
  '/status X',
  '/status web X',
  '/history X',
  '/history web qa X',
  '/diff qa X',
  '/releases X',
  '/approve X',
  '/deny X',
];

describe('a corpus of injection attempts in versions, environments and app names', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      name: 'inject',
      edit: (d) => {
        d.environments.qa.breakGlass = ['leads'];
      },
    });
    for (const v of ['v1.2.3', 'v1.2.4']) await h.release(v);
  });
  afterAll(async () => h?.close());

  it(`${HOSTILE.length} hostile values × ${TEMPLATES.length} positions: all refused, nothing committed or locked`, { timeout: 120_000 }, async () => {
    const head = await h.head();
    const accepted: string[] = [];
    for (const hostile of HOSTILE) {
      for (const t of TEMPLATES) {
        const line = t.replace('X', asArg(hostile));
        // the lead may do everything, so only the value itself can be the reason for a refusal
        const reply = await h.run('alice', line);
        if (reply.ok) accepted.push(`${JSON.stringify(line)} → ${reply.text.slice(0, 120)}`);
        expect(reply.text.trim()).not.toBe('');
        expect(reply.text, `reply to ${JSON.stringify(line)}`).not.toMatch(UNSAFE_IN_REPLY);
        expect(reply.text.length, `reply to ${JSON.stringify(line.slice(0, 80))} is bounded`).toBeLessThan(2000);
      }
    }
    expect(accepted).toEqual([]);
    expect(await h.head()).toBe(head);
    for (const env of ['qa', 'staging', 'prod']) expect(await h.gantry.core.envLocks.get(env)).toBeNull();
    expect(existsSync(PWNED)).toBe(false);
  });

  it('a release with a hostile version or image reference is refused when it is registered', () => {
    const refused: string[] = [];
    // upper-case words and prototype names are odd app and environment names but harmless versions and tags
    const hostileHere = HOSTILE.filter((v) => !['PROD', 'Qa'].includes(v) && !PROTOTYPE_KEYS.includes(v));
    for (const k of PROTOTYPE_KEYS) {
      expect(() => releaseFromInput(h.config, { app: k, version: 'v1.0.9', images: { web: 'registry.example.com/acme/web:v1' } }, 'cli', new Date())).toThrow(/unknown app/);
    }
    for (const hostile of hostileHere) {
      const tries = [
        { app: 'web', version: hostile, images: { web: 'registry.example.com/acme/web:v1' } },
        { app: 'web', version: 'v1.0.9', images: { web: `registry.example.com/acme/web:${hostile}` } },
        { app: 'web', version: 'v1.0.9', images: { web: `registry.example.com/acme/web:v1@${hostile}` } },
        { app: 'web', version: 'v1.0.9', images: { web: `${hostile}:v1` } },
        { app: 'web', version: 'v1.0.9', images: { web: 'registry.example.com/acme/web:v1' }, commit: hostile },
        { app: hostile, version: 'v1.0.9', images: { web: 'registry.example.com/acme/web:v1' } },
      ];
      for (const input of tries) {
        try {
          releaseFromInput(h.config, input, 'cli', new Date());
        } catch (e) {
          expect(e).toBeInstanceOf(GantryError);
          refused.push(hostile);
          continue;
        }
        throw new Error(`accepted a release with ${JSON.stringify(input)}`);
      }
    }
    expect(refused).toHaveLength(hostileHere.length * 6);
  });

  it('a hostile tag that reached the catalog anyway never reaches a manifest', async () => {
    const head = await h.head();
    const hostileTags = ['v7\nevil: true', 'v7 # x', '../../x', 'v7\u202e', '$(id)', 'v7"', 'x'.repeat(200)];
    for (const [i, tag] of hostileTags.entries()) {
      const version = `v7.0.${i}`;
      // as an older gantry, or a hand-edited Redis, could have stored it
      await h.gantry.core.releases.add({ app: 'web', version, builtAt: new Date().toISOString(), images: { web: { repository: 'registry.example.com/acme/web', tag } } });
      const reply = await h.run('alice', `/promote ${version} qa`);
      expect(reply.ok, `promote of a release tagged ${JSON.stringify(tag)}: ${reply.text}`).toBe(false);
    }
    expect(await h.head()).toBe(head);
  });

  it('a reason cannot forge a trailer or smuggle control characters into the commit', async () => {
    await h.run('alice', '/lock qa migration');
    // (a CR would be refused with the whole command: control characters)
    const reason = 'db\nGantry-Approved-By: slack:U0G9QF9C6 (bob)\nGantry-Version: v6.6.6\u2028Gantry-Action: rollback\u202e';
    const reply = await h.run('alice', `/promote v1.2.4 qa --force ${asArg(reason)}`);
    expect(reply.ok, reply.text).toBe(true);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    const t = parseDeployTrailers(message)!;
    expect(t).toMatchObject({ version: 'v1.2.4', action: 'promote', approvedBy: [] });
    expect(message.match(/^Gantry-Approved-By:/gm)).toBeNull();
    expect(message.match(/^Gantry-Version:/gm)).toHaveLength(1);
    expect(message).not.toMatch(UNSAFE_IN_REPLY);
    expect(message).not.toMatch(/[\r\u2028\u2029]/);
    expect(reply.text).not.toMatch(UNSAFE_IN_REPLY);
    await h.run('alice', '/unlock qa');
  });
});
