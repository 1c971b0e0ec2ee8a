import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, ROOT } from './harness.js';
import { tempDir } from './env.js';

/** Where the blue-green fixtures (both colours' manifests, an HTTPRoute, a Service) go in the deploy repo. */
export const BG_DIR = 'apps/web/prod-bg';
export const BLUE = `${BG_DIR}/web-blue.yaml`;
export const GREEN = `${BG_DIR}/web-green.yaml`;
export const ROUTE = `${BG_DIR}/route.yaml`;
export const SERVICE = `${BG_DIR}/service.yaml`;

/** The example deploy repo plus web's blue-green prod files (test/fixtures/bluegreen), as a seed directory. */
export function blueGreenSeed(name: string): { dir: string; remove(): void } {
  const tmp = tempDir(`${name}-seed`);
  cpSync(EXAMPLES, tmp.dir, { recursive: true });
  mkdirSync(path.join(tmp.dir, BG_DIR), { recursive: true });
  cpSync(path.join(ROOT, 'test', 'fixtures', 'bluegreen'), path.join(tmp.dir, BG_DIR), { recursive: true });
  return tmp;
}

/**
 * web in prod deployed blue-green, the traffic split by the HTTPRoute (or the Service selector),
 * without prod's promotion order and approvals unless a test puts them back.
 */
export function blueGreenProd(data: Record<string, any>, traffic: 'httproute' | 'service' = 'httproute'): void {
  data.apps.web.deploy.prod = {
    strategy: 'blueGreen',
    blue: [{ file: BLUE, format: 'kubernetes' }],
    green: [{ file: GREEN, format: 'kubernetes' }],
    traffic: traffic === 'httproute' ? { file: ROUTE, format: 'httproute', blue: 'web-blue', green: 'web-green' } : { file: SERVICE, format: 'service' },
  };
  delete data.environments.prod.from;
  delete data.environments.prod.approvals;
}
