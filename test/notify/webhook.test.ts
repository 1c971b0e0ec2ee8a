import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { WebhookNotifier } from '../../src/notify/webhook.js';
import { defaultConfigData, startHarness, type Harness } from '../support/harness.js';
import { startRecorder } from '../support/recorder.js';

const SECRET = 'test-webhook-secret-5c2a';

describe('webhooks carry the event as data and its line in their language', () => {
  let h: Harness;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeAll(async () => {
    recorder = await startRecorder((r) => (r.path.startsWith('/hooks/') ? { body: {} } : undefined));
    h = await startHarness({
      name: 'webhook-i18n',
      workers: false,
      notifyBackoffMs: 100,
      edit: (d) => {
        d.webhooks = {
          zh: { url: `${recorder.url}/hooks/zh`, secretEnv: 'TEST_WEBHOOK_SECRET', locale: 'zh-CN' },
          plain: { url: `${recorder.url}/hooks/plain` },
        };
        d.notify = [{ events: ['locked'], to: ['webhook:zh', 'webhook:plain'] }];
      },
    });
    h.gantry.startWorkers(undefined, { notifiers: [new WebhookNotifier(h.config, { TEST_WEBHOOK_SECRET: SECRET })] });
  });
  afterAll(async () => {
    await h.close();
    await recorder.close();
  });

  it('adds `text` in the configured locale (else the default) and signs the exact body', async () => {
    expect((await h.run('alice', '/lock qa maintenance window')).ok).toBe(true);
    const zh = await recorder.waitFor((c) => c.path === '/hooks/zh', 'the zh webhook');
    const plain = await recorder.waitFor((c) => c.path === '/hooks/plain', 'the default webhook');

    // the event as data, as consumers have always read it
    expect(zh.body).toMatchObject({ type: 'locked', env: 'qa', by: { id: 'shell:alice', name: 'alice' }, reason: 'maintenance window' });
    expect(zh.body.id).toBe(zh.headers['x-gantry-delivery']);
    expect(zh.headers['x-gantry-event']).toBe('locked');
    expect(zh.body.text).toBe('🔒 qa 已被锁定，操作人 alice：maintenance window');
    expect(plain.body.text).toBe('🔒 qa locked by alice: maintenance window');
    expect({ ...plain.body, text: undefined }).toEqual({ ...zh.body, text: undefined });

    // the signature covers the bytes that were sent, text included
    const expected = `sha256=${createHmac('sha256', SECRET).update(zh.raw).digest('hex')}`;
    expect(zh.headers['x-gantry-signature-256']).toBe(expected);
    expect(plain.headers['x-gantry-signature-256']).toBeUndefined();
  });

  it('refuses a webhook locale gantry does not speak, naming where', () => {
    const data = defaultConfigData();
    data.webhooks = { pager: { url: 'https://hooks.example/x', locale: 'fr' } };
    const r = ConfigSchema.safeParse(data);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain('webhooks.pager.locale');
  });
});
