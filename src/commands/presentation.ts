import type { Config } from '../config/schema.js';
import type { Approval } from '../approvals/store.js';
import type { Core } from './context.js';

/**
 * What every platform shows about an approval request (Slack blocks, DingTalk ActionCard,
 * e-mail): versions, changed lines, the commit range with a compare link, the build's check,
 * who asked, who may approve, the deadline and the votes so far.
 */
export interface ApprovalView {
  id: string;
  status: Approval['status'];
  action: string;
  app: string;
  env: string;
  from?: string;
  to: string;
  changes: { file: string; line: number; before: string; after: string }[];
  compareUrl?: string;
  checkUrl?: string;
  requestedBy: string;
  approvers: string[];
  required: number;
  votes: string[];
  deadline: string;
  denied?: { by: string; reason: string };
  result?: { commit?: string; commitUrl?: string; error?: string };
}

export async function approvalView(core: Core, a: Approval): Promise<ApprovalView> {
  const r = a.request;
  const to = r.version ?? '(previous release)';
  const from = a.preview.previousVersion;
  const [toRel, fromRel] = await Promise.all([core.releases.get(r.app, to), from ? core.releases.get(r.app, from) : undefined]);
  const source = core.config.apps[r.app]?.source;
  const view: ApprovalView = {
    id: a.id,
    status: a.status,
    action: r.action,
    app: r.app,
    env: r.env,
    to,
    changes: a.preview.changes,
    requestedBy: r.requestedBy.name ?? r.requestedBy.id,
    approvers: a.approvers,
    required: a.required,
    votes: a.votes.map((v) => v.actor.name ?? v.actor.id),
    deadline: a.deadline,
  };
  if (from) view.from = from;
  if (source && fromRel?.commit && toRel?.commit) view.compareUrl = `https://github.com/${source}/compare/${fromRel.commit}...${toRel.commit}`;
  if (toRel?.url) view.checkUrl = toRel.url;
  if (a.denied) view.denied = { by: a.denied.actor.name ?? a.denied.actor.id, reason: a.denied.reason };
  if (a.result) {
    view.result = { ...a.result };
    const url = a.result.commit ? commitUrl(core.config, a.result.commit) : undefined;
    if (url) view.result.commitUrl = url;
  }
  return view;
}

/** The web page of the deploy repo (config `deployRepo.webUrl`, or derived from an https URL). */
export function deployRepoWebUrl(config: Config): string | undefined {
  if (config.deployRepo.webUrl) return config.deployRepo.webUrl.replace(/\/$/, '');
  const m = /^https:\/\/(github\.com|gitlab\.com)\/(.+?)(\.git)?$/.exec(config.deployRepo.url);
  return m ? `https://${m[1]}/${m[2]}` : undefined;
}

export function commitUrl(config: Config, sha: string): string | undefined {
  const web = deployRepoWebUrl(config);
  return web ? `${web}/commit/${sha}` : undefined;
}
