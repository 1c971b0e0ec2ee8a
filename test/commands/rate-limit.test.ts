import { afterEach, describe, expect, it } from 'vitest';
import { english } from '../../src/i18n/voice.js';
import { limitedMessage, RedisCommandLimiter } from '../../src/commands/rate-limit.js';
import { connect, Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness } from '../support/harness.js';

/** A harness whose shell users are limited to `max` commands per `window`. */
function limited(name: string, max: number, window: string, exempt: string[] = []): Promise<Harness> {
  return startHarness({ name, edit: (d) => (d.limits = { commands: { max, window, platforms: ['shell'], exempt } }) });
}

describe('per-user rate limit on chat commands', () => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  it('refuses the command over the limit with a clear reply, runs nothing, and lets the user in again after the window', async () => {
    const h = await limited('rate', 3, '1s');
    open.push(h);
    for (let i = 0; i < 3; i++) expect((await h.run('carol', '/help')).ok).toBe(true);
    const refused = await h.run('carol', '/lock qa flood');
    expect(refused).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect(refused.text).toMatch(/^slow down: 3 commands a second; try again in 1 s$/);
    // nothing ran: qa is not locked
    expect(await h.gantry.core.envLocks.get('qa')).toBeNull();
    // someone else is not slowed down by carol
    expect((await h.run('bob', '/help')).ok).toBe(true);

    await new Promise((r) => setTimeout(r, 1100));
    const after = await h.run('carol', '/lock qa flood over');
    expect(after.ok, after.text).toBe(true);
    expect(await h.gantry.core.envLocks.get('qa')).toMatchObject({ reason: 'flood over' });
    const text = await h.gantry.metrics.text();
    expect(text).toContain('gantry_commands_total{platform="shell",command="none",result="RATE_LIMITED"} 1');
  });

  it('holds across gantry processes sharing one Redis, with concurrent commands', async () => {
    const a = await limited('rate-shared', 5, '1m');
    open.push(a);
    const b = await startHarness({ name: 'rate-shared-b', shareWith: a, edit: (d) => (d.limits = { commands: { max: 5, window: '1m', platforms: ['shell'], exempt: [] } }) });
    open.unshift(b);
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).run('carol', '/help')));
    expect(replies.filter((r) => r.ok)).toHaveLength(5);
    const refused = replies.filter((r) => !r.ok);
    expect(refused).toHaveLength(7);
    for (const r of refused) expect(r.text).toMatch(/^slow down: 5 commands a minute; try again in (59|60) s$/);
  });

  it('never limits exempt principals, nor platforms left out', async () => {
    const h = await limited('rate-exempt', 2, '1m', ['oncall']);
    open.push(h);
    // bob is on call
    for (let i = 0; i < 6; i++) expect((await h.run('bob', '/help')).ok).toBe(true);
    expect((await h.run('carol', '/help')).ok).toBe(true);
    expect((await h.run('carol', '/help')).ok).toBe(true);
    expect((await h.run('carol', '/help')).code).toBe('RATE_LIMITED');
    // slack users are not limited here (platforms: [shell])
    for (let i = 0; i < 4; i++) expect((await h.run('slack:U0NOBODY', '/help')).ok).toBe(true);
  });

  it('as shipped, limits chat platforms and not the shell', async () => {
    const h = await startHarness({ name: 'rate-default' });
    open.push(h);
    expect(h.config.limits.commands).toMatchObject({ max: 20, window: '1m', platforms: ['slack', 'dingtalk', 'github'] });
    for (let i = 0; i < 22; i++) expect((await h.run('carol', '/help')).ok).toBe(true);
    const slack = [];
    for (let i = 0; i < 21; i++) slack.push(await h.run('slack:U024BE7LH', '/help'));
    expect(slack.slice(0, 20).every((r) => r.ok)).toBe(true);
    expect(slack[20]!.text).toMatch(/^slow down: 20 commands a minute; try again in \d+ s$/);
  });

  it('lets commands through when Redis cannot be asked (on-call must not be locked out)', async () => {
    const dead = connect('redis://127.0.0.1:1');
    dead.on('error', () => undefined);
    try {
      const limiter = new RedisCommandLimiter(dead, new Keys('t-rate-dead'), { max: 1, windowMs: 60_000, platforms: ['shell'], exempt: [], config: {} as never, log: silentLogger });
      expect(await limiter.check({ id: 'shell:bob' })).toBeUndefined();
    } finally {
      dead.disconnect();
    }
  });

  it('words the reply for other windows', () => {
    const limitedText = (l: Parameters<typeof limitedMessage>[0]) => english(limitedMessage(l));
    expect(limitedText({ max: 20, windowMs: 60_000, retryAfterMs: 11_200 })).toBe('slow down: 20 commands a minute; try again in 12 s');
    expect(limitedText({ max: 1, windowMs: 30_000, retryAfterMs: 10 })).toBe('slow down: 1 command per 30 s; try again in 1 s');
    expect(limitedText({ max: 100, windowMs: 3_600_000, retryAfterMs: 125_000 })).toBe('slow down: 100 commands an hour; try again in 125 s');
  });
});
