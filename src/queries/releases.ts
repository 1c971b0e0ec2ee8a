import type { QueryDeps } from './deps.js';

/** One built release as /releases and the dashboard list it. */
export interface ReleaseRow {
  version: string;
  builtAt: string;
  commit?: string;
  images: { name: string; repository: string; tag: string; digest?: string }[];
  blocked?: { by: string; reason: string; at: string };
}

/** The newest `limit` built releases of an app, newest first, with their block marks. */
export async function releasesOf(d: Pick<QueryDeps, 'releases'>, app: string, limit = 20): Promise<ReleaseRow[]> {
  const [list, blocked] = await Promise.all([d.releases.list(app, limit), d.releases.allBlocked(app)]);
  return list.map((r) => {
    const row: ReleaseRow = {
      version: r.version,
      builtAt: r.builtAt,
      images: Object.entries(r.images).map(([name, i]) => ({ name, repository: i.repository, tag: i.tag, ...(i.digest ? { digest: i.digest } : {}) })),
    };
    if (r.commit) row.commit = r.commit;
    const mark = Object.hasOwn(blocked, r.version) ? blocked[r.version] : undefined;
    if (mark) row.blocked = { by: mark.by, reason: mark.reason, at: mark.at };
    return row;
  });
}
