import type { Config } from '../../config/schema.js';
import { compareVersions, parseVersion } from '../../domain/version.js';
import { commitUrl } from '../../queries/links.js';
import type { Overview, OverviewCell, OverviewEnv } from '../../queries/overview.js';
import { html, trusted, type Html } from '../html.js';
import { blueGreenStatusLine } from '../../render/bluegreen-text.js';
import type { Viewer } from '../viewer.js';
import { badge, commitLink, say, WEB_MARKUP } from './common.js';

/** `GET /`: every app × environment, environments in promotion order, lag marked against the column before. */
export function overviewBody(viewer: Viewer, config: Config, o: Overview): Html {
  const v = viewer.voice;
  if (o.apps.length === 0) return html`<p>${v.t('web.overview.no-apps')}</p>`;
  const notes = o.envs.filter((e) => e.lock || e.freeze);
  // the column heads carry locks and freezes; a phone shows no column heads, so it lists them here
  return html`<p class="lead">${v.t('web.overview.lead')}</p>
${notes.length ? html`<ul class="plain env-notes">${notes.map((e) => html`<li><strong>${e.env}</strong> ${envBadges(viewer, e)}</li>`)}</ul>` : ''}
<div class="table-scroll" role="region" aria-label="${v.t('web.overview.matrix')}" tabindex="0">
<table class="matrix stack">
<thead><tr><th scope="col">${v.t('web.overview.app')}</th>${o.envs.map((e) => html`<th scope="col">${envHead(viewer, e)}</th>`)}</tr></thead>
<tbody>
${o.apps.map(
  (a) => html`<tr><th scope="row"><a href="/history?app=${a.app}">${a.app}</a></th>${a.cells.map((c, i) => html`<td data-label="${o.envs[i]!.env}">${c ? cell(viewer, config, a.app, c, previous(a.cells, i)) : html`<span class="muted">${v.t('web.overview.not-deployed')}</span>`}</td>`)}</tr>
`,
)}
</tbody>
</table>
</div>`;
}

function envHead(viewer: Viewer, e: OverviewEnv): Html {
  const v = viewer.voice;
  return html`<a href="/history?env=${e.env}">${e.env}</a>
${envBadges(viewer, e, html`<br>`)}`;
}

function envBadges(viewer: Viewer, e: OverviewEnv, before: Html | string = ''): Html {
  const v = viewer.voice;
  return html`${e.lock ? html`${before}${badge('lock', say(viewer, 'web.badge.locked', { by: e.lock.by, reason: e.lock.reason }))}` : ''}
${e.freeze ? html`${before}${badge('freeze', say(viewer, 'web.badge.frozen', { until: v.time(e.freeze.until), reason: e.freeze.reason }))}` : ''}`;
}

/** The nearest environment to the left where the app runs something: what "behind" is measured against. */
function previous(cells: readonly (OverviewCell | undefined)[], i: number): OverviewCell | undefined {
  for (let j = i - 1; j >= 0; j--) if (cells[j]?.version !== undefined) return cells[j];
  return undefined;
}

function cell(viewer: Viewer, config: Config, app: string, c: OverviewCell, prev: OverviewCell | undefined): Html {
  const v = viewer.voice;
  if (c.error !== undefined) return html`<span class="badge badge-bad">${v.t('web.overview.unreadable')}</span> <span class="small">${c.error}</span>`;
  const version = c.version === undefined ? html`<span class="muted">${v.t('web.overview.no-version')}</span>` : html`<a class="version" href="/releases/${app}/${c.version}">${c.version}</a>`;
  const last = c.last;
  return html`<div class="cell">${version} ${lag(viewer, c, prev)}
${last ? html`<div class="small">${commitLink(last.sha, commitUrl(config, last.sha))} · ${say(viewer, 'web.overview.deployed-by', { by: last.by, when: v.time(last.date) })}${last.approvedBy.length ? html` · ${say(viewer, 'web.overview.approved-by', { by: v.list(last.approvedBy) })}` : ''}</div>` : ''}
${c.blueGreen ? html`<div class="small colours">${trusted(blueGreenStatusLine(c.blueGreen, v, WEB_MARKUP))}</div>` : ''}
<div class="badges">${c.held ? badge('hold', v.t('web.badge.held')) : ''}${c.rollout ? badge(`rollout-${c.rollout.state}`, v.t(`web.rollout.${c.rollout.state}`), c.rollout.message) : ''}${c.pending.map((a) => html`<a class="badge badge-pending" href="/approvals#approval-${a.id}">${say(viewer, 'web.badge.pending', { id: a.id, version: a.to ?? '' })}</a>`)}</div></div>`;
}

function lag(viewer: Viewer, c: OverviewCell, prev: OverviewCell | undefined): Html | string {
  if (!prev || c.version === undefined || prev.version === undefined || prev.version === c.version) return '';
  // only semver versions have an order; `main-1a2b3c4` just differs
  const order = parseVersion(c.version) && parseVersion(prev.version) ? compareVersions(c.version, prev.version) : 0;
  if (order < 0) return badge('behind', say(viewer, 'web.lag.behind', { env: prev.env, version: prev.version }));
  if (order > 0) return badge('ahead', say(viewer, 'web.lag.ahead', { env: prev.env, version: prev.version }));
  return badge('differs', say(viewer, 'web.lag.differs', { env: prev.env, version: prev.version }));
}
