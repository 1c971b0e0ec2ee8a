import { deployEntry, type DeployEntry } from './entry.js';
import type { QueryDeps } from './deps.js';

export type HistoryEntry = DeployEntry;

/** The newest `n` changes of an app's images in an environment, newest first, whoever made them. */
export async function historyOf(d: QueryDeps, app: string, env: string, n: number): Promise<HistoryEntry[]> {
  await d.repo.refreshIfOlder(d.readFreshnessMs);
  // a commit that touched the files without changing the images is no change; read a few more
  const changes = (await d.deployer.timeline(app, env, n * 3 + 10)).changes.slice(-n).reverse();
  return changes.map((c) => deployEntry(d.config, c));
}
