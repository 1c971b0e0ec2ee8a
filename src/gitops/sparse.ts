import path from 'node:path/posix';
import type { Config } from '../config/schema.js';
import { trackedPaths } from './bluegreen/target.js';

/**
 * The directories of the deploy repo gantry edits, for the warm clone's sparse checkout (cone
 * mode): the directory of every app's deploy files in every environment (blue-green colours and
 * traffic files too), preview templates, and the directory previews are written into. Files at the
 * root need nothing: a cone always holds the root's own files. Sorted, without duplicates or
 * directories already inside another one, so the same config always gives the same set.
 */
export function sparseDirsOf(config: Pick<Config, 'apps'>): string[] {
  const dirs = new Set<string>();
  const add = (dir: string) => {
    const clean = path.normalize(dir).replace(/\/+$/, '');
    if (clean !== '.' && clean !== '') dirs.add(clean);
  };
  for (const [app, appCfg] of Object.entries(config.apps)) {
    for (const target of Object.values(appCfg.deploy)) for (const file of trackedPaths(target)) add(path.dirname(file));
    const previews = appCfg.previews;
    if (previews) {
      add(previews.template);
      // ${pr} is in the last segment only (the schema checks it): its parent holds every preview of the app
      add(path.dirname(previews.path.replace(/\/+$/, '').replaceAll('${app}', app)));
    }
  }
  const sorted = [...dirs].sort();
  return sorted.filter((d) => !sorted.some((o) => o !== d && d.startsWith(`${o}/`)));
}
