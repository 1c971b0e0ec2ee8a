import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DingtalkNotifier } from '../../src/chat/dingtalk/notifier.js';
import { dingtalkSign } from '../../src/chat/dingtalk/sign.js';
import { EmailNotifier } from '../../src/notify/email.js';
import { webhookSignature, WebhookNotifier } from '../../src/notify/webhook.js';
import { APP_SECRET, postCallback, startDingtalkGantry, type DingtalkGantry } from '../support/dingtalk.js';
import type { Harness } from '../support/harness.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { startSmtp } from '../support/smtp.js';

const ROBOT_SECRET = 'SECtest-robot-secret-0b7e';
const HOOK_SECRET = 'test-webhook-secret-77d1';

describe('DingTalk, e-mail and webhooks', () => {
  let world: DingtalkGantry;
  let h: Harness;
  let callback: string;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let robotDown = false;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let email: EmailNotifier | undefined;

  beforeAll(async () => {
    smtp = await startSmtp();
    recorder = await startRecorder((r) => {
      if (r.path === '/robot/send') return robotDown ? { status: 500, body: { errcode: 500 } } : { body: { errcode: 0, errmsg: 'ok' } };
      if (r.path.startsWith('/session/') || r.path === '/hooks/incidents') return { body: { errcode: 0 } };
      return undefined;
    });
    const host = new URL(recorder.url).host;
    const env = { TEST_DT_OPS_URL: `${recorder.url}/robot/send?access_token=tok123`, TEST_DT_OPS_SECRET: ROBOT_SECRET, TEST_HOOK_SECRET: HOOK_SECRET };
    world = await startDingtalkGantry({
      name: 'dingtalk',
      notifyBackoffMs: 100,
      notifiers: (deps, gantry) => {
        email = new EmailNotifier({ config: deps.config, releases: gantry.services.queries.releases, approval: deps.approval }, smtp.url);
        return [new DingtalkNotifier(deps, undefined, env), email, new WebhookNotifier(deps.config, env)];
      },
      edit: (d) => {
        d.users.carol.ids.push('dingtalk:carol01');
        d.deployRepo.webUrl = 'https://github.com/acme/deploy';
        d.dingtalk = { robots: { ops: { urlEnv: 'TEST_DT_OPS_URL', secretEnv: 'TEST_DT_OPS_SECRET' } }, sessionWebhookHosts: [host] };
        // this test reads English (DingTalk's own default is Chinese: test/chat/dingtalk-zh.test.ts)
        d.i18n = { platforms: { dingtalk: { locale: 'en', timeZone: 'UTC' } } };
        d.email = { from: 'gantry <gantry@acme.example>' };
        d.webhooks = { incidents: { url: `${recorder.url}/hooks/incidents`, secretEnv: 'TEST_HOOK_SECRET' } };
        d.notify = [
          { events: ['deployed', 'rolled-back', 'approval-requested'], environments: ['prod'], to: ['dingtalk:ops', 'email:leads@acme.example'] },
          { events: ['deployed'], environments: ['qa'], to: ['dingtalk:ops', 'email:qa@acme.example', 'webhook:incidents'] },
        ];
      },
    });
    ({ h, callback } = world);
  });
  afterAll(async () => {
    await world.close();
    email?.close();
    await recorder.close();
    await smtp.close();
  });

  const say = (staffId: string, nick: string, text: string, opts: { secret?: string; timestamp?: number; sign?: string } = {}) =>
    postCallback(callback, { staffId, nick, text, sessionWebhook: `${recorder.url}/session/${nick}` }, opts);
  const until = async <T>(f: () => T | undefined, what: string): Promise<T> => {
    for (let i = 0; i < 300; i++) {
      const v = f();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  /** the robot's request carries 加签: timestamp and sign as DingTalk documents them */
  const signedByRobot = (r: Recorded) => r.query.get('access_token') === 'tok123' && r.query.get('sign') === dingtalkSign(r.query.get('timestamp')!, ROBOT_SECRET);

  it('promote from the group → approval in the group and by mail → /approve from an approver → commit → reports', async () => {
    const head = await h.head();
    expect(await say('carol01', 'carol', '@gantry /promote v1.2 prod')).toBe(200);
    const card = await recorder.waitFor((c) => c.path === '/session/carol' && c.body.msgtype === 'actionCard', 'approval card in the group');
    const title: string = card.body.actionCard.title;
    expect(title).toMatch(/^Approval \d+: promote web v1\.0\.0 → v1\.2\.3 in prod$/);
    const id = /^Approval (\d+)/.exec(title)![1];
    expect(card.body.actionCard.text).toContain(`Reply **@gantry /approve ${id}**`);
    expect(card.body.actionCard.text).toContain('> apps/web/prod/values.yaml:6  registry.example.com/acme/web:v1.0.0 → registry.example.com/acme/web:v1.2.3');
    // the ops robot and the approvers' inboxes hear of it too
    const robotCard = await recorder.waitFor((c) => c.path === '/robot/send' && c.body.msgtype === 'actionCard', 'approval card via robot');
    expect(signedByRobot(robotCard)).toBe(true);
    expect(robotCard.body.actionCard.title).toBe(title);
    const asked = await until(() => smtp.mails.find((m) => m.to.includes('alice@acme.example') && m.subject.includes(`Approval ${id}`)), 'approval mail to alice');
    expect(asked.subject).toBe(`[gantry] Approval ${id}: promote web v1.0.0 → v1.2.3 in prod`);
    expect(asked.text).toContain(`Approve in chat with /approve ${id}`);
    expect(asked.html).toContain(`<b>Approval ${id}: promote web v1.0.0 → v1.2.3 in prod</b>`);
    // each recipient is its own delivery: dave's may land a moment after alice's
    await until(() => smtp.mails.find((m) => m.to.includes('dave@acme.example') && m.subject.includes(`Approval ${id}`)), 'approval mail to dave');
    expect(await h.head()).toBe(head);

    // alice approves from DingTalk (staff id manager4220 is hers in the config)
    expect(await say('manager4220', 'alice', `@gantry /approve ${id}`)).toBe(200);
    const done = await recorder.waitFor((c) => c.path === '/session/alice' && /approval \d+ complete/.test(JSON.stringify(c.body)), 'reply to alice');
    expect(done.body.msgtype).toBe('markdown');
    const sha = (await h.head()).trim();
    expect(sha).not.toBe(head);
    expect(done.body.markdown.text).toContain(`commit [${sha.slice(0, 7)}](https://github.com/acme/deploy/commit/${sha})`);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Approved-By: dingtalk:manager4220 (alice)');
    expect(message).toContain('Gantry-Requested-By: dingtalk:carol01 (carol)');
    const report = await recorder.waitFor((c) => c.path === '/robot/send' && /deployed web v1\.2\.3 to prod/.test(c.body.markdown?.title ?? ''), 'deploy report via robot');
    expect(signedByRobot(report)).toBe(true);
    expect(report.body.markdown.text).toContain(`[${sha.slice(0, 7)}](https://github.com/acme/deploy/commit/${sha})`);
    const mail = await until(() => smtp.mails.find((m) => m.to.includes('leads@acme.example') && /deployed web v1\.2\.3 to prod/.test(m.subject)), 'deploy mail');
    expect(mail.text).toContain(`Deploy commit: https://github.com/acme/deploy/commit/${sha}`);
    // the group that asked hears the outcome of the approval
    await recorder.waitFor((c) => c.path === '/session/carol' && c.body.msgtype === 'actionCard' && /✅ deployed/.test(c.body.actionCard.text), 'outcome card to the asking group');
  });

  it('a forged, stale or replayed callback does nothing', async () => {
    const head = await h.head();
    const before = recorder.calls.length;
    expect(await say('manager4220', 'alice', '@gantry /rollback prod', { secret: 'wrong' })).toBe(401);
    expect(await say('manager4220', 'alice', '@gantry /rollback prod', { timestamp: Date.now() - 2 * 3600_000 })).toBe(401);
    // a captured request's headers with another body: the signature covers only the timestamp, so
    // gantry takes each signature once (the first use here is a harmless /status)
    const timestamp = Date.now();
    const sign = dingtalkSign(timestamp, APP_SECRET);
    await new Promise((r) => setTimeout(r, 300));
    expect(recorder.calls.length).toBe(before); // the forged and the stale ones were not answered
    expect(await say('carol01', 'carol', '@gantry /status qa', { timestamp, sign })).toBe(200);
    await until(() => recorder.calls.slice(before).find((c) => c.path === '/session/carol'), 'the /status answer');
    const answered = recorder.calls.length;
    expect(await say('manager4220', 'alice', '@gantry /rollback prod', { timestamp, sign })).toBe(401);
    expect(await say('carol01', 'carol', '@gantry /status qa', { timestamp, sign })).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(recorder.calls.length).toBe(answered);
    expect(await h.head()).toBe(head);
  });

  it('a callback body over 64 KiB is answered 413 before it is read, and does nothing', async () => {
    const before = recorder.calls.length;
    const res = await fetch(callback, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"text":"${'x'.repeat(70 * 1024)}"}` });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain('at most 65536 bytes');
    expect(recorder.calls.length).toBe(before);
  });

  it('a channel that is down delays only its own delivery, and catches up when it is back', async () => {
    robotDown = true;
    smtp.setDown(true);
    await h.release('v1.3.0');
    const r = await h.run('carol', '/promote v1.3.0 qa');
    expect(r.ok, r.text).toBe(true); // the deployment went through
    const hook = await recorder.waitFor((c) => c.path === '/hooks/incidents' && c.body.type === 'deployed' && c.body.result.version === 'v1.3.0', 'webhook delivery');
    expect(hook.headers['x-gantry-signature-256']).toBe(webhookSignature(HOOK_SECRET, hook.raw));
    expect(hook.headers['x-gantry-event']).toBe('deployed');
    // the robot was tried and refused, the mail server refused
    await recorder.waitFor((c) => c.path === '/robot/send' && /v1\.3\.0 to qa/.test(c.body.markdown?.title ?? ''), 'a refused robot attempt');
    expect(smtp.mails.some((m) => m.subject.includes('v1.3.0'))).toBe(false);
    robotDown = false;
    smtp.setDown(false);
    const robotTries = () => recorder.calls.filter((c) => c.path === '/robot/send' && /v1\.3\.0 to qa/.test(c.body.markdown?.title ?? ''));
    await until(() => (robotTries().length >= 2 ? true : undefined), 'a robot retry after recovery');
    const mail = await until(() => smtp.mails.find((m) => m.to.includes('qa@acme.example') && m.subject.includes('v1.3.0')), 'mail after recovery');
    expect(mail.subject).toMatch(/deployed web v1\.3\.0 to qa/);
    // the webhook was delivered once: its success did not wait for, or repeat with, the others
    expect(recorder.calls.filter((c) => c.path === '/hooks/incidents' && c.body.result?.version === 'v1.3.0')).toHaveLength(1);
  });
});
