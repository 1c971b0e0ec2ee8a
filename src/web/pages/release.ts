import type { IncomingMessage, ServerResponse } from 'node:http';
import { GantryError } from '../../domain/errors.js';
import { formatImageRef } from '../../domain/image-ref.js';
import { validateVersion } from '../../domain/version.js';
import { deployEntry, type DeployEntry } from '../../queries/entry.js';
import { commitUrl } from '../../queries/links.js';
import type { WebDeps } from '../deps.js';
import { html, type Html } from '../html.js';
import type { Viewer, WebAccess } from '../viewer.js';
import { commitLink, isOwn, notFound, say, segmentsAfter, sendPage, webLink } from './common.js';

/** How far back each environment's history is read for where a release ran (as rollback targets are). */
const DEPTH = 500;

interface Where {
  env: string;
  /** runs there now */
  current: boolean;
  /** the changes that brought it there, newest first */
  arrivals: DeployEntry[];
}

/** `GET /releases/<app>/<version>`: what the release is, and where and when it has run. */
export async function releasePage(deps: WebDeps, access: WebAccess, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const viewer = await access.reader(req, res);
  if (!viewer) return;
  const [app = '', version = '', ...rest] = segmentsAfter(req, '/releases/') ?? [];
  const { config, queries } = deps.services;
  if (!isOwn(config.apps, app)) return notFound(res, viewer, 'web.not-found.app', app);
  if (rest.length > 0 || !validVersion(version)) return notFound(res, viewer, 'web.not-found.release', `${app} ${[version, ...rest].join('/')}`);
  await queries.repo.refreshIfOlder(queries.readFreshnessMs);
  const release = await queries.releases.get(app, version);
  const where: Where[] = [];
  for (const env of Object.keys(config.environments)) {
    if (!Object.hasOwn(config.apps[app]!.deploy, env)) continue;
    const t = await queries.deployer.timeline(app, env, DEPTH);
    if (!t.hasRun(version)) continue;
    const arrivals = t.changes.filter((c) => c.after.version === version && c.before.version !== version).map((c) => deployEntry(config, c)).reverse();
    where.push({ env, current: t.current.version === version, arrivals });
  }
  if (!release && where.length === 0) return notFound(res, viewer, 'web.not-found.release', `${app} ${version}`);
  const v = viewer.voice;
  const body = html`${release ? html`<dl class="fields">
<dt>${v.t('web.release.built')}</dt><dd>${v.time(release.builtAt)}${release.url ? html` · ${webLink(release.url, v.t('web.release.check-run'))}` : ''}</dd>
${release.commit ? html`<dt>${v.t('web.release.source')}</dt><dd><code>${release.commit}</code></dd>` : ''}
${Object.entries(release.images).map(([name, img]) => html`<dt>${say(viewer, 'web.release.image', { name })}</dt><dd><code class="wrap">${formatImageRef(img)}</code></dd>`)}
</dl>` : html`<p class="notice">${v.t('web.release.not-registered')}</p>`}
<h2>${v.t('web.release.where')}</h2>
${where.length === 0 ? html`<p>${v.t('web.release.nowhere')}</p>` : whereTable(viewer, deps, app, where)}`;
  sendPage(res, viewer, { title: `${app} ${version}`, section: 'history', body });
}

function validVersion(version: string): boolean {
  try {
    validateVersion(version);
    return true;
  } catch (e) {
    if (e instanceof GantryError) return false;
    throw e;
  }
}

function whereTable(viewer: Viewer, deps: WebDeps, app: string, where: Where[]): Html {
  const v = viewer.voice;
  const { config } = deps.services;
  return html`<div class="table-scroll" role="region" aria-label="${v.t('web.release.where')}" tabindex="0"><table class="list">
<thead><tr><th scope="col">${v.t('web.history.env')}</th><th scope="col">${v.t('web.release.now')}</th><th scope="col">${v.t('web.release.arrived')}</th></tr></thead>
<tbody>${where.map(
    (w) => html`<tr><th scope="row"><a href="/history?env=${w.env}&amp;app=${app}">${w.env}</a></th>
<td>${w.current ? v.t('web.release.runs-now') : v.t('web.release.ran-before')}</td>
<td>${w.arrivals.length ? html`<ul class="plain">${w.arrivals.map((a) => html`<li>${v.time(a.date)} · ${say(viewer, 'web.release.by', { by: a.by })} ${commitLink(a.sha, commitUrl(config, a.sha))}</li>`)}</ul>` : html`<span class="muted">${v.t('web.release.before-history')}</span>`}</td></tr>`,
  )}</tbody></table></div>`;
}
