import { describe, expect, it } from 'vitest';
import { HOME_LIMITS, homeView } from '../../src/chat/slack/home-view.js';
import { Voice } from '../../src/i18n/voice.js';
import type { ApprovalView } from '../../src/queries/approvals.js';
import type { EnvStatus } from '../../src/queries/status.js';

const ENVS = ['dev', 'qa', 'staging', 'canary', 'prod'];
const NOW = new Date('2026-12-01T10:00:00Z');

function envs(apps: string[]): EnvStatus[] {
  return ENVS.map((env) => ({
    env,
    apps: apps.map((app) => ({
      app,
      version: 'v1.2.3',
      images: [{ name: app, ref: `registry.example.com/acme/${app}:v1.2.3`, file: `apps/${app}/${env}.yaml` }],
      held: false,
      last: { sha: 'a'.repeat(40), date: NOW.toISOString(), action: 'promote' as const, by: 'alice', approvedBy: [] },
    })),
  }));
}

function approval(id: number, files = 1): ApprovalView {
  return {
    id: String(id),
    status: 'pending',
    action: 'promote',
    app: 'web',
    env: 'prod',
    from: 'v1.0.0',
    to: 'v1.2.3',
    changes: Array.from({ length: files }, (_, i) => ({
      file: `apps/web/prod/part-${i}/values.yaml`,
      line: 6,
      before: 'registry.example.com/acme/web:v1.0.0',
      after: 'registry.example.com/acme/web:v1.2.3',
    })),
    requestedBy: 'carol',
    approvers: ['leads'],
    required: 1,
    votes: [],
    createdAt: NOW.toISOString(),
    deadline: new Date(NOW.getTime() + 3_600_000).toISOString(),
  };
}

const apps = (n: number) => Array.from({ length: n }, (_, i) => `app-${String(i).padStart(2, '0')}`);
const texts = (blocks: unknown[]) => JSON.stringify(blocks);

describe('the Home view within Slack limits', () => {
  const en = new Voice('en', 'UTC');

  it('50 apps × 5 environments and 30 requests: at most 100 blocks, the rest counted with a link to the dashboard', () => {
    const names = apps(50);
    const view = homeView(
      { envs: envs(names), apps: names, upstream: new Map(), approvals: Array.from({ length: 30 }, (_, i) => approval(i + 1)), publicUrl: 'https://gantry.example.com', now: NOW },
      en,
    );
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_LIMITS.blocks);
    const all = texts(view.blocks);
    // the matrix keeps at least half the room while requests wait
    expect(all).toContain('What runs where');
    expect(all).toContain('*app-00*');
    expect(all).toContain('Approval 1:');
    const more = JSON.stringify(view.blocks.at(-2));
    expect(more).toMatch(/\d+ more items do not fit here\. <https:\/\/gantry\.example\.com\|More on the dashboard>/);
    const shown = (all.match(/"action_id":"gantry_approve"/g) ?? []).length + (all.match(/\*app-\d\d\*/g) ?? []).length;
    const left = Number(/(\d+) more items/.exec(more)![1]);
    expect(shown + left).toBe(80);
  });

  it('everything that fits is shown with no "more" line; without a dashboard the rest points to chat', () => {
    const small = homeView({ envs: envs(['web']), apps: ['web'], upstream: new Map(), approvals: [approval(7)], now: NOW }, en);
    expect(texts(small.blocks)).not.toContain('more item');
    expect(texts(small.blocks)).not.toContain('dashboard');
    const names = apps(120);
    const big = homeView({ envs: envs(names), apps: names, upstream: new Map(), approvals: [], now: NOW }, en);
    expect(big.blocks.length).toBeLessThanOrEqual(HOME_LIMITS.blocks);
    expect(JSON.stringify(big.blocks.at(-2))).toContain('See them with /status and /approve in chat.');
  });

  it('cuts a section over 3,000 characters (a request touching hundreds of files) and closes its code block', () => {
    const view = homeView({ envs: envs(['web']), apps: ['web'], upstream: new Map(), approvals: [approval(9, 200)], now: NOW }, en);
    for (const b of view.blocks) {
      const text = b.type === 'section' ? ((b as { text?: { text?: string } }).text?.text ?? '') : '';
      expect(text.length).toBeLessThanOrEqual(HOME_LIMITS.section);
      if (text.startsWith('```')) expect(text.endsWith('```')).toBe(true);
    }
  });

  it('escapes what people typed: a lock reason cannot ping the channel', () => {
    const status = envs(['web']);
    status[4]!.lock = { by: 'shell:mallory', reason: '<!channel> go', at: NOW.toISOString() };
    const view = homeView({ envs: status, apps: ['web'], upstream: new Map([['prod', 'canary']]), approvals: [], now: NOW }, new Voice('zh-CN', 'Asia/Shanghai'));
    const all = texts(view.blocks);
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!channel&gt; go');
    expect(all).toContain('各环境运行的版本');
    expect(all).toContain(':lock: 已锁定');
  });
});
