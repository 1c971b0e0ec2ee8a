import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import type { Freeze } from '../../src/config/schema.js';
import { GantryError } from '../../src/domain/errors.js';
import { activeFreeze, nextFreeze, validateCron } from '../../src/domain/freeze.js';

const at = (iso: string): Date => new Date(iso);
const window = (reason: string, since: string, until: string) => ({ reason, since: at(since), until: at(until) });

// Friday 18:00 Shanghai (UTC+8, no DST) for 62 hours: until Monday 08:00 Shanghai = 00:00 UTC.
const weekend: Freeze = { cron: '0 18 * * 5', duration: '62h', timezone: 'Asia/Shanghai', reason: 'weekend' };

function configError(fn: () => unknown): GantryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GantryError && e.code === 'CONFIG_INVALID') return e;
    throw e;
  }
  throw new Error('expected CONFIG_INVALID, nothing was thrown');
}

describe('activeFreeze: weekly window in Asia/Shanghai', () => {
  const frozen = window('weekend', '2026-11-20T10:00:00Z', '2026-11-23T00:00:00Z');

  it.each([
    ['Friday 18:30 Shanghai', '2026-11-20T10:30:00Z'],
    ['Friday 18:00:00.000 Shanghai, the very start', '2026-11-20T10:00:00Z'],
    ['Sunday noon Shanghai', '2026-11-22T04:00:00Z'],
    ['Monday 07:59:59.999 Shanghai', '2026-11-22T23:59:59.999Z'],
  ])('%s is frozen until Monday 08:00 Shanghai', (_, now) => {
    expect(activeFreeze([weekend], at(now))).toEqual(frozen);
  });

  it.each([
    ['Thursday 18:30 Shanghai', '2026-11-19T10:30:00Z'],
    ['Friday 17:59:59.999 Shanghai', '2026-11-20T09:59:59.999Z'],
    ['Monday noon Shanghai (still frozen if the cron were read as UTC)', '2026-11-23T04:00:00Z'],
    ['Monday 08:00 Shanghai, the end is exclusive', '2026-11-23T00:00:00Z'],
    ['Wednesday', '2026-11-25T06:00:00Z'],
  ])('%s is not frozen', (_, now) => {
    expect(activeFreeze([weekend], at(now))).toBeNull();
  });

  it('no freezes, no freeze', () => expect(activeFreeze([], at('2026-11-20T10:30:00Z'))).toBeNull());
});

