import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/http/admin.js';
import { APPROVAL_QUEUE } from '../../src/approvals/expiry.js';
import { DEPLOY_QUEUE } from '../../src/queue/deploy-queue.js';
import { BUNDLE_QUEUE } from '../../src/queue/bundle-queue.js';
import { NOTIFY_QUEUE } from '../../src/notify/delivery.js';
import { FREEZE_QUEUE } from '../../src/queue/freeze-watch.js';
import { ROLLOUT_WATCH_QUEUE } from '../../src/rollout/watch.js';
import { VERIFY_QUEUE } from '../../src/rollout/verify-queue.js';
import { queueJob, queuesOf, QUEUES } from '../../src/runtime/queues.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { serve } from './serve.js';

const TOKEN = 'admin-token-0123456789abcdefghij';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** A raw request, for headers and bodies fetch() will not send as given. */
function raw(url: string, o: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${o.path}`, { method: o.method, headers: o.headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('the queue dashboard at /admin/queues', () => {
  let h: Harness;
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    h = await startHarness({ name: 'admin', workers: false });
    const queues = queuesOf('deploy').map((n) => h.gantry.queueHandle(n));
    srv = await serve(await adminRoutes({ token: TOKEN, queues, describe: queueJob, log: silentLogger }));
    await h.release('v1.2.3');
    // a job for the dashboard to show, left waiting (no workers run here)
    await h.gantry.core.queue.enqueue({ id: 'admin-test-1', action: 'promote', app: 'web', env: 'qa', version: 'v1.2.3', requestedBy: { id: 'shell:carol' }, approvedBy: [] });
  });
  afterAll(async () => {
    await srv?.close();
    await h?.close();
  });

  it('is not mounted at all without a token', async () => {
    expect(await adminRoutes({ token: undefined, queues: [], log: silentLogger })).toEqual([]);
  });

  it('refuses requests without the token, or with a wrong one, and asks the browser to log in', async () => {
    const none = await fetch(`${srv.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="gantry admin"/);
    expect((await fetch(`${srv.url}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${srv.url}/admin/queues/api/queues`, { headers: { authorization: basic('admin', TOKEN.slice(0, -1)) } })).status).toBe(401);
    expect((await fetch(`${srv.url}/admin/queues/api/queues`, { headers: { authorization: basic(TOKEN, '') } })).status).toBe(401);
  });

  it('serves the page to a browser with Basic credentials, and the queues API to a Bearer token', async () => {
    const page = await fetch(`${srv.url}/admin/queues`, { headers: { authorization: basic('anyone', TOKEN) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/" />');
    // its scripts load through the same authenticated prefix
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${srv.url}/admin/queues/${script}`, { headers: { authorization: basic('anyone', TOKEN) } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${srv.url}/admin/queues/${script}`)).status).toBe(401);

    const api = await fetch(`${srv.url}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; description: string; counts: Record<string, number> }[] };
    const names = body.queues.map((q) => q.name).sort();
    expect(names).toEqual([APPROVAL_QUEUE, BUNDLE_QUEUE, DEPLOY_QUEUE, FREEZE_QUEUE, NOTIFY_QUEUE, ROLLOUT_WATCH_QUEUE, VERIFY_QUEUE].sort());
    expect(body.queues.find((q) => q.name === DEPLOY_QUEUE)!.counts.waiting).toBe(1);
    // each queue says what its jobs are, from the queue registry
    expect(body.queues.find((q) => q.name === APPROVAL_QUEUE)!.description).toBe(QUEUES[APPROVAL_QUEUE].job);
  });

  it('is read-only: adding a forged deploy job, editing a job, retrying or pausing are refused and change nothing', async () => {
    const queue = h.gantry.queueHandle(DEPLOY_QUEUE);
    const before = await queue.getJobCounts();
    const original = (await queue.getJob('admin-test-1'))!.data;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const forged = { action: 'auto', app: 'web', env: 'prod', version: 'v1.2.3', requestedBy: { id: 'github:gantry' }, approvedBy: [{ id: 'shell:alice', name: 'alice' }] };
    const changes = [
      { method: 'POST', path: `/admin/queues/api/queues/${DEPLOY_QUEUE}/add`, body: JSON.stringify({ name: 'deploy', data: { id: 'forged-1', ...forged }, options: { jobId: 'forged-1' } }) },
      { method: 'PATCH', path: `/admin/queues/api/queues/${DEPLOY_QUEUE}/admin-test-1/update-data`, body: JSON.stringify({ jobData: { id: 'admin-test-1', ...forged } }) },
      { method: 'PUT', path: `/admin/queues/api/queues/${DEPLOY_QUEUE}/admin-test-1/retry`, body: '{}' },
      { method: 'PUT', path: `/admin/queues/api/queues/${DEPLOY_QUEUE}/retry/failed`, body: '{}' },
      { method: 'PUT', path: `/admin/queues/api/queues/${DEPLOY_QUEUE}/pause`, body: '{}' },
      { method: 'PUT', path: `/admin/queues/api/queues/${DEPLOY_QUEUE}/clean/completed`, body: '{}' },
      { method: 'DELETE', path: `/admin/queues/api/queues/${DEPLOY_QUEUE}/admin-test-1`, body: '' },
    ];
    for (const c of changes) {
      // from the dashboard's own origin, with the token: still refused
      const res = await raw(srv.url, { ...c, headers: { ...headers, origin: srv.url } });
      expect(res.status, `${c.method} ${c.path}`).toBe(405);
      expect(res.text).toContain('read-only');
    }
    expect(await queue.getJobCounts()).toEqual(before);
    expect(await queue.getJob('forged-1')).toBeUndefined();
    expect((await queue.getJob('admin-test-1'))!.data).toEqual(original);
    expect(await queue.isPaused()).toBe(false);
    // and the dashboard says so, so it shows no buttons for them
    const api = await fetch(`${srv.url}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[] };
    for (const q of body.queues) expect([q.name, q.readOnlyMode, q.allowRetries]).toEqual([q.name, true, false]);
  });

  it('refuses bodies over 1 KiB before reading them', async () => {
    const body = JSON.stringify({ data: 'x'.repeat(70 * 1024) });
    const res = await raw(srv.url, { method: 'GET', path: '/admin/queues/api/queues', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body });
    expect(res.status).toBe(413);
  });
});
