import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { BLUE, GREEN, SERVICE, blueGreenProd, blueGreenSeed } from '../support/bluegreen.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecorder } from '../support/recorder.js';
import { slackApi, startSlackFace, type SlackFace } from '../support/slack.js';

const CAROL = 'UCAROL01'; // devs: may promote and shift in prod
const BOB = 'U0G9QF9C6'; // oncall: rolls back

/**
 * Blue-green end to end through Slack: signed slash commands in, the bot's Web API calls out to a
 * local recorder; the traffic split is a Service selector (switch only, no weights).
 */
describe('blue-green through Slack, switched by a Service selector', () => {
  let h: Harness;
  let sf: SlackFace;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let seed: { dir: string; remove(): void };

  beforeAll(async () => {
    recorder = await startRecorder(slackApi);
    seed = blueGreenSeed('bluegreen-slack');
    h = await startHarness({
      name: 'bluegreen-slack',
      workers: false,
      seed: seed.dir,
      edit: (d) => {
        blueGreenProd(d, 'service');
        d.users.carol.ids.push(`slack:${CAROL}`);
      },
    });
    sf = await startSlackFace(h.gantry, recorder, { notify: true });
    await h.release('v1.3.0');
  });
  afterAll(async () => {
    await sf?.close();
    await h.close();
    await recorder.close();
    seed.remove();
  });

  const slash = (user: string, command: string, text: string) => sf.slash(user, command, text);
  /** The bot's answer in the thread: the first chat.postMessage after `from` whose text matches. */
  const answer = (from: number, re: RegExp, what: string) =>
    recorder.waitFor((c) => recorder.calls.indexOf(c) >= from && c.path === '/api/chat.postMessage' && re.test(c.body.text ?? ''), what);

  it('promote to idle, a refused 10% on a switch-only format, /switch, /status with both colours, /rollback', async () => {
    const [blue, service] = [await h.file(BLUE), await h.file(SERVICE)];
    let from = recorder.calls.length;
    expect((await slash(CAROL, '/promote', 'v1.3.0 prod')).status).toBe(200);
    const promoted = await answer(from, /promoted web v1\.3\.0 to prod/, 'promote answer');
    expect(promoted.body.text).toContain('wrote the idle colour green; traffic unchanged, blue stays live');
    expect(await h.file(SERVICE)).toBe(service);
    expect(await h.file(BLUE)).toBe(blue);

    from = recorder.calls.length;
    let head = await h.head();
    await slash(CAROL, '/shift', 'prod 10%');
    const refused = await answer(from, /only switches all traffic at once/, 'switch-only refusal');
    expect(refused.body.text).toContain(`${SERVICE} (service) only switches all traffic at once: /switch prod (or /shift prod 100%), not 10%`);
    expect(await h.head()).toBe(head);

    from = recorder.calls.length;
    await slash(CAROL, '/switch', 'prod');
    const switched = await answer(from, /shifted traffic of web in prod to v1\.3\.0/, 'switch answer');
    expect(switched.body.text).toContain('green has 100% of the traffic now: it is live');
    // byte for byte: the selector's value alone, its comment kept
    expect(await h.file(SERVICE)).toBe(service.replace('color: blue   # switched by gantry', 'color: green   # switched by gantry'));
    const t = parseDeployTrailers(await h.git('log', '-1', '--format=%B', 'main'))!;
    expect(t).toMatchObject({ action: 'shift', color: 'green', weights: { blue: 0, green: 100 }, requestedBy: { id: `slack:${CAROL}` } });

    from = recorder.calls.length;
    await slash(CAROL, '/status', 'web prod');
    const status = await answer(from, /colours:/, 'status');
    expect(status.body.text).toContain('colours: blue v1.0.0 0% · green v1.3.0 100% (live)');

    from = recorder.calls.length;
    head = await h.head();
    await slash(BOB, '/rollback', 'prod');
    const back = await answer(from, /rolled back web in prod to v1\.0\.0/, 'rollback answer');
    expect(back.body.text).toContain('all traffic is back on blue; images untouched');
    expect((await h.git('show', '--name-only', '--format=', 'main')).trim()).toBe(SERVICE);
    expect(await h.file(SERVICE)).toBe(service);
    expect(await h.head()).not.toBe(head);
    expect(await h.file(GREEN)).toContain('web:v1.3.0');
  });
});
