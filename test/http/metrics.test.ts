import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countBuilds, GantryMetrics, metricsRoute } from '../../src/http/metrics.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { serve, until } from './serve.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one sample line (`name{labels} value`), or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics after real deployments', () => {
  let h: Harness;
  let other: Harness;
  let srv: Awaited<ReturnType<typeof serve>>;
  const scrape = async () => {
    const res = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  beforeAll(async () => {
    h = await startHarness({
      name: 'metrics',
      notifyBackoffMs: 10,
      edit: (d) => {
        d.environments.prod.approvals.deadline = '1s';
        // a target no notifier in this process can serve: every delivery to it fails
        d.webhooks = { audit: { url: 'http://127.0.0.1:9/hook' } };
        d.notify = [{ events: ['deployed'], to: ['webhook:audit'] }];
      },
    });
    other = await startHarness({ name: 'metrics-other' });
    await h.release('v1.2.3');
    srv = await serve([metricsRoute(h.gantry.metrics, { token: TOKEN })]);
  });
  afterAll(async () => {
    await srv?.close();
    await other?.close();
    await h?.close();
  });

  it('asks for the token when one is set', async () => {
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).status).toBe(401);
  });

  it('counts a promotion, a refused one, commands, queue jobs and their wait', async () => {
    expect((await h.run('carol', '/promote v1.2.3 qa')).ok).toBe(true);
    // bob may not promote to prod: refused by policy before any job is queued
    expect(await h.run('bob', '/promote v1.2.3 prod')).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect((await h.run('carol', '/promote v1.2.3 staging')).ok).toBe(true);
    // staging needs a version that ran in qa first: this one never did, and the command says so up front
    await h.release('v1.2.4');
    const outOfOrder = await h.run('carol', '/promote v1.2.4 staging');
    expect(outOfOrder).toMatchObject({ ok: false, code: 'ORDER_VIOLATION' });
    // a job that got queued anyway (a request that raced a change of the repo) is refused by the deploy job
    const raced = h.gantry.core.queue.submit({
      id: 'promote-metrics-raced',
      action: 'promote',
      app: 'web',
      env: 'staging',
      version: 'v1.2.4',
      requestedBy: { id: 'shell:carol', name: 'carol' },
      approvedBy: [],
    });
    await expect(raced).rejects.toMatchObject({ code: 'ORDER_VIOLATION' });

    const text = await scrape();
    expect(text).toContain('gantry_deployments_total{env="qa",action="promote",result="success"} 1');
    expect(text).toContain('gantry_deployments_total{env="staging",action="promote",result="success"} 1');
    expect(text).toContain('gantry_deployments_total{env="staging",action="promote",result="refused"} 1');
    // refused by policy before any job: a command result, not a deployment
    expect(text).not.toContain('env="prod"');
    expect(sample(text, 'gantry_commands_total{platform="shell",command="promote",result="ok"}')).toBe(2);
    expect(sample(text, 'gantry_commands_total{platform="shell",command="promote",result="ORDER_VIOLATION"}')).toBe(1);
    expect(sample(text, 'gantry_commands_total{platform="shell",command="promote",result="NOT_ALLOWED"}')).toBe(1);
    // queue depth is read from Redis at scrape time: two completed deploys, one failed (refused)
    expect(sample(text, 'gantry_queue_jobs{queue="deploy",state="completed"}')).toBe(2);
    expect(sample(text, 'gantry_queue_jobs{queue="deploy",state="failed"}')).toBe(1);
    expect(sample(text, 'gantry_queue_jobs{queue="deploy",state="waiting"}')).toBe(0);
    expect(sample(text, 'gantry_queue_wait_seconds_count{queue="deploy"}')).toBe(3);
    expect(text).toContain('# TYPE gantry_queue_wait_seconds histogram');
  });

  it('counts failed notification deliveries by platform', async () => {
    const text = await until(scrape, (t) => (sample(t, 'gantry_notification_failures_total{platform="webhook"}') ?? 0) >= 2);
    expect(sample(text, 'gantry_notification_failures_total{platform="webhook"}')).toBe(2);
    expect(sample(text, 'gantry_queue_wait_seconds_count{queue="notify"}')).toBeGreaterThanOrEqual(2);
  });

  it('shows pending approvals at scrape time and counts the ones that expire', async () => {
    const asked = await h.run('carol', '/promote v1.2.3 prod');
    expect(asked.approval?.id, asked.text).toBeDefined();
    expect(sample(await scrape(), 'gantry_approvals_pending')).toBe(1);
    const text = await until(scrape, (t) => sample(t, 'gantry_approvals_expired_total') === 1);
    expect(sample(text, 'gantry_approvals_expired_total')).toBe(1);
    expect(sample(text, 'gantry_approvals_pending')).toBe(0);
  });

  it('keeps each gantry instance in a registry of its own', async () => {
    const text = await other.gantry.metrics.text();
    expect(text).toContain('# TYPE gantry_deployments_total counter');
    expect(text).not.toContain('gantry_deployments_total{');
    expect(sample(text, 'gantry_queue_jobs{queue="deploy",state="completed"}')).toBe(0);
  });
});

