import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyMessage } from '../../src/chat/slack/render.js';
import { Voice } from '../../src/i18n/voice.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { clickBody, postSlack, slackApi, slashBody, startSlackFace, type SlackFace } from '../support/slack.js';

const CAROL = 'UCAROL01'; // devs: may promote to prod, may not approve
const BOB = 'U0G9QF9C6'; // oncall
const ALICE = 'U024BE7LH'; // lead: approver
const WANG = 'UWANG0001'; // reads Chinese, in Shanghai
const CHINA = 'C0CHINA01'; // a channel that reads Chinese

describe('Slack face', () => {
  let h: Harness;
  let sf: SlackFace;
  let events: string;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeAll(async () => {
    recorder = await startRecorder(slackApi);
    h = await startHarness({
      name: 'slack',
      workers: false,
      edit: (d) => {
        d.users.carol.ids.push(`slack:${CAROL}`);
        d.users.wang = { ids: [`slack:${WANG}`], locale: 'zh-CN', timeZone: 'Asia/Shanghai' };
        d.users.alice.locale = 'en'; // reads English wherever she is
        d.i18n = { ...d.i18n, channels: { [`slack:${CHINA}`]: { locale: 'zh-CN' } } };
        d.deployRepo.webUrl = 'https://github.com/acme/deploy';
        d.notify = [
          { events: ['deployed', 'rolled-back'], environments: ['prod'], to: ['slack:#deploys'] },
          { events: ['locked'], environments: ['staging'], to: ['slack:#deploys'] },
        ];
      },
    });
    sf = await startSlackFace(h.gantry, recorder, { notify: true });
    events = sf.events;
    await h.release('v1.2.3');
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.2.3 ${env}`)).ok).toBe(true);
  });
  afterAll(async () => {
    await sf.close();
    await h.close();
    await recorder.close();
  });

  const calls = (method: string, from = 0) => recorder.calls.slice(from).filter((c) => c.path === `/api/${method}`);
  const slash: SlackFace['slash'] = (...a) => sf.slash(...a);
  const click = (user: string, actionId: string, value: string, messageTs: string) => sf.click(user, actionId, value, messageTs);
  const blocksText = (c: Recorded) => JSON.stringify(c.body.blocks ?? []);

  it('promote → approval with buttons → requester refused → approver deploys → message updated with the commit', async () => {
    const from = recorder.calls.length;
    const head = await h.head();
    const ack = await slash(CAROL, '/promote', 'v1.2 prod');
    expect(ack.status).toBe(200);

    // the request in the channel, then the approval message in its thread, broadcast to the channel
    const root = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /ran `\/promote v1\.2 prod`/.test(c.body.text), 'thread root');
    expect(root.body.channel).toBe('C0DEPLOYS');
    const ask = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^Approval \d+: promote web v1\.0\.0 → v1\.2\.3 in prod/.test(c.body.text), 'approval message');
    expect(ask.body.reply_broadcast).toBe('true');
    expect(blocksText(ask)).toContain('"action_id":"gantry_approve"');
    expect(blocksText(ask)).toContain('"action_id":"gantry_deny"');
    expect(blocksText(ask)).toContain('apps/web/prod/values.yaml:6  registry.example.com/acme/web:v1.0.0 → registry.example.com/acme/web:v1.2.3');
    expect(blocksText(ask)).toContain('*Requested by* carol');
    const id = /^Approval (\d+)/.exec(ask.body.text)![1]!;
    expect(ask.body.thread_ts).toBeDefined(); // in the thread of the request
    expect(calls('chat.postMessage', from)[0]).toBe(root);

    // the requester clicks: refused privately, nothing changes
    const before = recorder.calls.length;
    expect((await click(CAROL, 'gantry_approve', id, '1.0')).status).toBe(200);
    const refused = await recorder.waitFor((c) => c.path === '/api/chat.postEphemeral' && c.body.user === CAROL, 'ephemeral to carol');
    expect(refused.body.text).toMatch(/you are not an approver for prod|yourself/);
    // on-call bob may not approve either
    await click(BOB, 'gantry_approve', id, '1.0');
    const bobs = await recorder.waitFor((c) => c.path === '/api/chat.postEphemeral' && c.body.user === BOB, 'ephemeral to bob');
    expect(bobs.body.text).toBe('you are not an approver for prod (approvers: leads)');
    expect(calls('chat.update', before)).toHaveLength(0);
    expect(await h.head()).toBe(head);

    // a lead approves: the deploy commit carries her Slack identity
    await click(ALICE, 'gantry_approve', id, '1.0');
    const update = await recorder.waitFor((c) => c.path === '/api/chat.update' && /deployed/.test(blocksText(c)), 'approval message updated');
    const sha = (await h.head()).trim();
    expect(sha).not.toBe(head);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Gantry-Approved-By: slack:${ALICE} (alice)`);
    expect(message).toContain(`Gantry-Requested-By: slack:${CAROL} (carol)`);
    expect(update.body.ts).toBeDefined();
    expect(blocksText(update)).toContain(`<https://github.com/acme/deploy/commit/${sha}|${sha.slice(0, 7)}>`);
    expect(blocksText(update)).not.toContain('gantry_approve'); // buttons gone
    // and the deploy report reaches #deploys through the notification queue
    const report = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.channel === '#deploys', 'report in #deploys');
    expect(report.body.text).toBe(`🚀 deployed web v1.2.3 to prod (was v1.0.0) by carol, approved by alice: commit ${sha.slice(0, 7)}`);
    expect(blocksText(report)).toContain(`commit <https://github.com/acme/deploy/commit/${sha}|${sha.slice(0, 7)}>`);
  });

  it('rejects forged and stale requests with nothing done', async () => {
    // what the test before set going (thread replies, the report, the Home tab) may still be arriving
    // on a loaded machine: count from when the recorder has been quiet for 300 ms (at most 6 s)
    for (let i = 0, n = -1; i < 20 && n !== recorder.calls.length; i++) {
      n = recorder.calls.length;
      await new Promise((r) => setTimeout(r, 300));
    }
    const from = recorder.calls.length;
    const head = await h.head();
    const forged = await slash(BOB, '/rollback', 'prod', { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await slash(BOB, '/rollback', 'prod', { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(recorder.calls.slice(from)).toHaveLength(0);
    expect(await h.head()).toBe(head);
  });

  it('answers unknown users and unknown commands in the thread, changing nothing', async () => {
    const head = await h.head();
    await slash('UNOBODY1', '/promote', 'v1.2.3 prod');
    const denied = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /slack:UNOBODY1 may not promote to prod/.test(c.body.text ?? ''), 'refusal');
    expect(denied.body.thread_ts).toBeDefined();
    await slash(CAROL, '/gantry', 'frobnicate now');
    const unknown = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /unknown command "\/frobnicate"/.test(c.body.text ?? ''), 'unknown command');
    expect(unknown.body.text).toMatch(/^:x: unknown command/);
    await slash(CAROL, '/promote', '');
    // the fallback text is mrkdwn like the blocks: < and > come escaped
    const usage = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /usage: \/promote \[app\] &lt;version&gt; &lt;env&gt;/.test(c.body.text ?? ''), 'usage line');
    expect(usage.body.thread_ts).toBeDefined();
    expect(await h.head()).toBe(head);
  });

  it('user text is escaped in every text fallback as in the blocks: <!channel> in a lock reason pings nobody', async () => {
    const from = recorder.calls.length;
    await slash(ALICE, '/gantry', 'lock staging <!channel> ping & <@U0G9QF9C6>');
    const reply = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /staging locked by alice/.test(c.body.text ?? ''), 'lock reply');
    expect(reply.body.text).toContain('&lt;!channel&gt; ping &amp; &lt;@U0G9QF9C6&gt;');
    const report = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.channel === '#deploys' && /staging/.test(c.body.text ?? ''), 'lock report');
    expect(report.body.text).toContain('&lt;!channel&gt;');
    // a refusal quoting what was typed is escaped too
    await slash(CAROL, '/gantry', 'promote <!here> prod');
    await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /&lt;!here&gt;/.test(c.body.text ?? '') && /^:x:/.test(c.body.text ?? ''), 'refusal');
    for (const c of recorder.calls.slice(from)) {
      expect(JSON.stringify(c.body), c.path).not.toMatch(/<!channel>|<!here>|<@U0G9QF9C6>/);
    }
    expect((await h.run('alice', '/unlock staging')).ok).toBe(true);
  });

  it('answers @gantry mentions in a thread of the mention', async () => {
    const body = JSON.stringify({
      token: 'x',
      team_id: 'T0001',
      api_app_id: 'A0GANTRY',
      type: 'event_callback',
      event_id: 'Ev0MENTION1',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_mention', user: BOB, text: '<@UBOT> history prod 1', ts: '1700000000.000100', channel: 'C0DEPLOYS', event_ts: '1700000000.000100' },
    });
    expect((await postSlack(events, body, 'json')).status).toBe(200);
    const reply = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.thread_ts === '1700000000.000100', 'mention reply');
    expect(reply.body.text).toMatch(/^web in prod, newest first:\n[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d\d:\d\d UTC promote v1\.2\.3 \(from v1\.0\.0\) by carol, approved by alice$/);
  });

  it('answers a user whose config says locale zh-CN in Chinese, times in their zone', async () => {
    await slash(WANG, '/gantry', 'history prod 1');
    const root = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && (c.body.text ?? '').startsWith(`<@${WANG}>`), 'thread root');
    expect(root.body.text).toBe(`<@${WANG}> 执行了 \`/history prod 1\``);
    const reply = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^web 在 prod/.test(c.body.text ?? ''), 'reply');
    expect(reply.body.thread_ts).toBeDefined();
    expect(reply.body.text).toMatch(/^web 在 prod 的部署记录（最新在前）：\n[0-9a-f]{7} \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d GMT\+8 发布 v1\.2\.3（原为 v1\.0\.0），操作人 carol，批准人 alice$/);
    expect(blocksText(reply)).toContain('发布 v1.2.3（原为 v1.0.0），操作人 carol，批准人 alice');
  });

  it("an approval card speaks its channel's language; Deny answers the clicker in theirs and updates the card", async () => {
    await h.release('v1.2.4');
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.2.4 ${env}`)).ok).toBe(true);
    const head = await h.head();
    await postSlack(events, slashBody({ command: '/promote', text: 'v1.2.4 prod', user: CAROL, channel: CHINA, responseUrl: `${recorder.url}/response/cn` }), 'form');
    // carol's config names no language: she is answered in the channel's
    const root = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.channel === CHINA, 'thread root');
    expect(root.body.text).toBe(`<@${CAROL}> 执行了 \`/promote v1.2.4 prod\``);
    const card = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /^审批 \d+：发布 web v1\.2\.3 → v1\.2\.4（prod）/.test(c.body.text ?? ''), 'card');
    expect(card.body.reply_broadcast).toBe('true');
    expect(blocksText(card)).toContain('*申请人* carol');
    expect(blocksText(card)).toContain('"text":"批准"');
    expect(blocksText(card)).toContain('"text":"拒绝"');
    const id = /^审批 (\d+)/.exec(card.body.text)![1]!;

    // alice reads English: the answer to her click is hers, the card stays the channel's
    await postSlack(events, clickBody({ user: ALICE, actionId: 'gantry_deny', value: id, channel: CHINA, messageTs: '2.0', responseUrl: `${recorder.url}/response/click` }), 'form');
    const denied = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && (c.body.text ?? '').startsWith(`approval ${id} denied by alice: denied in Slack.`), 'denial');
    expect(denied.body.thread_ts).toBe('2.0');
    const update = await recorder.waitFor((c) => c.path === '/api/chat.update' && /已被 alice 拒绝：denied in Slack/.test(blocksText(c)), 'card updated');
    expect(update.body.channel).toBe(CHINA);
    expect(blocksText(update)).toContain(':no_entry:');
    expect(blocksText(update)).not.toContain('gantry_deny'); // buttons gone
    expect(await h.head()).toBe(head);
  });

  it('a rollback tells whoever approved the release it left, in a direct message', async () => {
    await slash(BOB, '/rollback', 'prod');
    const report = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.channel === '#deploys' && /rolled back/.test(c.body.text ?? ''), 'rollback report');
    expect(report.body.text).toMatch(/^⏪ rolled back web v1\.0\.0 to prod \(was v1\.2\.3\) by bob: commit [0-9a-f]{7}$/);
    // alice approved v1.2.3 (the first test); her Slack id is the DM channel
    const dm = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.channel === ALICE, 'DM to alice');
    expect(dm.body.text).toBe(`${report.body.text} (you approved v1.2.3)`);
    expect(blocksText(dm)).toContain('<https://github.com/acme/deploy/commit/');
  });
});

