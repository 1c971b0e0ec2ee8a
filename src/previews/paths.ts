import path from 'node:path';
import type { Previews } from '../config/preview-schema.js';

/** Where the previews of one app live: `dir` holds them, `match` picks theirs out of it by name. */
export interface PreviewPlace {
  /** the directory that holds the app's previews, e.g. previews */
  parent: string;
  /** a preview's directory name → its pull-request number */
  number(name: string): number | undefined;
  /** the directory of pull request `pr`'s preview */
  dirOf(pr: number): string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The app's preview directories, from its `path` pattern (the schema put `${pr}` in its last segment). */
export function previewPlace(app: string, p: Pick<Previews, 'path'>): PreviewPlace {
  const pattern = p.path.replaceAll('${app}', app).replace(/\/+$/, '');
  const parent = path.posix.dirname(pattern);
  const last = path.posix.basename(pattern);
  const re = new RegExp(`^${last.split('${pr}').map(escape).join('([1-9][0-9]{0,9})')}$`);
  return {
    parent: parent === '.' ? '' : parent,
    number(name) {
      const m = re.exec(name);
      // a pattern with ${pr} twice names one number twice
      const nums = new Set(m?.slice(1));
      return m && nums.size === 1 ? Number(m[1]) : undefined;
    },
    dirOf: (pr) => pattern.replaceAll('${pr}', String(pr)),
  };
}
