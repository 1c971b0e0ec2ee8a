import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Previews } from '../config/preview-schema.js';
import { GantryError } from '../domain/errors.js';
import { own } from '../domain/own.js';
import type { GitRepo } from '../gitops/git.js';
import { msg } from '../i18n/voice.js';
import { trailer } from './commit-message.js';
import { previewPlace } from './paths.js';

/** A preview as the deploy repo shows it: its directory and what the commit that last changed it says. */
export interface PreviewEntry {
  app: string;
  pr: number;
  dir: string;
  url: string;
  updatedAt: string;
  version?: string;
  image?: string;
}

export function previewUrl(p: Pick<Previews, 'host'>, app: string, pr: number): string {
  return `https://${p.host.replaceAll('${app}', app).replaceAll('${pr}', String(pr))}/`;
}

/** The app's previews config; refused with a clear error when it has none. */
export function previewsOf(config: Config, app: string): Previews {
  const p = own(config.apps, app)?.previews;
  if (!p) throw new GantryError('INPUT_INVALID', msg('error.previews.none', { app }));
  return p;
}

/**
 * The app's previews on the deploy branch at `rev`, read from git alone (the tree and each
 * directory's last commit), so whoever wrote them, the list is what Argo CD or Flux sees.
 */
export async function listPreviews(d: { config: Config; repo: GitRepo }, app: string, rev: string): Promise<PreviewEntry[]> {
  const p = previewsOf(d.config, app);
  const place = previewPlace(app, p);
  const raw = await d.repo.bytes(['ls-tree', '-d', '-z', '--name-only', rev, '--', place.parent ? `${place.parent}/` : '.'], 'git ls-tree');
  const out: PreviewEntry[] = [];
  for (const full of raw.toString('utf8').split('\0')) {
    const pr = place.number(path.posix.basename(full));
    if (pr === undefined || full !== place.dirOf(pr)) continue;
    const [last] = await d.repo.log({ max: 1, paths: [full], range: rev });
    if (!last) continue;
    const version = trailer(last.message, 'Version');
    const image = trailer(last.message, 'Image');
    out.push({ app, pr, dir: full, url: previewUrl(p, app, pr), updatedAt: last.date, ...(version ? { version } : {}), ...(image ? { image } : {}) });
  }
  return out.sort((a, b) => a.pr - b.pr);
}
