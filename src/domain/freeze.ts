import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { Freeze } from '../config/schema.js';
import { parseDuration } from './duration.js';
import { msg, type Message } from '../i18n/voice.js';
import { GantryError, isGantryError } from './errors.js';
import { quoteInput } from './version.js';

/**
 * Freeze windows: a window opens at every fire time of a 5-field cron expression, read as wall
 * clock time in the window's IANA time zone (so `0 18 * * 5` stays 18:00 local across DST), and
 * stays open for `duration`, which is elapsed time (62h is 62 real hours, even over a DST change).
 */

export interface FreezeWindow {
  reason: string;
  since: Date;
  until: Date;
}

/**
 * Throws CONFIG_INVALID unless `expr` is a plain 5-field cron expression (minute hour
 * day-of-month month day-of-week). cron-parser also accepts 6 fields (seconds), fewer fields,
 * `@daily` and `H`; they are refused here: a seconds field would be misread by anyone used to
 * cron, and `H` without a seed moves the window on every parse.
 */
export function validateCron(expr: string): void {
  const fields = expr.trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new GantryError('CONFIG_INVALID', msg('error.freeze.cron-fields', { expr: quoteInput(expr), count: String(fields.length) }));
  }
  // `H` alone or as `H(…)`/`H/…`; the H inside a day name such as THU is fine.
  if (fields.some((f) => /(?<![a-z])h(?![a-z])/i.test(f))) {
    throw new GantryError('CONFIG_INVALID', msg('error.freeze.cron-h', { expr: quoteInput(expr) }));
  }
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
  } catch (e) {
    const error = (e as Error).message;
    throw new GantryError('CONFIG_INVALID', msg('error.freeze.cron-invalid', { expr: quoteInput(expr), error }), { cause: e });
  }
}

/** A freeze's schedule: fire times as instants, and the window length. */
interface Schedule {
  /** The first fire time strictly after `t`. */
  after(t: Date): Date;
  /** cron-parser's fire times strictly before `t`, newest first: only hints (see lastStart). */
  before(t: Date): Iterator<Date>;
  ms: number;
}

const HOUR = 3_600_000;

/**
 * cron-parser matches wall-clock times from wherever it starts, so a start just after a DST
 * change reads it differently than a walk from before it: from 03:15 CEST it skips the 02:30
 * that, walking from Saturday, it moved to 03:30; from the second 02:00 it fires 02:30 again.
 * Walking forward from 3 hours back (more than any DST shift) whenever the UTC offset changed
 * in between gives the answer of a walk from long before. A 5-field cron fires at most once a
 * minute, so that walk takes at most 180 steps.
 */
const DST_LOOKBACK = 3 * HOUR;
const MAX_WALK = 200;

/** Checks one freeze and builds its schedule; every config mistake becomes CONFIG_INVALID. */
function schedule(f: Freeze): Schedule {
  validateCron(f.cron);
  let ms: number;
  try {
    ms = parseDuration(f.duration);
  } catch (e) {
    const detail = isGantryError(e) ? e.detail : msg('error.text', { text: (e as Error).message });
    throw new GantryError('CONFIG_INVALID', msg('error.freeze.in', { reason: f.reason, detail }), { cause: e });
  }
  let offsets: Intl.DateTimeFormat;
  try {
    // cron-parser only notices a bad zone when it first computes a date; Intl checks it up front.
    offsets = new Intl.DateTimeFormat('en-US', { timeZone: f.timezone, timeZoneName: 'longOffset' });
  } catch (e) {
    const detail = msg('error.freeze.time-zone', { zone: f.timezone });
    throw new GantryError('CONFIG_INVALID', msg('error.freeze.in', { reason: f.reason, detail }), { cause: e });
  }
  const offset = (t: number): string | undefined =>
    offsets.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value;
  const at = (currentDate: number): CronExpression =>
    CronExpressionParser.parse(f.cron, { currentDate: new Date(currentDate), tz: f.timezone });
  return {
    ms,
    after(t) {
      const from = offset(t.getTime() - DST_LOOKBACK) === offset(t.getTime()) ? t.getTime() : t.getTime() - DST_LOOKBACK;
      const cron = at(from);
      const fail = (why: string | Message, cause?: unknown): never => {
        const error = typeof why === 'string' ? msg('error.text', { text: why }) : why;
        const detail = msg('error.freeze.no-fire-time', { cron: f.cron, zone: f.timezone, after: { time: t.toISOString() }, error });
        throw new GantryError('CONFIG_INVALID', msg('error.freeze.in', { reason: f.reason, detail }), { cause });
      };
      for (let i = 0; i < MAX_WALK; i++) {
        let d: Date;
        try {
          d = cron.next().toDate();
        } catch (e) {
          // A valid 5-field cron fires at least every four years, so this is cron-parser giving
          // up (seen with `*/15 2 * * *` at Lord Howe's half-hour DST change). Failing loudly
          // beats silently ignoring a freeze.
          return fail((e as Error).message, e);
        }
        if (d > t) return d;
      }
      return fail(msg('error.freeze.walk', { steps: String(MAX_WALK) }));
    },
    *before(t) {
      const cron = at(t.getTime());
      for (;;) {
        let d: Date;
        try {
          d = cron.prev().toDate();
        } catch {
          return; // only hints: lastStart then walks forward with `after`
        }
        yield d;
      }
    },
  };
}

