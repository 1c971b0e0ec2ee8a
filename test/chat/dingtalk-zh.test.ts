import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dingtalkModule } from '../../src/chat/dingtalk/module.js';
import { dingtalkSign } from '../../src/chat/dingtalk/sign.js';
import { postCallback, startDingtalkGantry, type DingtalkGantry } from '../support/dingtalk.js';
import type { Harness } from '../support/harness.js';
import { startRecorder, type Recorded } from '../support/recorder.js';

const ROBOT_SECRET = 'SECtest-zh-robot-secret-5d21';
const ROBOT_URL_ENV = 'TEST_DT_ZH_OPS_URL';
const ROBOT_SECRET_ENV = 'TEST_DT_ZH_OPS_SECRET';

/**
 * A Chinese team on DingTalk, end to end with real parts (redis-server, a bare deploy repo, signed
 * callbacks, the notification worker): DingTalk speaks zh-CN in China time unless the config says
 * otherwise, in the conversation and through the group robot alike.
 */
describe('DingTalk in Chinese', () => {
  let world: DingtalkGantry;
  let h: Harness;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeAll(async () => {
    recorder = await startRecorder((r) => (r.path === '/robot/send' || r.path.startsWith('/session/') ? { body: { errcode: 0, errmsg: 'ok' } } : undefined));
    // the robot's webhook and 加签 secret come from the environment, as in production
    process.env[ROBOT_URL_ENV] = `${recorder.url}/robot/send?access_token=tokzh`;
    process.env[ROBOT_SECRET_ENV] = ROBOT_SECRET;
    world = await startDingtalkGantry({
      name: 'dingtalk-zh',
      notifyBackoffMs: 100,
      // the robots' notifier as production builds it: its URLs from process.env
      notifiers: (deps) => [dingtalkModule.notifier(deps, undefined)!],
      edit: (d) => {
        d.users.carol.ids.push('dingtalk:carol01'); // devs: may promote to prod, may not approve
        d.users.bob.ids.push('dingtalk:bob02'); // oncall: may not approve prod
        d.deployRepo.webUrl = 'https://github.com/acme/deploy';
        d.dingtalk = { robots: { ops: { urlEnv: ROBOT_URL_ENV, secretEnv: ROBOT_SECRET_ENV } }, sessionWebhookHosts: [new URL(recorder.url).host] };
        d.notify = [{ events: ['deployed', 'approval-requested'], environments: ['prod'], to: ['dingtalk:ops'] }];
      },
    });
    h = world.h;
  });
  afterAll(async () => {
    await world.close();
    await recorder.close();
    delete process.env[ROBOT_URL_ENV];
    delete process.env[ROBOT_SECRET_ENV];
  });

  const say = (staffId: string, nick: string, text: string) => postCallback(world.callback, { staffId, nick, text, sessionWebhook: `${recorder.url}/session/${nick}` });
  const signedByRobot = (r: Recorded) => r.query.get('access_token') === 'tokzh' && r.query.get('sign') === dingtalkSign(r.query.get('timestamp')!, ROBOT_SECRET);
  /** the n-th message (from 0) gantry posted to `nick`'s conversation */
  const toSession = (nick: string, n: number) =>
    recorder.waitFor((c) => c.path === `/session/${nick}` && recorder.calls.filter((x) => x.path === c.path).indexOf(c) === n, `message ${n} to ${nick}`);

  it('/promote asks for approval in Chinese (China time), an approver approves, the deploy commit is made and reported in Chinese', async () => {
    const head = await h.head();
    expect(await say('carol01', 'carol', '@gantry /promote v1.2 prod')).toBe(200);
    const card = (await toSession('carol', 0)).body;
    expect(card.msgtype).toBe('actionCard');
    const title: string = card.actionCard.title;
    expect(title).toMatch(/^审批 \d+：发布 web v1\.0\.0 → v1\.2\.3（prod）$/);
    const id = /^审批 (\d+)/.exec(title)![1]!;
    const approval = (await h.gantry.core.approvals.get(id))!;
    // the deadline in China time (UTC+8), written out by hand rather than by gantry's formatter
    const cst = new Date(Date.parse(approval.deadline) + 8 * 3600_000);
    const two = (n: number) => String(n).padStart(2, '0');
    const deadline = `${cst.getUTCFullYear()}年${cst.getUTCMonth() + 1}月${cst.getUTCDate()}日 ${two(cst.getUTCHours())}:${two(cst.getUTCMinutes())} GMT+8`;
    const text: string = card.actionCard.text;
    expect(text.split('\n\n')).toEqual([
      `### ${title}`,
      '- **申请人** carol',
      '- **审批人** leads（需要 1 人）',
      `- **截止时间** ${deadline}`,
      '> apps/web/prod/values.yaml:6  registry.example.com/acme/web:v1.0.0 → registry.example.com/acme/web:v1.2.3',
      '> apps/web/marathon/prod-deploy.json:9  registry.example.com/acme/web:v1.0.0 → registry.example.com/acme/web:v1.2.3',
      '⏳ 等待审批：已有 0/1 人批准',
      `回复 **@gantry /approve ${id}** 批准，或 **@gantry /deny ${id} ‹原因›** 拒绝`,
    ]);
    // the group robot shows the same card, signed (加签)
    const robotCard = await recorder.waitFor((c) => c.path === '/robot/send' && c.body.msgtype === 'actionCard', 'approval card via robot');
    expect(signedByRobot(robotCard)).toBe(true);
    expect(robotCard.body.actionCard.title).toBe(title);
    expect(robotCard.body.actionCard.text).toContain(`- **截止时间** ${deadline}`);
    expect(await h.head()).toBe(head);

    // alice (a lead; manager4220 is her DingTalk id) approves in the same group
    expect(await say('manager4220', 'alice', `@gantry /approve ${id}`)).toBe(200);
    const done = (await toSession('alice', 0)).body;
    const sha = await h.head();
    expect(sha).not.toBe(head);
    expect(await h.git('log', '-1', '--format=%B', 'main')).toContain('Gantry-Approved-By: dingtalk:manager4220 (alice)');
    const link = `[${sha.slice(0, 7)}](https://github.com/acme/deploy/commit/${sha})`;
    expect(done).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: `审批 ${id} 已完成。`,
        text: [
          `审批 ${id} 已完成。`,
          `已将 web v1.2.3 发布到 prod（原为 v1.0.0）：提交 ${link}`,
          '  修改了 apps/web/prod/values.yaml、apps/web/marathon/prod-deploy.json',
          '  批准人：alice',
        ].join('\n\n'),
      },
      at: { atUserIds: ['manager4220'] },
    });
    // the robot reports the deploy, delivered by the notification worker
    const report = await recorder.waitFor((c) => c.path === '/robot/send' && c.body.msgtype === 'markdown', 'deploy report via robot');
    expect(signedByRobot(report)).toBe(true);
    expect(report.body.markdown.title).toBe(`🚀 已部署 web v1.2.3 到 prod（原为 v1.0.0），操作人 carol，批准人 alice：提交 ${sha.slice(0, 7)}`);
    expect(report.body.markdown.text).toBe(`#### 🚀 已部署 web v1.2.3 到 prod（原为 v1.0.0），操作人 carol，批准人 alice：提交 ${link}`);
    // the conversation that asked hears the outcome on the card
    const outcome = (await toSession('carol', 1)).body;
    expect(outcome.actionCard.text).toContain(`✅ 已部署（已批准：alice）：提交 ${link}`);
    expect(outcome.actionCard.btns).toEqual([{ title: '部署提交', actionURL: `https://github.com/acme/deploy/commit/${sha}` }]);
  });

  it('a refusal answers in the conversation and changes nothing', async () => {
    await h.release('v1.3.0');
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.3.0 ${env}`)).ok).toBe(true);
    expect(await say('carol01', 'carol', '@gantry /promote v1.3.0 prod')).toBe(200);
    const card = (await toSession('carol', 2)).body;
    const id = /^审批 (\d+)/.exec(card.actionCard.title)![1]!;
    const head = await h.head();

    // bob is on call, not a lead: he may not approve prod
    expect(await say('bob02', 'bob', `@gantry /approve ${id}`)).toBe(200);
    const refused = (await toSession('bob', 0)).body;
    expect(refused.msgtype).toBe('text');
    expect(refused.text.content).toBe('❌ 你不是 prod 的审批人（审批人：leads）');
    expect(refused.at).toEqual({ atUserIds: ['bob02'] });
    // a command without its argument: the usage line, in Chinese
    expect(await say('bob02', 'bob', '@gantry /approve')).toBe(200);
    expect((await toSession('bob', 1)).body.text.content).toMatch(/\n用法：\/approve <id>$/);

    expect(await h.head()).toBe(head);
    const approval = (await h.gantry.core.approvals.get(id))!;
    expect(approval.status).toBe('pending');
    expect(approval.votes).toEqual([]);
  });
});
