import { msg } from '../i18n/voice.js';
import { GantryError } from './errors.js';
import { quoteInput } from './version.js';

/** Durations in config and commands: `30m`, `1h`, `2d12h30m` (the same grammar as the config schema). */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;

/** Ten years: longer is a typo, and far-future dates would overflow `Date`. */
const MAX_MS = 3650 * UNIT_MS.d;

/**
 * `"2d12h30m"` → milliseconds. Parts may be separated by spaces, so `formatDuration`'s output
 * (`"2d 12h"`) parses back. Throws INPUT_INVALID for anything else.
 */
export function parseDuration(text: string): number {
  const bad = (why: 'error.duration.invalid' | 'error.duration.too-long'): never => {
    throw new GantryError('INPUT_INVALID', msg(why, { text: quoteInput(text) }));
  };
  const s = text.trim();
  // `ms` before `m` and `s`, so "500ms" is not read as 500 minutes followed by garbage.
  if (!/^(\d+(ms|s|m|h|d) ?)+$/.test(s) || s.endsWith(' ')) {
    bad('error.duration.invalid');
  }
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(n) * UNIT_MS[unit as Unit];
  if (!(ms <= MAX_MS)) bad('error.duration.too-long');
  return ms;
}
