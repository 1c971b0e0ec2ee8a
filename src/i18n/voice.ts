import { IntlMessageFormat } from 'intl-messageformat';
import { formatDuration } from './duration.js';
import { en, type MessageKey } from './messages-en.js';
import { zhCN } from './messages-zh-cn.js';

/** The languages gantry answers in. Command words (`/promote`) stay the same in every one. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

export const CATALOGS: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

/**
 * Values a message takes: text is inserted as given (a face escapes it first), numbers pick
 * plurals, a nested message is said in the same language, and times, durations and lists are
 * formatted for the reader when the message is rendered.
 */
export type Param = string | number | Message | { time: string } | { duration: number } | { list: readonly string[] };
export type Params = Record<string, Param>;

/** A message as data: what a reply or an error says, before anyone has chosen a language for it. */
export interface Message {
  key: MessageKey;
  params?: Params;
}

export function msg(key: MessageKey, params?: Params): Message {
  return params ? { key, params } : { key };
}

const compiled = new Map<string, IntlMessageFormat>();

function compile(locale: Locale, key: MessageKey): IntlMessageFormat {
  const id = `${locale}\u0000${key}`;
  let f = compiled.get(id);
  if (!f) {
    // ignoreTag: catalogs hold no markup; `<` in a message is text (the face escapes the result)
    f = new IntlMessageFormat(CATALOGS[locale][key], locale, undefined, { ignoreTag: true });
    compiled.set(id, f);
  }
  return f;
}

/** Formats `key` in `locale`. A missing parameter is an error: a message never goes out half-filled. */
function translate(locale: Locale, key: MessageKey, params: Record<string, string | number>): string {
  return String(compile(locale, key).format(params));
}

/**
 * A message read back from somewhere anyone with Redis access can write (a job's progress, an
 * event in a queue): kept only when its key is one of the catalog's and it renders in every
 * language; otherwise undefined, and the caller shows the plain text it has.
 */
export function checkedMessage(x: unknown): Message | undefined {
  const m = x as Partial<Message> | null | undefined;
  if (typeof m?.key !== 'string' || !Object.hasOwn(CATALOGS.en, m.key)) return undefined;
  if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))) return undefined;
  try {
    for (const locale of LOCALES) new Voice(locale, 'UTC').say(m as Message);
    return m as Message;
  } catch {
    return undefined;
  }
}

/** The English text of a message, times in UTC: for logs, errors' `message`, and what no person reads. */
export function english(m: Message): string {
  return ENGLISH.say(m);
}

/**
 * How one reader is spoken to: their language and their time zone. Every face renders a reply
 * through one of these, so times, lists and plurals read naturally in either language.
 */
export class Voice {
  private readonly dateFormat: Intl.DateTimeFormat;
  private readonly clockFormat: Intl.DateTimeFormat;

  constructor(
    readonly locale: Locale,
    readonly timeZone: string,
  ) {
    this.dateFormat = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone });
    this.clockFormat = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone, timeZoneName: 'short' });
  }

  /** `key` with `params`, which the caller has escaped already (or which are markup of its own). */
  t(key: MessageKey, params: Params = {}): string {
    return this.say({ key, params }, (s) => s);
  }

  /** A message with its text parameters (nested messages' too) passed through `esc` first: the face's escaping. */
  say(m: Message, esc: (s: string) => string = (s) => s): string {
    const out: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(m.params ?? {})) out[k] = this.param(v, esc);
    return translate(this.locale, m.key, out);
  }

  private param(v: Param, esc: (s: string) => string): string | number {
    if (typeof v === 'string') return esc(v);
    if (typeof v === 'number') return v;
    if ('key' in v) return this.say(v, esc);
    if ('time' in v) return esc(this.time(v.time));
    if ('duration' in v) return this.duration(v.duration);
    return esc(this.list(v.list));
  }

  /**
   * `Dec 1, 2026, 17:25 GMT+8` / `2026年12月1日 17:25 GMT+8`: date, clock, zone, in that order in
   * every language (zh-CN's own order puts the zone before the clock); text that is no time is
   * shown as it is.
   */
  time(iso: string): string {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return iso;
    const parts = this.clockFormat.formatToParts(at);
    const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
    const date = this.dateFormat.format(at);
    return `${date}${this.locale === 'en' ? ',' : ''} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
  }

  /** `2d 12h` / `2天12小时` */
  duration(ms: number): string {
    const text = formatDuration(ms);
    if (this.locale === 'en') return text;
    return text.replace(/(\d+)(ms|s|m|h|d)/g, (_, n: string, u: string) => `${n}${ZH_UNITS[u]}`).replace(/ /g, '');
  }

  /** `alice, bob` / `alice、bob`: the separator of the reader's language, no "and" (Intl.ListFormat drops zh's). */
  list(items: readonly string[]): string {
    return items.join(this.locale === 'en' ? ', ' : '、');
  }
}

const ZH_UNITS: Record<string, string> = { d: '天', h: '小时', m: '分钟', s: '秒', ms: '毫秒' };

const ENGLISH = new Voice('en', 'UTC');
