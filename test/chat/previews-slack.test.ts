import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreviewWriter } from '../../src/previews/writer.js';
import { silentLogger } from '../../src/util/logger.js';
import { IMAGE1, IMAGE2, previewSeed, withPreviews } from '../previews/support.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecorder } from '../support/recorder.js';
import { slackApi, startSlackFace, type SlackFace } from '../support/slack.js';

const CAROL = 'UCAROL01';

/**
 * Preview environments seen from Slack: previews written into a real deploy repo by the preview
 * writer (as the preview worker does after a pull request's image is built; the GitHub side is
 * test/github/previews.test.ts), listed by a signed `/previews` slash command, the bot's answer
 * going to a local recorder of Slack's Web API.
 */
describe('previews through Slack', () => {
  let h: Harness;
  let sf: SlackFace;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let seed: ReturnType<typeof previewSeed>;
  let writer: PreviewWriter;

  beforeAll(async () => {
    recorder = await startRecorder(slackApi);
    seed = previewSeed('previews-slack');
    h = await startHarness({
      name: 'previews-slack',
      workers: false,
      seed: seed.dir,
      edit: (d) => {
        withPreviews()(d);
        d.users.carol.ids.push(`slack:${CAROL}`);
      },
    });
    const core = h.gantry.core;
    writer = new PreviewWriter({ config: core.config, repo: core.repo, lock: core.deployBranch!.lock, headHint: core.deployBranch!.headHint, log: silentLogger, now: () => core.now() });
    sf = await startSlackFace(h.gantry, recorder);
  });
  afterAll(async () => {
    await sf?.close();
    await h?.close();
    await recorder?.close();
    seed?.remove();
  });

  const slash = (text: string) => sf.slash(CAROL, '/previews', text);
  const answer = (from: number, re: RegExp, what: string) =>
    recorder.waitFor((c) => recorder.calls.indexOf(c) >= from && c.path === '/api/chat.postMessage' && re.test(c.body.text ?? ''), what);

  it('lists the open previews with their URLs, and follows a removal', async () => {
    let from = recorder.calls.length;
    expect((await slash('web')).status).toBe(200);
    await answer(from, /^no previews of web are open$/, 'empty list');

    for (const [pr, image] of [[42, IMAGE1], [7, IMAGE2]] as const) {
      await writer.apply({ kind: 'write', app: 'web', pr, image, version: `pr-${pr}-1a2b3c4`, requestedBy: 'github:octocat', request: `req-${pr}` });
    }
    from = recorder.calls.length;
    expect((await slash('web')).status).toBe(200);
    const listed = await answer(from, /^previews of web, one per pull request:/, 'list');
    const lines = (listed.body.text as string).split('\n');
    expect(lines[1]).toMatch(/^#7 {2}pr-7-1a2b3c4 {2}https:\/\/web-pr-7\.preview\.example\.com\/ {2}previews\/web-pr-7 {2}updated /);
    expect(lines[2]).toMatch(/^#42 {2}pr-42-1a2b3c4 {2}https:\/\/web-pr-42\.preview\.example\.com\/ {2}previews\/web-pr-42 {2}updated /);
    expect(JSON.stringify(listed.body.blocks)).toContain('https://web-pr-42.preview.example.com/');

    await writer.apply({ kind: 'remove', app: 'web', pr: 7, requestedBy: 'github:octocat', request: 'req-7-closed' });
    from = recorder.calls.length;
    await slash('');
    const after = await answer(from, /^previews of web/, 'list after the removal');
    expect(after.body.text).toContain('#42');
    expect(after.body.text).not.toContain('#7 ');

    // a word that is no app: a refusal in the thread, nothing written
    const head = await h.head();
    from = recorder.calls.length;
    await slash('nosuchapp');
    await answer(from, /^:x: .*nosuchapp/, 'refusal');
    expect(await h.head()).toBe(head);
  });
});
