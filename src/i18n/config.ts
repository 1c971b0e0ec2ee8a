import { z } from 'zod';
import { LOCALES } from './voice.js';

export const LocaleSchema = z.enum(LOCALES);

/** An IANA time zone this machine's ICU knows (`Asia/Shanghai`, `Europe/Berlin`, `UTC`). */
export const TimeZoneSchema = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Asia/Shanghai or UTC' },
);

/** How someone (or a channel, a platform) is spoken to; each part may be left to the next level. */
export const SpeechSchema = z
  .object({
    locale: LocaleSchema.optional().describe('language of replies and notifications: en or zh-CN'),
    timeZone: TimeZoneSchema.optional().describe('IANA time zone that times are shown in, e.g. Asia/Shanghai'),
  })
  .strict();
export type Speech = z.infer<typeof SpeechSchema>;

/** DingTalk's people mostly read Chinese in China: its default, unless the config says otherwise. */
export const PLATFORM_SPEECH: Readonly<Record<string, Speech>> = Object.freeze({
  dingtalk: { locale: 'zh-CN', timeZone: 'Asia/Shanghai' },
});

/**
 * `i18n:` in the config. A reader's language and time zone are, first found: their user's
 * (`users.<name>.locale`/`timeZone`), their channel's, the environment's time zone (for what
 * concerns one), their platform's, then these defaults.
 */
export const I18nSchema = z
  .object({
    locale: LocaleSchema.default('en').describe('default language: en (default) or zh-CN'),
    timeZone: TimeZoneSchema.default('UTC').describe('default IANA time zone for times in replies and notifications (default UTC)'),
    platforms: z
      .record(z.string().regex(/^[a-z]+$/), SpeechSchema.describe('how readers on this platform are spoken to'))
      .default({})
      .describe('language and time zone per platform (slack, dingtalk, shell, email, webhook); dingtalk defaults to zh-CN, Asia/Shanghai'),
    channels: z
      .record(z.string().min(3).max(200), SpeechSchema.describe('how readers in this channel or of this target are spoken to'))
      .default({})
      .describe('language and time zone per channel or notification target: slack:C0123, dingtalk:cid…, dingtalk:<robot>, email:ops@…'),
  })
  .strict();
export type I18nConfig = z.infer<typeof I18nSchema>;