/** Bounds the steps back: a DST change adds or drops at most 60 of prev()'s fire times. */
const MAX_STEPS = 128;

/**
 * The last fire time in (lo, now], or null, as `after` sees fire times (so activeFreeze and
 * nextFreeze agree). Walking `after` forward from `lo` would do, but costs ~0.1 ms per fire
 * (`* * * * *` with a 30d window: 43,200 steps), so prev() is used to jump close to `now`.
 * prev() reads DST changes differently (it drops a time moved past a spring gap and returns an
 * autumn time twice), so each jump target is checked with `after`, stepping back further when
 * it is not a fire time.
 */
function lastStart(s: Schedule, lo: Date, now: Date): Date | null {
  let last = s.after(lo);
  if (last > now) return null; // the common "not frozen" case: one step
  const back = s.before(new Date(now.getTime() + 1)); // strictly before, so a start at `now` counts
  for (let i = 0; i < MAX_STEPS; i++) {
    const p = back.next();
    if (p.done || p.value <= last) break;
    const r = s.after(new Date(p.value.getTime() - 1)); // p itself if p is a fire time
    if (r <= now) {
      last = r;
      break;
    }
  }
  // Fire times `before` does not know (the spring case) may still lie between `last` and now.
  for (let i = 0, r = s.after(last); i < MAX_STEPS && r <= now; i++, r = s.after(last)) last = r;
  return last;
}

/**
 * The freeze window `now` is in, or null. Of one freeze's windows only the latest start at or
 * before `now` can matter: all its windows have the same length, so an earlier one ends earlier
 * and cannot cover `now` if the latest does not, even when windows are longer than the cron
 * period. If several freezes cover `now`, the one that ends last is returned (its `since` is
 * that window's own start; overlapping or back-to-back windows are not merged).
 */
export function activeFreeze(freezes: readonly Freeze[], now: Date): FreezeWindow | null {
  let best: FreezeWindow | null = null;
  for (const f of freezes) {
    const s = schedule(f);
    // A window that started at or before now - duration is over; only later starts count.
    const since = lastStart(s, new Date(now.getTime() - s.ms), now);
    if (!since) continue;
    const until = new Date(since.getTime() + s.ms);
    if (!best || until > best.until) best = { reason: f.reason, since, until };
  }
  return best;
}

/**
 * The next window that opens after `now` (for /status), or null when there are no freezes.
 * A window open at `now` is not included; ask `activeFreeze` for that. Ties go to the longer one.
 */
export function nextFreeze(freezes: readonly Freeze[], now: Date): FreezeWindow | null {
  let best: FreezeWindow | null = null;
  for (const f of freezes) {
    const s = schedule(f);
    const since = s.after(now);
    const until = new Date(since.getTime() + s.ms);
    if (!best || since < best.since || (since.getTime() === best.since.getTime() && until > best.until)) {
      best = { reason: f.reason, since, until };
    }
  }
  return best;
}
