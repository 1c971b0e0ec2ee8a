import { Gauge, type Registry } from 'prom-client';
import type { DeliveryRow, DeliveryStats, Spread } from '../queries/stats.js';

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
export function registerDeliveryGauges(
  registry: Registry,
  read: () => Promise<DeliveryStats>,
  failed: (err: unknown) => void,
  now: () => number = Date.now,
): void {
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
  const quantiles = (g: Gauge<Labels | 'quantile'>, row: DeliveryRow, spread: Spread) => {
    if (spread.p50 !== undefined) g.set({ ...where(row), quantile: '0.5' }, spread.p50 / 1000);
    if (spread.p90 !== undefined) g.set({ ...where(row), quantile: '0.9' }, spread.p90 / 1000);
  };
  const labels: Labels[] = ['app', 'env'];
  const withQuantile: (Labels | 'quantile')[] = ['app', 'env', 'quantile'];
  gauge('gantry_deployments_30d', 'Followed deploys that went live in the last 30 days (rollbacks included)', labels, (g, row) => {
    g.set(where(row), row.deploys);
  });
  gauge('gantry_lead_time_seconds', 'Lead time for changes, last 30 days: change to live, median and 90th percentile', withQuantile, (g, row) => {
    quantiles(g, row, row.leadTime);
  });
  gauge(
    'gantry_change_failure_ratio',
    'Deploys of the last 30 days that went degraded, failed or timed out, or were rolled back, over those that ended',
    labels,
    (g, row) => {
      if (row.changeFailure.ratio !== undefined) g.set(where(row), row.changeFailure.ratio);
    },
  );
  gauge('gantry_time_to_restore_seconds', 'Failures of the last 30 days: time until live again, median and 90th percentile', withQuantile, (g, row) => {
    quantiles(g, row, row.restore);
  });
  gauge('gantry_failures_unrestored', 'Failures of the last 30 days after which the app is not live again yet', labels, (g, row) => {
    g.set(where(row), row.restore.open);
  });
}
