import type { Config } from '../config/schema.js';
import { displayName } from '../domain/identity.js';
import type { Approval } from '../approvals/store.js';
import type { QueryDeps } from './deps.js';
import { commitUrl } from './links.js';

/**
 * What every face shows about an approval request (Slack blocks, DingTalk ActionCard, e-mail,
 * the shell): versions, changed lines, the commit range with a compare link, the build's check,
 * who asked, who may approve, the deadline and the votes so far. Names are config users'.
 */
export interface ApprovalView {
  id: string;
  status: Approval['status'];
  action: 'promote' | 'rollback' | 'auto' | 'shift';
  app: string;
  env: string;
  from?: string;
  /** absent: a rollback to the previous release, resolved when it runs */
  to?: string;
  changes: { file: string; line: number; before: string; after: string }[];
  compareUrl?: string;
  checkUrl?: string;
  requestedBy: string;
  approvers: string[];
  required: number;
  votes: string[];
  createdAt: string;
  deadline: string;
  denied?: { by: string; reason: string };
  result?: { commit?: string; commitUrl?: string; error?: string };
  /** a bundle: every app it moves, one approval for all (`changes` holds every app's lines) */
  bundle?: { name: string; apps: { app: string; from?: string; to: string }[] };
}

export async function approvalView(d: Pick<QueryDeps, 'config' | 'releases'>, a: Approval): Promise<ApprovalView> {
  const r = a.request;
  const from = a.preview.previousVersion;
  const [toRel, fromRel] = await Promise.all([r.version ? d.releases.get(r.app, r.version) : undefined, from ? d.releases.get(r.app, from) : undefined]);
  const source = d.config.apps[r.app]?.source;
  const name = (id: string) => displayName(d.config, id);
  const view: ApprovalView = {
    id: a.id,
    status: a.status,
    action: r.action,
    app: r.app,
    env: r.env,
    changes: a.preview.changes.map((c) => ({ file: c.file, line: c.line, before: c.before, after: c.after })),
    requestedBy: name(r.requestedBy.id),
    approvers: a.approvers,
    required: a.required,
    votes: a.votes.map((v) => name(v.actor.id)),
    createdAt: a.createdAt,
    deadline: a.deadline,
  };
  if (r.version) view.to = r.version;
  if (from) view.from = from;
  if (source && fromRel?.commit && toRel?.commit) view.compareUrl = `https://github.com/${source}/compare/${fromRel.commit}...${toRel.commit}`;
  if (toRel?.url) view.checkUrl = toRel.url;
  if (a.denied) view.denied = { by: name(a.denied.actor.id), reason: a.denied.reason };
  if (a.result) view.result = withCommitUrl(d.config, a.result);
  if (a.bundle) {
    const apps = a.bundle.apps.map((x) => ({ app: x.app, to: x.version, ...(x.previousVersion ? { from: x.previousVersion } : {}) }));
    view.bundle = { name: a.bundle.name, apps };
  }
  return view;
}

function withCommitUrl(config: Config, result: NonNullable<Approval['result']>): NonNullable<ApprovalView['result']> {
  const out: NonNullable<ApprovalView['result']> = { ...result };
  const url = result.commit ? commitUrl(config, result.commit) : undefined;
  if (url) out.commitUrl = url;
  return out;
}

/** Every approval request still waiting for votes, the nearest deadline first, as every face shows them (a dashboard, App Home). */
export async function pendingApprovals(d: Pick<QueryDeps, 'config' | 'releases' | 'approvals'>): Promise<ApprovalView[]> {
  const open = await d.approvals.pending();
  return Promise.all(open.map((a) => approvalView(d, a)));
}
