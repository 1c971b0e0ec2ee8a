import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/messages-en.js';
import { CATALOGS, checkedMessage, LOCALES, Voice, msg } from '../../src/i18n/voice.js';
import type { GantryEvent } from '../../src/notify/events.js';
import { eventLine } from '../../src/render/event-text.js';
import { PLAIN } from '../../src/render/markup.js';

/** The argument names a message uses, nested plural and select branches included. */
function argumentsOf(text: string, locale: string): string[] {
  const names = new Set<string>();
  const walk = (nodes: unknown[]) => {
    for (const n of nodes as { type: number; value?: string; options?: Record<string, { value: unknown[] }> }[]) {
      if (n.value !== undefined && n.type !== 0 && n.type !== 7) names.add(n.value);
      for (const o of Object.values(n.options ?? {})) walk(o.value);
    }
  };
  walk(new IntlMessageFormat(text, locale, undefined, { ignoreTag: true }).getAst() as unknown[]);
  return [...names].sort();
}

/** Messages that are only values or symbols, the same in every language. */
// bundle lines are layouts of names and versions (`web v1.2.3 (was v1.0.0)`), their words come from nested messages
const SAME_IN_EVERY_LANGUAGE = new Set(['error.text', 'status.no-image', 'mail.subject', 'bundle.app', 'bundle.approval-app', 'error.bundle.and']);

describe('the message catalog', () => {
  for (const locale of LOCALES) {
    it(`${locale} has every key of the English catalog and no other`, () => {
      expect(Object.keys(CATALOGS[locale]).sort()).toEqual(Object.keys(en).sort());
    });

    it(`${locale}: each message parses and takes the same values as in English`, () => {
      const wrong = Object.keys(en).filter((key) => {
        const k = key as keyof typeof en;
        return argumentsOf(CATALOGS[locale][k], locale).join() !== argumentsOf(en[k], 'en').join();
      });
      expect(wrong).toEqual([]);
    });
  }

  it('zh-CN translates every sentence (no English message left in it)', () => {
    const untranslated = Object.keys(en).filter((key) => {
      const k = key as keyof typeof en;
      return !SAME_IN_EVERY_LANGUAGE.has(k) && CATALOGS['zh-CN'][k] === en[k];
    });
    expect(untranslated).toEqual([]);
  });

  it('says plurals, nested messages, times, durations and lists in the reader’s language', () => {
    const queued = (ahead: number) => msg('deploy.queued', { ahead, env: 'prod' });
    const en = new Voice('en', 'UTC');
    const zh = new Voice('zh-CN', 'Asia/Shanghai');
    expect(en.say(queued(1))).toBe('queued behind 1 other deployment to prod');
    expect(en.say(queued(3))).toBe('queued behind 3 other deployments to prod');
    expect(zh.say(queued(3))).toBe('前面还有 3 个部署到 prod 的任务在排队');
    const frozen = msg('status.frozen', { until: { time: '2026-12-04T10:00:00.000Z' }, reason: 'weekend' });
    expect(en.say(frozen)).toBe('frozen until Dec 4, 2026, 10:00 UTC (weekend)');
    // 10:00 UTC is 18:00 in Shanghai
    expect(zh.say(frozen)).toBe('冻结至 2026年12月4日 18:00 GMT+8（weekend）');
    expect(zh.duration(90 * 60_000)).toBe('1小时30分钟');
    expect(zh.list(['alice', 'bob'])).toBe('alice、bob');
    expect(en.say(msg('deploy.was', { version: msg('approval.previous-release') }))).toBe(' (was (previous release))');
  });

  it('refuses to say a message with a value missing, rather than half a sentence', () => {
    expect(() => new Voice('en', 'UTC').say(msg('deploy.queued', { env: 'prod' }))).toThrow();
  });
});

describe('messages read back from Redis (job progress, queued events)', () => {
  it('are said only when they are the catalog’s and render; else the plain text is shown', () => {
    const zh = new Voice('zh-CN', 'Asia/Shanghai');
    const event = (detail: unknown) =>
      ({
        type: 'deploy-failed',
        request: { id: 'r', action: 'promote', app: 'web', env: 'prod', version: 'v1', requestedBy: { id: 'shell:carol' }, approvedBy: [] },
        code: 'ENV_LOCKED',
        message: 'prod is locked',
        detail,
      }) as GantryEvent;
    expect(eventLine(event(msg('error.lock.already', { env: 'prod', by: 'dave', since: { time: '2026-12-04T10:00:00Z' }, reason: 'x' })), zh, PLAIN)).toContain('prod 已被 dave 锁定');
    for (const forged of [{ key: 'constructor' }, { key: '__proto__' }, { key: 'error.lock.already' }, { key: 'error.lock.already', params: [1] }, 'text', null]) {
      expect(checkedMessage(forged)).toBeUndefined();
      expect(eventLine(event(forged), zh, PLAIN)).toBe('❌ web v1 到 prod 的发布失败：prod is locked');
    }
  });
});