describe('metric hooks for other workers', () => {
  const m = () => new GantryMetrics({ queue: () => ({ getJobCounts: async () => ({}) }), queues: [], pendingApprovals: async () => 0, log: silentLogger });

  it('counts builds through a wrapped reporter, only once the report went through', async () => {
    const metrics = m();
    let fail = true;
    const reporter = {
      calls: 0,
      async finished(_job: string, _o: unknown) {
        this.calls++;
        if (fail) throw new Error('GitHub is away');
      },
      started: async () => undefined,
    };
    const wrapped = countBuilds(reporter, metrics);
    await expect(wrapped.finished('job', { kind: 'success', result: { durationMs: 42_000 } })).rejects.toThrow('GitHub is away');
    fail = false;
    await wrapped.finished('job', { kind: 'success', result: { durationMs: 42_000 } });
    await wrapped.finished('job', { kind: 'failure', result: { durationMs: 3_000 } });
    await wrapped.finished('job', { kind: 'cancelled' });
    await wrapped.started();
    expect(reporter.calls).toBe(4);
    const text = await metrics.text();
    expect(text).toContain('gantry_builds_total{result="success"} 1');
    expect(text).toContain('gantry_builds_total{result="failure"} 1');
    expect(text).toContain('gantry_builds_total{result="cancelled"} 1');
    expect(text).toContain('gantry_build_duration_seconds_bucket{le="60",result="success"} 1');
    expect(text).toContain('gantry_build_duration_seconds_bucket{le="30",result="success"} 0');
    expect(text).toContain('gantry_build_duration_seconds_sum{result="failure"} 3');
  });

  it('counts push retries and the wait of jobs from any worker', async () => {
    const metrics = m();
    metrics.deployFinished({ env: 'qa', action: 'promote', retries: 3 });
    metrics.deployFinished({ env: 'qa', action: 'auto', code: 'DEPLOY_REPO_UNREACHABLE' });
    const listeners: ((job: unknown) => void)[] = [];
    metrics.observeWorker('build', { on: ((_: string, f: (job: unknown) => void) => listeners.push(f)) as never });
    listeners[0]!({ timestamp: 1000, processedOn: 3500, delay: 0, attemptsMade: 0, attemptsStarted: 1 });
    listeners[0]!({ timestamp: 1000, processedOn: 99_000, delay: 0, attemptsMade: 1, attemptsStarted: 2 });
    listeners[0]!({ timestamp: 1000, processedOn: 99_000, delay: 0, attemptsMade: 0, attemptsStarted: 2 });
    const text = await metrics.text();
    expect(text).toContain('gantry_deploy_push_retries_total{env="qa"} 3');
    expect(text).toContain('gantry_deployments_total{env="qa",action="auto",result="failed"} 1');
    expect(text).toContain('gantry_queue_wait_seconds_count{queue="build"} 1');
    expect(text).toContain('gantry_queue_wait_seconds_sum{queue="build"} 2.5');
  });
});
