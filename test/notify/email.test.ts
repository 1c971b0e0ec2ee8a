import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailNotifier } from '../../src/notify/email.js';
import { approvalView } from '../../src/queries/approvals.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startSmtp, type ReceivedMail } from '../support/smtp.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** A time as the reader should see it, worked out by hand: Shanghai is UTC+8 all year. */
function shanghai(iso: string): { date: string; time: string } {
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return { date: `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`, time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` };
}
function utc(iso: string): string {
  const d = new Date(iso);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

describe('e-mail in the reader’s language', () => {
  let h: Harness;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let email: EmailNotifier;

  beforeAll(async () => {
    smtp = await startSmtp();
    h = await startHarness({
      name: 'email-i18n',
      workers: false,
      notifyBackoffMs: 100,
      edit: (d) => {
        Object.assign(d.users.dave, { locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
        d.deployRepo.webUrl = 'https://github.com/acme/deploy';
        d.email = { from: 'gantry <gantry@acme.example>' };
        d.i18n = { channels: { 'email:ops@acme.example': { locale: 'zh-CN' } } };
        d.notify = [
          { events: ['deployed'], environments: ['qa'], to: ['email:ops@acme.example', 'email:leads@acme.example'] },
          { events: ['locked'], to: ['email:leads@acme.example'] },
        ];
      },
    });
    const core = h.gantry.core;
    email = new EmailNotifier(
      {
        config: h.config,
        releases: core.releases,
        approval: async (id) => {
          const a = await core.approvals.get(id);
          return a && approvalView(core, a);
        },
      },
      smtp.url,
    );
    h.gantry.startWorkers(undefined, { notifiers: [email] });
    await h.release('v1.2.3');
  });
  afterAll(async () => {
    email.close();
    await h.close();
    await smtp.close();
  });

  const mailTo = async (to: string, what: (m: ReceivedMail) => boolean): Promise<ReceivedMail> => {
    for (let i = 0; i < 400; i++) {
      const m = smtp.mails.find((x) => x.to.includes(to) && what(x));
      if (m) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail to ${to}; got: ${smtp.mails.map((m) => `${m.to.join(',')} ${m.subject}`).join(' | ')}`);
  };

  it('a report goes to the channel’s language, else the default, with its links and time', async () => {
    const r = await h.run('carol', '/promote v1.2.3 qa');
    expect(r.ok, r.text).toBe(true);
    const sha = (await h.head()).trim();
    const commit = `https://github.com/acme/deploy/commit/${sha}`;
    const zh = await mailTo('ops@acme.example', (m) => m.text.includes('v1.2.3'));
    expect(zh.subject).toMatch(/^\[gantry\] 🚀 已.*web v1\.2\.3.*qa/);
    expect(zh.text).toContain(`部署提交：${commit}`);
    expect(zh.text).toMatch(/^时间：/m);
    expect(zh.html).toContain(`<a href="${commit}">${commit}</a>`);
    const en = await mailTo('leads@acme.example', (m) => m.text.includes('v1.2.3'));
    expect(en.subject).toBe(`[gantry] 🚀 deployed web v1.2.3 to qa (was v1.0.0) by carol: commit ${sha.slice(0, 7)}`);
    expect(en.text).toContain(`Deploy commit: ${commit}`);
    expect(en.text).toMatch(/^at \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC$/m);
    expect(en.headers['x-gantry-event']).toBe('deployed');
  });

  it('an approval request reaches a zh-CN approver in Chinese, the deadline in Shanghai time', async () => {
    expect((await h.run('carol', '/promote v1.2.3 staging')).ok).toBe(true);
    const r = await h.run('carol', '/promote v1.2.3 prod');
    expect(r.ok && r.kind, r.text).toBe('approval-requested');
    if (!r.ok || r.kind !== 'approval-requested') return;
    const { id, deadline } = r.approval;

    const dave = await mailTo('dave@acme.example', (m) => m.subject.includes(id));
    expect(dave.subject).toBe(`[gantry] 审批 ${id}：发布 web v1.0.0 → v1.2.3（prod）`);
    const at = shanghai(deadline);
    const deadlineRow = dave.text.split('\n').find((l) => l.startsWith('截止时间：'));
    expect(deadlineRow).toContain(at.date);
    expect(deadlineRow).toContain(at.time);
    expect(deadlineRow).toContain('GMT+8');
    expect(dave.text).toContain('申请人：carol');
    expect(dave.text).toContain('审批人：leads（需要 1 人）');
    expect(dave.text).toContain('apps/web/prod/values.yaml:6  registry.example.com/acme/web:v1.0.0 → registry.example.com/acme/web:v1.2.3');
    expect(dave.text).toContain(`在聊天中用 /approve ${id} 批准，或用 /deny ${id} <原因> 拒绝。`);
    expect(dave.html).toContain(`<th align="left">截止时间</th>`);
    expect(dave.html).toContain('<code>registry.example.com/acme/web:v1.2.3</code>');
    expect(dave.html).toContain(`/deny ${id} &lt;原因&gt;`);

    // the other approver reads English in UTC: the language is the reader's, not the event's
    const alice = await mailTo('alice@acme.example', (m) => m.subject.includes(id));
    expect(alice.subject).toBe(`[gantry] Approval ${id}: promote web v1.0.0 → v1.2.3 in prod`);
    expect(alice.text).toContain(`Deadline: ${utc(deadline)}`);
    expect(alice.text).toContain(`Approve in chat with /approve ${id}, or deny with /deny ${id} <reason>.`);
    expect(smtp.mails.some((m) => m.to.includes('carol@acme.example') && m.subject.includes(id))).toBe(false);
  });

  it('what people typed is inert in the HTML part and as typed in the text part', async () => {
    const r = await h.run('alice', '/lock staging <img src=x onerror=alert(1)> & co');
    expect(r.ok, r.text).toBe(true);
    const m = await mailTo('leads@acme.example', (x) => x.headers['x-gantry-event'] === 'locked');
    expect(m.html).toContain('<p>🔒 staging locked by alice: &lt;img src=x onerror=alert(1)&gt; &amp; co</p>');
    expect(m.html).not.toContain('<img');
    expect(m.text).toContain('🔒 staging locked by alice: <img src=x onerror=alert(1)> & co');
  });

  it('the doctor’s test mail is in the reader’s language too', async () => {
    const before = smtp.mails.length;
    await email.test('dave@acme.example');
    await email.test('someone@example.org');
    const [zh, en] = smtp.mails.slice(before);
    expect([zh?.subject, zh?.text.trim()]).toEqual(['[gantry] doctor：测试邮件', 'gantry 可以给你发邮件。']);
    expect([en?.subject, en?.text.trim()]).toEqual(['[gantry] doctor: test message', 'gantry can send you mail.']);
  });
});
