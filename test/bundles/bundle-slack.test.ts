import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBundleTrailers } from '../../src/gitops/bundle-trailers.js';
import type { Harness } from '../support/harness.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { slackApi, startSlackFace, type SlackFace } from '../support/slack.js';
import { startBundleHarness } from './seed.js';

const CAROL = 'UCAROL01'; // devs: may promote to prod, may not approve
const ALICE = 'U024BE7LH'; // lead: approver

/** A bundle through Slack: signed slash commands and button clicks into the bot, its calls to a local recorder. */
describe('bundles in Slack', () => {
  let h: Harness;
  let sf: SlackFace;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeAll(async () => {
    recorder = await startRecorder(slackApi);
    h = await startBundleHarness('bundle-slack', {
      workers: false,
      edit: (d) => {
        d.users.carol.ids.push(`slack:${CAROL}`);
        d.deployRepo.webUrl = 'https://github.com/acme/deploy';
      },
    });
    sf = await startSlackFace(h.gantry, recorder, { notify: true });
  });
  afterAll(async () => {
    await sf?.close();
    await h.close();
    await recorder.close();
  });

  const slash = (user: string, text: string) => sf.slash(user, '/promote', text);
  const click = (user: string, actionId: string, value: string) => sf.click(user, actionId, value);
  const blocksText = (c: Recorded) => JSON.stringify(c.body.blocks ?? []);

  it('/promote bundle to qa answers with every app; to prod one card lists every app, one vote writes one commit', async () => {
    expect((await slash(CAROL, 'bundle 2026.12 qa')).status).toBe(200);
    const done = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^promoted bundle 2026\.12 to qa: one commit/.test(c.body.text ?? ''), 'qa reply');
    expect(done.body.text).toContain('api v3.4.0 (was v3.3.0)');
    expect(done.body.text).toContain('web v1.2.3 (was v1.0.0)');
    expect((await h.run('carol', '/promote bundle 2026.12 staging')).ok).toBe(true);

    const head = await h.head();
    expect((await slash(CAROL, 'bundle 2026.12 prod')).status).toBe(200);
    const card = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^Approval \d+: promote bundle 2026\.12 in prod/.test(c.body.text ?? ''), 'approval card');
    const id = /^Approval (\d+)/.exec(card.body.text)![1]!;
    const blocks = blocksText(card);
    expect(blocks).toContain('"action_id":"gantry_approve"');
    // every app and every app's changed line on the one card
    expect(blocks).toContain('api v3.4.0 (now v3.3.0)');
    expect(blocks).toContain('web v1.2.3 (now v1.0.0)');
    expect(blocks).toContain('apps/api/prod/deployment.yaml:11');
    expect(blocks).toContain('apps/web/prod/values.yaml:6');
    expect(await h.head()).toBe(head);

    // the requester may not approve; a lead's one click deploys every app in one commit
    await click(CAROL, 'gantry_approve', id);
    await recorder.waitFor((c) => c.path === '/api/chat.postEphemeral' && c.body.user === CAROL, 'carol refused');
    expect(await h.head()).toBe(head);
    await click(ALICE, 'gantry_approve', id);
    const update = await recorder.waitFor((c) => c.path === '/api/chat.update' && /deployed/.test(blocksText(c)), 'card updated');
    const sha = await h.head();
    expect(await h.git('rev-list', '--count', `${head}..main`)).toBe('1\n');
    expect(blocksText(update)).toContain(`<https://github.com/acme/deploy/commit/${sha}|${sha.slice(0, 7)}>`);
    expect(blocksText(update)).not.toContain('gantry_approve');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Gantry-Approved-By: slack:${ALICE} (alice)`);
    expect(message).toContain(`Gantry-Requested-By: slack:${CAROL} (carol)`);
    expect(parseBundleTrailers(message).map((t) => `${t.app} ${t.version}`)).toEqual(['api v3.4.0', 'web v1.2.3']);
  });
});