describe('activeFreeze: Europe/Berlin around the start of summer time (Sunday 2026-03-29)', () => {
  // Saturday 22:00 CET = 21:00 UTC; 12 real hours later the clocks show 11:00 CEST, not 10:00.
  const saturdayNight: Freeze = { cron: '0 22 * * 6', duration: '12h', timezone: 'Europe/Berlin', reason: 'night' };
  // Daily 09:00 local: 08:00 UTC in winter, 07:00 UTC in summer.
  const morning: Freeze = { cron: '0 9 * * *', duration: '1h', timezone: 'Europe/Berlin', reason: 'stand-up' };

  it('a window spanning the change lasts 12 real hours', () => {
    const expected = window('night', '2026-03-28T21:00:00Z', '2026-03-29T09:00:00Z');
    expect(activeFreeze([saturdayNight], at('2026-03-29T00:30:00Z'))).toEqual(expected); // 01:30 CET
    expect(activeFreeze([saturdayNight], at('2026-03-29T08:59:59.999Z'))).toEqual(expected); // 10:59 CEST
    expect(activeFreeze([saturdayNight], at('2026-03-29T09:00:00Z'))).toBeNull();
  });

  it.each([
    ['Saturday 09:30 CET', '2026-03-28T08:30:00Z', window('stand-up', '2026-03-28T08:00:00Z', '2026-03-28T09:00:00Z')],
    ['Saturday 08:30 CET', '2026-03-28T07:30:00Z', null],
    ['Monday 09:30 CEST', '2026-03-30T07:30:00Z', window('stand-up', '2026-03-30T07:00:00Z', '2026-03-30T08:00:00Z')],
    ['Monday 10:30 CEST', '2026-03-30T08:30:00Z', null],
  ])('daily 09:00 local: %s', (_, now, expected) => {
    expect(activeFreeze([morning], at(now))).toEqual(expected);
  });

  it('a wall-clock time skipped in spring opens right after the gap, and nextFreeze agrees', () => {
    // 02:30 does not exist on 2026-03-29: the window opens at 03:30 CEST = 01:30 UTC.
    const early: Freeze = { cron: '30 2 * * *', duration: '30m', timezone: 'Europe/Berlin', reason: 'backup' };
    const expected = window('backup', '2026-03-29T01:30:00Z', '2026-03-29T02:00:00Z');
    expect(nextFreeze([early], at('2026-03-28T12:00:00Z'))).toEqual(expected);
    expect(activeFreeze([early], at('2026-03-29T01:45:00Z'))).toEqual(expected);
    expect(activeFreeze([early], at('2026-03-29T01:29:59.999Z'))).toBeNull();
    expect(activeFreeze([early], at('2026-03-30T00:45:00Z'))).toEqual(
      window('backup', '2026-03-30T00:30:00Z', '2026-03-30T01:00:00Z'),
    );
  });

  it('the moved start also counts for windows longer than a day', () => {
    const long: Freeze = { cron: '30 2 * * *', duration: '2d', timezone: 'Europe/Berlin', reason: 'long' };
    expect(activeFreeze([long], at('2026-03-29T01:45:00Z'))).toEqual(
      window('long', '2026-03-29T01:30:00Z', '2026-03-31T01:30:00Z'),
    );
  });
});

