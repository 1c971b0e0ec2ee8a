import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { MAIN, writeTestConfig } from '../support/cli.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { startRecorder } from '../support/recorder.js';
import { startSmtp } from '../support/smtp.js';

describe('gantry doctor --notify', () => {
  let tmp: ReturnType<typeof tempDir>;
  const prefix = uniquePrefix('doctor');
  beforeAll(() => (tmp = tempDir('doctor')));
  afterAll(async () => {
    await wipePrefix(prefix);
    tmp.remove();
  });

  it('sends a test message to every notify target and names the one that fails', async () => {
    const smtp = await startSmtp();
    const recorder = await startRecorder((r) => (r.path === '/robot/send' ? { body: { errcode: 0 } } : r.path === '/hook' ? { status: 503, body: {} } : r.path === '/v2/change/enqueue' ? { status: 202, body: { status: 'success' } } : undefined));
    try {
      const conf = await writeTestConfig(tmp.dir, 'doctor', (data) => {
        data.dingtalk = { robots: { ops: { urlEnv: 'OPS_ROBOT_URL', secretEnv: 'OPS_ROBOT_SECRET' } } };
        data.email = { from: 'gantry@acme.example' };
        data.webhooks = { pager: { url: `${recorder.url}/hook` } };
        data.pagerduty = { services: { oncall: { routingKeyEnv: 'PD_ONCALL_KEY', url: recorder.url } } };
        data.notify = [
          { events: ['deployed'], to: ['dingtalk:ops', 'email:ops@acme.example', 'webhook:pager'] },
          { events: ['rollout-failed', 'rolled-out'], to: ['pagerduty:oncall'] },
        ];
      });
      const r = await run('node', [MAIN, 'doctor', '--notify'], {
        cwd: tmp.dir,
        env: { ...process.env, GANTRY_CONFIG: conf, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, SMTP_URL: smtp.url, OPS_ROBOT_URL: `${recorder.url}/robot/send?access_token=t`, OPS_ROBOT_SECRET: 'SECx', PD_ONCALL_KEY: 'pd-key-1' },
        timeoutMs: 60_000,
      });
      expect(r.stdout).toMatch(/^ok +notify dingtalk:ops: test message sent$/m);
      expect(r.stdout).toMatch(/^ok +notify email:ops@acme\.example: test message sent$/m);
      expect(r.stdout).toMatch(/^FAIL +notify webhook:pager: webhook pager answered HTTP 503$/m);
      // PagerDuty gets a change event (on the service's timeline; it pages no one)
      expect(r.stdout).toMatch(/^ok +notify pagerduty:oncall: test message sent$/m);
      expect(recorder.calls.find((c) => c.path === '/v2/change/enqueue')?.body).toMatchObject({ routing_key: 'pd-key-1', payload: { source: 'gantry' } });
      expect(r.code).toBe(1);
      expect(smtp.mails.map((m) => m.subject)).toEqual(['[gantry] doctor: test message']);
      // a DingTalk robot speaks Chinese unless the config says otherwise
      expect(recorder.calls.filter((c) => c.path === '/robot/send')[0]?.body).toEqual({ msgtype: 'text', text: { content: 'gantry doctor：测试消息' } });
    } finally {
      await smtp.close();
      await recorder.close();
    }
  });
});
