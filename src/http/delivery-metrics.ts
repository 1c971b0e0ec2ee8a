import { Gauge, type Registry } from 'prom-client';
import type { DeliveryRow, DeliveryStats } from '../queries/stats.js';

/** Scrapes within this long of a computation reuse it: every scrape would otherwise read 30 days of deploys. */
export const DELIVERY_CACHE_MS = 30_000;

type Labels = 'app' | 'env';

/**
 * The four delivery measures over the last 30 days (src/queries/stats.ts), per app and
 * environment, computed when scraped and kept 30 s, so frequent or concurrent scrapes (several
 * Prometheus servers, several gauges of one scrape) read Redis once. A series is absent where
 * there is nothing to measure (no lead time sample, no deploy ended): Prometheus then shows no
 * data rather than a made-up 0. A failed read is reported once and the gauges are left empty.
 */
export function registerDeliveryGauges(registry: Registry, read: () => Promise<DeliveryStats>, failed: (err: unknown) => void, now: () => number = Date.now): void {
  let cached: { at: number; stats: Promise<DeliveryStats | undefined> } | undefined;
  const current = (): Promise<DeliveryStats | undefined> => {
    const t = now();
    if (cached && t - cached.at < DELIVERY_CACHE_MS) return cached.stats;
    const entry = {
      at: t,
      stats: read().catch((err: unknown) => {
        failed(err);
        // the next scrape tries again rather than serving the failure for 30 s
        if (cached === entry) cached = undefined;
        return undefined;
      }),
    };
    cached = entry;
    return entry.stats;
  };
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], set: (g: Gauge<L>, row: DeliveryRow) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        const stats = await current();
        for (const row of stats?.rows ?? []) set(this, row);
      },
    });
  const where = (row: DeliveryRow) => ({ app: row.app, env: row.env });
  gauge<Labels>('gantry_deployments_30d', 'Followed deploys that went live in the last 30 days (rollbacks included)', ['app', 'env'], (g, row) => g.set(where(row), row.deploys));
  gauge<Labels | 'quantile'>('gantry_lead_time_seconds', 'Lead time for changes over the last 30 days: release built to live, median and 90th percentile', ['app', 'env', 'quantile'], (g, row) => {
    if (row.leadTime.p50 !== undefined) g.set({ ...where(row), quantile: '0.5' }, row.leadTime.p50 / 1000);
    if (row.leadTime.p90 !== undefined) g.set({ ...where(row), quantile: '0.9' }, row.leadTime.p90 / 1000);
  });
  gauge<Labels>('gantry_change_failure_ratio', 'Deploys of the last 30 days that went degraded, failed or timed out, or were rolled back, over those that ended', ['app', 'env'], (g, row) => {
    if (row.changeFailure.ratio !== undefined) g.set(where(row), row.changeFailure.ratio);
  });
  gauge<Labels | 'quantile'>('gantry_time_to_restore_seconds', 'Failures of the last 30 days: time until the app was live again, median and 90th percentile', ['app', 'env', 'quantile'], (g, row) => {
    if (row.restore.p50 !== undefined) g.set({ ...where(row), quantile: '0.5' }, row.restore.p50 / 1000);
    if (row.restore.p90 !== undefined) g.set({ ...where(row), quantile: '0.9' }, row.restore.p90 / 1000);
  });
  gauge<Labels>('gantry_failures_unrestored', 'Failures of the last 30 days after which the app is not live again yet', ['app', 'env'], (g, row) => g.set(where(row), row.restore.open));
}
