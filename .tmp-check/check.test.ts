import { it, expect } from 'vitest';
import { CronExpressionParser } from 'cron-parser';
import { activeFreeze, nextFreeze } from '../src/domain/freeze.js';
import { parseDuration } from '../src/domain/duration.js';

it('brute force', () => {
  const crons = ['30 2 * * *', '*/15 2 * * *', '0 * * * *', '*/20 1-3 * * *', '0 3 * * *', '59 1 * * *', '0 2 * * *', '15,45 0-4 * * *', '0 0 * * *'];
  const cases: [string, string][] = [['Europe/Berlin', '2026-03-29T01:00:00Z'], ['Europe/Berlin', '2026-10-25T01:00:00Z'], ['America/New_York', '2026-03-08T07:00:00Z'], ['America/New_York', '2026-11-01T06:00:00Z'], ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'], ['America/Santiago', '2026-04-05T03:00:00Z'], ['Asia/Shanghai', '2026-03-29T01:00:00Z']];
  let n = 0, bad = 0;
  const t0 = performance.now();
  for (const [tz, tr] of cases) for (const cron of crons) for (const duration of ['30m', '2h', '90m']) {
    const T = Date.parse(tr);
    const ms = parseDuration(duration);
    const it = CronExpressionParser.parse(cron, { currentDate: new Date(T - 2 * 86400e3), tz });
    const fires: number[] = []; if (process.env.V) console.log(tz, cron, duration);
    try { for (;;) { const d = it.next().getTime(); if (d > T + 2 * 86400e3) break; fires.push(d); } } catch (e) { console.log('REF FAIL', tz, cron, duration, (e as Error).message); continue; }
    for (let now = T - 5 * 3600e3; now <= T + 5 * 3600e3; now += 7 * 60e3) {
      n++;
      const last = fires.filter((f) => f <= now).at(-1);
      const exp = last !== undefined && last + ms > now ? { reason: 'r', since: new Date(last), until: new Date(last + ms) } : null;
      const nxt = fires.find((f) => f > now)!;
      const f = { cron, duration, timezone: tz, reason: 'r' };
      let got, gotN;
      try { got = activeFreeze([f], new Date(now)); gotN = nextFreeze([f], new Date(now)); } catch (e) { bad++; console.log('THROW', tz, cron, duration, new Date(now).toISOString(), (e as Error).message); continue; }
      if (JSON.stringify(got) !== JSON.stringify(exp) || gotN?.since.getTime() !== nxt) {
        bad++;
        if (bad < 20) console.log(tz, cron, duration, new Date(now).toISOString(), 'got', JSON.stringify(got), gotN?.since.toISOString(), 'exp', JSON.stringify(exp), new Date(nxt).toISOString());
      }
    }
  }
  console.log('checked', n, 'bad', bad, 'ms/call', (performance.now() - t0) / n / 2);
  expect(bad).toBe(0);
}, 600000);
