/** Milliseconds per unit, largest first: the units of durations in config and commands. */
const UNITS: readonly (readonly [unit: string, ms: number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * Short text for replies: the largest unit and the next smaller one, cut off rather than rounded
 * (`2d 12h`, `1h`, `45s`, `0s`); the next smaller unit is left out when it is 0. It reads back
 * with `parseDuration` (src/domain/duration.ts); `Voice.duration` says it in the reader's language.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatDuration: ${ms} is not a finite number`);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  const first = UNITS.findIndex(([, size]) => rest >= size);
  if (first === -1) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of UNITS.slice(first, first + 2)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return sign + parts.join(' ');
}