describe('Slack rendering', () => {
  it('splits a long /history into sections Slack accepts (3,000 characters each), every line kept', () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      sha: `${String(i).padStart(7, '0')}${'a'.repeat(33)}`,
      date: '2026-12-01T09:26:00Z',
      action: 'promote' as const,
      version: `v1.2.${i}`,
      from: `v1.2.${i - 1}`,
      by: 'carol',
      approvedBy: ['alice', 'dave'],
      override: 'the weekend freeze, agreed with the on-call lead',
    }));
    const m = replyMessage({ ok: true, kind: 'history', app: 'web', env: 'prod', entries }, new Voice('en', 'UTC'));
    const sections = m.blocks.map((b) => (b.type === 'section' ? b.text?.text ?? '' : ''));
    expect(sections.length).toBeGreaterThan(1);
    for (const t of sections) {
      expect(t.length).toBeLessThanOrEqual(3000);
      expect(t).toMatch(/^```[\s\S]*```$/);
    }
    expect(sections.map((t) => t.slice(3, -3)).join('\n')).toBe(m.text);
    expect(m.text.split('\n')).toHaveLength(101);
  });
});

describe('Slack users matched by e-mail', () => {
  it('act as the config user with that e-mail when SLACK_RESOLVE_BY_EMAIL is on', async () => {
    const recorder = await startRecorder(slackApi);
    // users.info answers <id lower-cased>@acme.example: make that erin's e-mail, and erin a lead
    const h = await startHarness({
      name: 'slack-email',
      edit: (d) => {
        d.users.erin = { ids: ['shell:erin'], email: 'uerin0001@acme.example' };
        d.groups.leads.push('erin');
      },
    });
    try {
      const f = await startSlackFace(h.gantry, recorder, { resolveByEmail: true });
      await f.slash('UERIN0001', '/gantry', 'lock prod maintenance');
      const reply = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /prod locked by erin: maintenance/.test(c.body.text ?? ''), 'lock reply');
      expect(reply.body.text).toContain('Deployments to prod are refused until /unlock prod.');
      expect(recorder.calls.some((c) => c.path === '/api/users.info' && c.body.user === 'UERIN0001')).toBe(true);
      // someone whose e-mail matches nobody stays a bare identity, refused where policy names groups
      await f.slash('UOTHER001', '/gantry', 'unlock prod');
      await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && /slack:UOTHER001 may not lock or unlock prod/.test(c.body.text ?? ''), 'refusal');
      await f.close();
    } finally {
      await h.close();
      await recorder.close();
    }
  });
});
