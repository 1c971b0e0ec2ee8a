import type { IncomingMessage, ServerResponse } from 'node:http';
import { historyOf, type HistoryEntry } from '../../queries/history.js';
import { commitUrl } from '../../queries/links.js';
import type { WebDeps } from '../deps.js';
import { html, type Html } from '../html.js';
import type { Viewer, WebAccess } from '../viewer.js';
import { badge, commitLink, isOwn, notFound, queryOf, say, sendPage } from './common.js';

/** Per app: the newest changes read; all apps together are cut to PAGE rows, newest first. */
const PER_APP = 30;
const PAGE = 100;

interface Row extends HistoryEntry {
  app: string;
}

/**
 * `GET /history?env=<env>&app=<app>`: an environment's deploy history from the deploy repo's
 * files and trailers (who, approved by, override reason, commit), all apps or one.
 */
export async function historyPage(deps: WebDeps, access: WebAccess, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const viewer = await access.reader(req, res);
  if (!viewer) return;
  const { config, queries } = deps.services;
  const q = queryOf(req);
  const envs = Object.keys(config.environments);
  const env = q.get('env') || envs[0];
  const app = q.get('app') || undefined;
  if (!isOwn(config.environments, env)) return notFound(res, viewer, 'web.not-found.env', env ?? '');
  if (app !== undefined && !isOwn(config.apps, app)) return notFound(res, viewer, 'web.not-found.app', app);
  const apps = (app ? [app] : Object.keys(config.apps)).filter((a) => Object.hasOwn(config.apps[a]!.deploy, env));
  const rows: Row[] = [];
  for (const a of apps) rows.push(...(await historyOf(queries, a, env, PER_APP)).map((e) => ({ ...e, app: a })));
  rows.sort((x, y) => Date.parse(y.date) - Date.parse(x.date));
  const v = viewer.voice;
  const title = app ? v.t('web.history.title-app', { env, app }) : v.t('web.history.title', { env });
  const body = html`${filters(viewer, envs, Object.keys(config.apps), env, app)}
${rows.length === 0 ? html`<p>${v.t('web.history.none')}</p>` : table(viewer, deps, env, rows.slice(0, PAGE))}`;
  sendPage(res, viewer, { title, section: 'history', body });
}

/** A GET form: works without JavaScript, and the URL says what is shown. */
function filters(viewer: Viewer, envs: string[], apps: string[], env: string, app: string | undefined): Html {
  const v = viewer.voice;
  const option = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/history" class="filters">
<label for="f-env">${v.t('web.history.env')}</label>
<select id="f-env" name="env">${envs.map((e) => option(e, e, e === env))}</select>
<label for="f-app">${v.t('web.history.app')}</label>
<select id="f-app" name="app">${option('', v.t('web.history.all-apps'), app === undefined)}${apps.map((a) => option(a, a, a === app))}</select>
<button type="submit">${v.t('web.history.show')}</button>
</form>`;
}

function table(viewer: Viewer, deps: WebDeps, env: string, rows: Row[]): Html {
  const v = viewer.voice;
  const { config } = deps.services;
  const th = (key: Parameters<typeof v.t>[0]) => html`<th scope="col">${v.t(key)}</th>`;
  return html`<div class="table-scroll" role="region" aria-label="${v.t('web.history.table')}" tabindex="0"><table class="list stack">
<thead><tr>${th('web.history.when')}${th('web.history.app')}${th('web.history.change')}${th('web.history.action')}${th('web.history.by')}${th('web.history.approved-by')}${th('web.history.commit')}</tr></thead>
<tbody>${rows.map(
    (r) => html`<tr>
<td data-label="${v.t('web.history.when')}">${v.time(r.date)}</td>
<td data-label="${v.t('web.history.app')}"><a href="/history?env=${env}&amp;app=${r.app}">${r.app}</a></td>
<td class="version-cell" data-label="${v.t('web.history.change')}">${r.from ? html`<a href="/releases/${r.app}/${r.from}">${r.from}</a> → ` : ''}${r.version ? html`<a href="/releases/${r.app}/${r.version}">${r.version}</a>` : html`<span class="muted">${v.t('web.overview.no-version')}</span>`}</td>
<td data-label="${v.t('web.history.action')}">${v.t(`web.action.${r.action}`)}${r.override ? html` ${badge('override', say(viewer, 'web.history.override', { reason: r.override }))}` : ''}</td>
<td data-label="${v.t('web.history.by')}">${r.by}</td>
<td data-label="${v.t('web.history.approved-by')}">${r.approvedBy.length ? v.list(r.approvedBy) : html`<span class="muted">—</span>`}</td>
<td data-label="${v.t('web.history.commit')}">${commitLink(r.sha, commitUrl(config, r.sha))}</td>
</tr>`,
  )}</tbody></table></div>`;
}
