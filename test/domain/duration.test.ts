import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/domain/duration.js';
import { formatDuration } from '../../src/i18n/duration.js';
import { GantryError } from '../../src/domain/errors.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['500ms', 500],
    ['45s', 45 * S],
    ['30m', 30 * M],
    ['1h', H],
    ['62h', 62 * H],
    ['2d', 2 * D],
    ['2d12h30m', 2 * D + 12 * H + 30 * M],
    ['1m30s250ms', M + 30 * S + 250],
    ['2d 12h', 2 * D + 12 * H],
    [' 90m ', 90 * M],
    ['3650d', 3650 * D],
  ])('%j → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', ' ', '10', 'h', '1.5h', '-1h', '1w', '1H', '1 h', '1h  2m', '2d12', 'ms', '1hour', '1h,2m', '1e3s'])(
    'rejects %j',
    (text) => {
      let error: unknown;
      try {
        parseDuration(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GantryError);
      expect((error as GantryError).code).toBe('INPUT_INVALID');
      expect((error as GantryError).message).toBe(
        `duration ${JSON.stringify(text)} is not a duration: use numbers with units ms, s, m, h or d, e.g. 30m, 1h or 2d12h`,
      );
    },
  );

  it('rejects absurdly long durations', () => {
    expect(() => parseDuration('3651d')).toThrow('duration "3651d" is too long (at most 3650d)');
    expect(() => parseDuration('9'.repeat(400) + 'd')).toThrow(/is too long/);
  });

  it('quotes bad input safely', () => {
    expect(() => parseDuration('1h\n@here')).toThrow('duration "1h\\n@here" is not a duration');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [0.4, '0s'],
    [1, '1ms'],
    [999, '999ms'],
    [1500, '1s 500ms'],
    [45 * S, '45s'],
    [45 * S + 999, '45s 999ms'],
    [M, '1m'],
    [90 * S, '1m 30s'],
    [H, '1h'],
    [H + 30 * S, '1h'], // the next unit down (minutes) is 0, the seconds are cut off
    [H + 59 * M + 59 * S, '1h 59m'],
    [62 * H, '2d 14h'],
    [2 * D + 12 * H + 30 * M, '2d 12h'],
    [2 * D + 5 * M, '2d'],
    [400 * D + 23 * H, '400d 23h'],
    [-90 * M, '-1h 30m'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('round-trips what it prints', () => {
    for (const ms of [45 * S, 90 * M, 2 * D + 12 * H, 1500]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it('refuses non-numbers', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatDuration(Infinity)).toThrow(RangeError);
  });
});
