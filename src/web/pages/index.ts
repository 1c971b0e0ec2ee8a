import type { Route } from '../../http/server.js';
import { OverviewModel } from '../../queries/overview.js';
import type { WebDeps } from '../deps.js';
import type { WebAccess } from '../viewer.js';
import { answerApproval, approvalsPage } from './approvals.js';
import { historyPage } from './history.js';
import { overviewBody } from './overview.js';
import { releasePage } from './release.js';
import { sendPage } from './common.js';

/**
 * The dashboard: overview (`/`), approvals, history and release pages. Each reads through
 * `access.reader` first; the one action (answering an approval) goes through `access.actor`,
 * which checks the form's CSRF token, and then runs the chat command.
 */
export function pageRoutes(deps: WebDeps, access: WebAccess): Route[] {
  // one per web process: it keeps the matrix of the deploy branch's last commit
  const overview = new OverviewModel(deps.services.queries);
  // read the matrix now, in the background: with many apps the first reading takes seconds of
  // git, which the first person to open the dashboard should not wait for
  overview.read().catch((err: unknown) => deps.log.info({ err: err instanceof Error ? err.message : String(err) }, 'overview not read ahead'));
  return [
    {
      method: 'GET',
      path: '/',
      handler: async (req, res) => {
        const viewer = await access.reader(req, res);
        if (!viewer) return;
        const o = await overview.read();
        sendPage(res, viewer, { title: viewer.voice.t('web.overview.title'), section: 'overview', body: overviewBody(viewer, deps.services.config, o) });
      },
    },
    { method: 'GET', path: '/approvals', handler: (req, res) => approvalsPage(deps, access, req, res) },
    { method: 'POST', path: '/approvals/*', handler: (req, res) => answerApproval(deps, access, req, res) },
    { method: 'GET', path: '/history', handler: (req, res) => historyPage(deps, access, req, res) },
    { method: 'GET', path: '/releases/*', handler: (req, res) => releasePage(deps, access, req, res) },
  ];
}