describe('activeFreeze: Europe/Berlin at the end of summer time (Sunday 2026-10-25)', () => {
  // 02:30 happens twice that night (00:30 UTC in CEST, 01:30 UTC in CET); the window opens once, at the first.
  const early = (duration: string): Freeze => ({ cron: '30 2 * * *', duration, timezone: 'Europe/Berlin', reason: 'backup' });

  it('opens at the first 02:30 only', () => {
    expect(nextFreeze([early('30m')], at('2026-10-24T12:00:00Z'))).toEqual(
      window('backup', '2026-10-25T00:30:00Z', '2026-10-25T01:00:00Z'),
    );
    expect(activeFreeze([early('30m')], at('2026-10-25T00:45:00Z'))).toEqual(
      window('backup', '2026-10-25T00:30:00Z', '2026-10-25T01:00:00Z'),
    );
    expect(activeFreeze([early('30m')], at('2026-10-25T01:45:00Z'))).toBeNull(); // the second 02:45
    expect(activeFreeze([early('2h')], at('2026-10-25T01:45:00Z'))).toEqual(
      window('backup', '2026-10-25T00:30:00Z', '2026-10-25T02:30:00Z'),
    );
    expect(nextFreeze([early('30m')], at('2026-10-25T00:45:00Z'))).toEqual(
      window('backup', '2026-10-26T01:30:00Z', '2026-10-26T02:00:00Z'),
    );
  });

  it('a cron firing many times inside the repeated hour', () => {
    const quarterly: Freeze = { cron: '*/15 2 * * *', duration: '2h', timezone: 'Europe/Berlin', reason: 'batch' };
    expect(activeFreeze([quarterly], at('2026-10-25T01:50:00Z'))).toEqual(
      window('batch', '2026-10-25T00:45:00Z', '2026-10-25T02:45:00Z'),
    );
  });

  it('a dense cron with a long window stays cheap and exact', () => {
    const everyMinute: Freeze = { cron: '* * * * *', duration: '30d', timezone: 'Europe/Berlin', reason: 'always' };
    const t0 = performance.now();
    expect(activeFreeze([everyMinute], at('2026-10-25T01:50:30Z'))).toEqual(
      window('always', '2026-10-25T01:50:00Z', '2026-11-24T01:50:00Z'),
    );
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('activeFreeze: several and long windows', () => {
  // 2026-11-20 00:00 UTC for five days.
  const release: Freeze = { cron: '0 0 20 11 *', duration: '5d', timezone: 'UTC', reason: 'release week' };

  it('returns the window that ends last, whatever the order', () => {
    const expected = window('release week', '2026-11-20T00:00:00Z', '2026-11-25T00:00:00Z');
    expect(activeFreeze([weekend, release], at('2026-11-20T10:30:00Z'))).toEqual(expected);
    expect(activeFreeze([release, weekend], at('2026-11-20T10:30:00Z'))).toEqual(expected);
    const shortRelease = { ...release, duration: '1d' };
    expect(activeFreeze([shortRelease, weekend], at('2026-11-20T10:30:00Z'))).toEqual(
      window('weekend', '2026-11-20T10:00:00Z', '2026-11-23T00:00:00Z'),
    );
  });

  it('only the freezes covering now count', () => {
    expect(activeFreeze([weekend, release], at('2026-11-20T05:00:00Z'))).toEqual(
      window('release week', '2026-11-20T00:00:00Z', '2026-11-25T00:00:00Z'),
    );
    expect(activeFreeze([weekend, release], at('2026-11-26T00:00:00Z'))).toBeNull();
  });

  it('windows longer than the cron period: the latest start is the one that ends last', () => {
    const hourly: Freeze = { cron: '0 * * * *', duration: '90m', timezone: 'UTC', reason: 'busy' };
    expect(activeFreeze([hourly], at('2026-11-20T10:15:00Z'))).toEqual(
      window('busy', '2026-11-20T10:00:00Z', '2026-11-20T11:30:00Z'),
    );
    const eightDays: Freeze = { ...weekend, duration: '8d' };
    expect(activeFreeze([eightDays], at('2026-11-19T10:30:00Z'))).toEqual(
      window('weekend', '2026-11-13T10:00:00Z', '2026-11-21T10:00:00Z'),
    );
  });
});

describe('activeFreeze and nextFreeze agree with one long walk of cron-parser next() around DST changes', () => {
  it.each([
    ['Europe/Berlin', '2026-03-29T01:00:00Z'],
    ['Europe/Berlin', '2026-10-25T01:00:00Z'],
    ['America/New_York', '2026-11-01T06:00:00Z'],
  ])('%s at %s', (timezone, change) => {
    const T = Date.parse(change);
    for (const cron of ['30 2 * * *', '*/20 1-3 * * *', '0 * * * *', '59 1 * * *']) {
      const walk = CronExpressionParser.parse(cron, { currentDate: new Date(T - 2 * 86_400_000), tz: timezone });
      const starts: number[] = [];
      for (let t = walk.next().getTime(); t < T + 2 * 86_400_000; t = walk.next().getTime()) starts.push(t);
      const f: Freeze = { cron, duration: '90m', timezone, reason: 'r' };
      for (let now = T - 5 * 3_600_000; now <= T + 5 * 3_600_000; now += 17 * 60_000) {
        const last = starts.filter((t) => t <= now).at(-1);
        const active = last !== undefined && last + 90 * 60_000 > now ? window('r', new Date(last).toISOString(), new Date(last + 90 * 60_000).toISOString()) : null;
        const label = `${cron} at ${new Date(now).toISOString()}`;
        expect(activeFreeze([f], new Date(now)), label).toEqual(active);
        expect(nextFreeze([f], new Date(now))?.since.getTime(), label).toBe(starts.find((t) => t > now));
      }
    }
  });
});

describe('nextFreeze', () => {
  it.each([
    ['Thursday', '2026-11-19T10:30:00Z', window('weekend', '2026-11-20T10:00:00Z', '2026-11-23T00:00:00Z')],
    ['inside a window: the one after it', '2026-11-20T10:30:00Z', window('weekend', '2026-11-27T10:00:00Z', '2026-11-30T00:00:00Z')],
    ['exactly at a start: the one after it', '2026-11-20T10:00:00Z', window('weekend', '2026-11-27T10:00:00Z', '2026-11-30T00:00:00Z')],
  ])('%s', (_, now, expected) => {
    expect(nextFreeze([weekend], at(now))).toEqual(expected);
  });

  it('the earliest start wins; on a tie the longer window', () => {
    const release: Freeze = { cron: '0 0 20 11 *', duration: '5d', timezone: 'UTC', reason: 'release week' };
    expect(nextFreeze([weekend, release], at('2026-11-19T00:00:00Z'))).toEqual(
      window('release week', '2026-11-20T00:00:00Z', '2026-11-25T00:00:00Z'),
    );
    const shortWeekend = { ...weekend, duration: '1h', reason: 'short' };
    expect(nextFreeze([shortWeekend, weekend], at('2026-11-19T00:00:00Z'))).toEqual(
      window('weekend', '2026-11-20T10:00:00Z', '2026-11-23T00:00:00Z'),
    );
  });

  it('no freezes, nothing next', () => expect(nextFreeze([], at('2026-11-19T00:00:00Z'))).toBeNull());
});

describe('validateCron', () => {
  it.each(['0 18 * * 5', '*/15 9-17 * * 1-5', '0 18 * * FRI', '0 18 * * THU', '0 18 * * 5#2', '0 0 L * *', '  0 18 * * 5  '])(
    'accepts %j',
    (expr) => expect(() => validateCron(expr)).not.toThrow(),
  );

  it.each([
    ['', 'cron expression "" has 0 field(s); expected 5: minute hour day-of-month month day-of-week'],
    ['0 18 * *', 'cron expression "0 18 * *" has 4 field(s); expected 5: minute hour day-of-month month day-of-week'],
    ['0 0 18 * * 5', 'cron expression "0 0 18 * * 5" has 6 field(s); expected 5: minute hour day-of-month month day-of-week'],
    ['@daily', 'cron expression "@daily" has 1 field(s); expected 5: minute hour day-of-month month day-of-week'],
    ['H 2 * * *', 'cron expression "H 2 * * *" uses H; freeze windows need fixed times'],
    ['0 H(1-5) * * *', 'cron expression "0 H(1-5) * * *" uses H; freeze windows need fixed times'],
    ['61 * * * *', 'cron expression "61 * * * *" is invalid: Constraint error, got value 61 expected range 0-59'],
    ['0 24 * * *', 'cron expression "0 24 * * *" is invalid: Constraint error, got value 24 expected range 0-23'],
    ['0 0 30 2 *', 'cron expression "0 0 30 2 *" is invalid: Invalid explicit day of month definition'],
    ['0 18 * * 5-1', 'cron expression "0 18 * * 5-1" is invalid: Invalid range: 5-1, min(5) > max(1)'],
  ])('rejects %j', (expr, message) => {
    expect(configError(() => validateCron(expr)).message).toBe(message);
  });
});

describe('broken freeze config is a CONFIG_INVALID error, not a silent pass', () => {
  const now = at('2026-11-20T10:30:00Z');
  it.each([
    [{ ...weekend, timezone: 'Mars/Olympus_Mons' }, 'freeze "weekend": unknown time zone "Mars/Olympus_Mons"'],
    [{ ...weekend, duration: '62 hours' }, /^freeze "weekend": duration "62 hours" is not a duration/],
    [{ ...weekend, cron: '0 18 * * 5 2026' }, /^cron expression "0 18 \* \* 5 2026" has 6 field/],
  ])('%j', (freeze, message) => {
    expect(configError(() => activeFreeze([freeze], now)).message).toMatch(message);
    expect(configError(() => nextFreeze([freeze], now)).message).toMatch(message);
  });
});
