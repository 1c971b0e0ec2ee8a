import { shortSha } from '../../domain/sha.js';
import type { BuildLogMeta, LogEntry } from '../../images/build-log.js';
import type { Voice } from '../../i18n/voice.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import type { Viewer } from '../viewer.js';

/**
 * The build pages, server-rendered: everything reads without JavaScript. A running build's page
 * also loads assets/live-log.js, which appends the lines that follow (server-sent events) to the
 * same <pre>. Styles are assets/build-log.css (the CSP allows no inline style).
 */

/** the build pages' own styles, after gantry.css */
const STYLES = ['build-log.css'];
const STATES = new Set(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

type Meta = BuildLogMeta & { attempts?: string };

function stateBadge(v: Voice, state: string | undefined): Html {
  const s = state && STATES.has(state) ? state : 'running';
  return html`<span class="build-state build-state-${s}">${v.t(`build-log.state.${s}` as 'build-log.state.running')}</span>`;
}

function duration(v: Voice, m: Meta): string | undefined {
  if (!m.startedAt || !m.finishedAt) return undefined;
  const ms = Date.parse(m.finishedAt) - Date.parse(m.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? v.t('build-log.seconds', { s: (ms / 1000).toFixed(1) }) : undefined;
}

function row(label: string, value: Html | string | undefined): Html {
  return value === undefined || value === '' ? html`` : html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
}

/** A link only to GitHub's own https pages: the URL came from GitHub's API, but is checked anyway. */
function safeLink(url: string | undefined, text: string): Html | undefined {
  return url && /^https:\/\//.test(url) ? html`<a href="${url}" rel="noopener noreferrer">${text}</a>` : undefined;
}

/** The Dockerfile step docker printed for the failing step (`Step 5/7 : RUN …`). */
function isFailedStep(line: string, step: string | undefined): boolean {
  return step !== undefined && line.startsWith(`Step ${step}/`);
}

export function buildPage(viewer: Viewer, id: string, m: Meta, entries: readonly LogEntry[], o: { maxLines: number }): Html {
  const v = viewer.voice;
  const lines = entries.filter((e) => e.line !== undefined);
  const running = !m.state || m.state === 'running' || m.state === 'queued';
  const cut = Math.max(0, Number(m.lines ?? 0) - lines.length);
  const last = entries[entries.length - 1]?.id;
  const facts = html`<dl class="build-facts">
${row(v.t('build-log.field.state'), stateBadge(v, m.state))}
${row(v.t('build-log.field.trigger'), m.trigger)}
${row(v.t('build-log.field.commit'), html`<code title="${m.sha}">${shortSha(m.sha)}</code> ${m.repo}`)}
${row(v.t('build-log.field.queued'), m.queuedAt && !m.startedAt ? v.time(m.queuedAt) : undefined)}
${row(v.t('build-log.field.started'), m.startedAt ? v.time(m.startedAt) : undefined)}
${row(v.t('build-log.field.finished'), m.finishedAt ? v.time(m.finishedAt) : undefined)}
${row(v.t('build-log.field.duration'), duration(v, m))}
${row(v.t('build-log.field.image'), m.ref ? html`<code class="build-ref">${m.ref.split('@')[0]}</code>` : undefined)}
${row(v.t('build-log.field.digest'), m.digest ? html`<code class="build-ref">${m.digest}</code>` : undefined)}
${row(v.t('build-log.field.check-run'), safeLink(m.checkRunUrl, v.t('build-log.check-run.link')))}
</dl>`;
  const failure =
    m.state === 'failed' && m.message
      ? html`<section class="build-failure" aria-labelledby="why">
<h2 id="why">${v.t('build-log.failed.heading', { stage: m.stage ?? '' })}</h2>
${m.step && m.instruction ? html`<p><a href="#failed-step">${v.t('build-log.failed.step', { step: m.step, instruction: m.instruction })}</a></p>` : ''}
${m.dockerfileLine ? html`<p><mark class="dockerfile-line">${v.t('build-log.failed.line', { file: m.dockerfile, line: m.dockerfileLine })}</mark> <code>${m.instruction ?? ''}</code></p>` : ''}
<pre class="build-message">${m.message}</pre>
</section>`
      : html``;
  // the mark is a block: it ends its line itself
  const body = lines.map((e) =>
    m.state === 'failed' && isFailedStep(e.line!, m.step) ? html`<mark id="failed-step" class="failed-step">${e.line}</mark>` : html`${e.line}\n`,
  );
  const notes = [
    cut ? html`<p class="build-note">${v.t('build-log.log.cut', { count: cut, max: o.maxLines })}</p>` : '',
    Number(m.attempts ?? 1) > 1 ? html`<p class="build-note">${v.t('build-log.log.attempts', { count: Number(m.attempts) })}</p>` : '',
    running ? html`<p class="build-note" id="live-note">${v.t('build-log.log.live')}</p>` : '',
  ];
  const events = running ? html` data-events="/builds/${id}/events" data-after="${last ?? ''}"` : '';
  return layout(viewer, {
    title: v.t('build-log.title', { app: m.app, image: m.image, version: m.version }),
    section: 'builds',
    scripts: running ? ['live-log.js'] : [],
    styles: STYLES,
    body: html`${facts}${failure}
<section aria-labelledby="log-heading">
<h2 id="log-heading">${v.t('build-log.log.heading')}</h2>
${notes}
${lines.length || running ? '' : html`<p>${v.t('build-log.log.empty')}</p>`}
<pre id="build-log" class="build-log" tabindex="0"${events}>${body}</pre>
</section>`,
  });
}

export function buildListPage(viewer: Viewer, builds: readonly (Meta & { id: string })[], retention: string): Html {
  const v = viewer.voice;
  const rows = builds.map(
    (b) => html`<tr>
<td><a href="/builds/${b.id}">${b.app} / ${b.image}</a></td>
<td>${b.version}</td>
<td>${b.trigger}</td>
<td><code>${shortSha(b.sha)}</code></td>
<td>${stateBadge(v, b.state)}</td>
<td>${b.startedAt ? v.time(b.startedAt) : ''}</td>
</tr>`,
  );
  const head = html`<thead><tr><th scope="col">${v.t('build-log.field.app')}</th><th scope="col">${v.t('build-log.field.version')}</th><th scope="col">${v.t('build-log.field.trigger')}</th><th scope="col">${v.t('build-log.field.commit')}</th><th scope="col">${v.t('build-log.field.state')}</th><th scope="col">${v.t('build-log.field.started')}</th></tr></thead>`;
  return layout(viewer, {
    title: v.t('build-log.list.title'),
    section: 'builds',
    styles: STYLES,
    body: html`${builds.length ? html`<div class="table-wrap"><table class="builds">${head}<tbody>${rows}</tbody></table></div>` : html`<p>${v.t('build-log.list.empty', { retention })}</p>`}`,
  });
}

export function buildNotFoundPage(viewer: Viewer, retention: string): Html {
  const v = viewer.voice;
  return layout(viewer, { title: v.t('build-log.list.title'), section: 'builds', styles: STYLES, body: html`<p>${v.t('build-log.not-found', { retention })}</p><p><a href="/builds">${v.t('build-log.list.title')}</a></p>` });
}
