import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * The read commands take an optional app first; input of another shape is answered with what is
 * wrong with it as typed (issue 10: `/history prod abc` answered `unknown app "prod"`).
 */
describe('read commands: what is wrong with the input as typed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ name: 'read-args' });
    await h.release('v1.2.3');
  });
  afterAll(async () => h.close());

  const cases: [string, string][] = [
    ['/history prod abc', '"abc" is not a number of entries (n must be between 1 and 100)\nusage: /history'],
    ['/history web prod abc', '"abc" is not a number of entries'],
    ['/history qa staging', '"staging" is not a number of entries'],
    ['/history prod web', 'the app comes before the environment: /history web prod\nusage: /history'],
    ['/history prod web 5', 'the app comes before the environment: /history web prod 5'],
    ['/status prod abc', 'unexpected "abc" after the environment "prod"\nusage: /status'],
    ['/status prod web', 'the app comes before the environment: /status web prod'],
    ['/status web prod extra', 'too many arguments: unexpected "extra"'],
    ['/diff qa prod abc', 'unexpected "abc" after the environments "qa" and "prod"\nusage: /diff'],
    ['/diff qa prod web', 'the app comes before the environment: /diff web qa prod'],
    ['/diff web qa prod extra', 'too many arguments: unexpected "extra"'],
    ['/releases prod', '"prod" is an environment; /releases lists the releases of an app (apps: web)\nusage: /releases'],
    ['/releases web extra', 'too many arguments: unexpected "extra"'],
    ['/stats prod 100d', '"100d" is not a period: give hours or days, from 1h to 90d (24h, 7d, 30d)\nusage: /stats [app] [env] [period]'],
    ['/stats 0h', '"0h" is not a period'],
    ['/stats web 2w', '"2w" is not a period'],
    ['/stats 7', '"7" is not a period'],
    ['/stats 7d prod', 'the period "7d" comes last: /stats [app] [env] [period]\nusage: /stats'],
    ['/stats prod web', 'the app comes before the environment: /stats web prod'],
    ['/stats web prod 7d extra', 'too many arguments: unexpected "extra"'],
  ];
  for (const [line, text] of cases) {
    it(`${line} → ${text.split('\n')[0]}`, async () => {
      const reply = await h.run('carol', line);
      expect(reply).toMatchObject({ ok: false, code: 'COMMAND_USAGE' });
      expect(reply.text.slice(0, text.length)).toBe(text);
    });
  }

  it('the shapes of the usage still answer', async () => {
    for (const line of ['/history prod', '/history web prod 3', '/history prod 3', '/status prod', '/status web', '/status web prod', '/diff qa prod', '/diff web qa prod', '/releases', '/releases web', '/stats', '/stats prod', '/stats web', '/stats web prod 24h', '/stats 90d']) {
      const reply = await h.run('carol', line);
      expect(reply.ok, `${line}: ${reply.text}`).toBe(true);
    }
  });
});
