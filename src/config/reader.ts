import type { Config } from './schema.js';
import { userOf } from '../domain/identity.js';
import { PLATFORM_SPEECH, type Speech } from '../i18n/config.js';
import { Voice } from '../i18n/voice.js';

/** Who reads a reply or a notification, as far as the face knows. */
export interface Reader {
  /** `slack`, `dingtalk`, `shell`, `email`, `webhook` */
  platform: string;
  /** `slack:C0123`, `dingtalk:cid…`, or a notification target such as `dingtalk:ops` */
  channel?: string;
  /** the person's identity (`dingtalk:staff1`), when one person reads it */
  identity?: string;
  /** the environment the message concerns, whose time zone applies when the reader has none */
  env?: string;
}

/** The reader's language and time zone: user, channel, environment (time zone only), platform, defaults. */
export function voiceFor(config: Config, r: Reader): Voice {
  const i18n = config.i18n;
  const user = r.identity !== undefined ? userOf(config, r.identity) : undefined;
  const levels: (Speech | undefined)[] = [
    user !== undefined ? config.users[user] : undefined,
    r.channel !== undefined && Object.hasOwn(i18n.channels, r.channel) ? i18n.channels[r.channel] : undefined,
    r.env !== undefined && Object.hasOwn(config.environments, r.env) ? { timeZone: config.environments[r.env]!.timeZone } : undefined,
    Object.hasOwn(i18n.platforms, r.platform) ? i18n.platforms[r.platform] : undefined,
    Object.hasOwn(PLATFORM_SPEECH, r.platform) ? PLATFORM_SPEECH[r.platform] : undefined,
  ];
  const locale = levels.find((l) => l?.locale !== undefined)?.locale ?? i18n.locale;
  const timeZone = levels.find((l) => l?.timeZone !== undefined)?.timeZone ?? i18n.timeZone;
  return new Voice(locale, timeZone);
}
