import { configPersons, voterOf } from '../approvals/rules.js';
import { matchesAny } from '../domain/identity.js';
import { approvalView, type ApprovalView } from './approvals.js';
import type { QueryDeps } from './deps.js';

/**
 * The open approval requests `identity` may vote on now, nearest deadline first: it is named an
 * approver, did not ask, and has not voted. By person, as the votes themselves are counted
 * (src/approvals/rules.ts): alice's DingTalk request is not offered to alice on Slack, and her vote
 * from the shell takes it off her Slack list. A request past its deadline waits only for the sweep.
 */
export async function approvalsFor(
  d: Pick<QueryDeps, 'config' | 'releases' | 'approvals' | 'now'>,
  identity: string,
): Promise<ApprovalView[]> {
  const persons = configPersons(d.config);
  const me = persons(identity);
  const user = Object.hasOwn(d.config.users, me) ? me : undefined;
  const now = d.now().getTime();
  const open = (await d.approvals.pending()).filter(
    (a) =>
      Date.parse(a.deadline) > now &&
      persons(a.request.requestedBy.id) !== me &&
      !a.votes.some((v) => voterOf(v, persons) === me) &&
      matchesAny(d.config, a.approvers, identity, user),
  );
  open.sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
  return Promise.all(open.map((a) => approvalView(d, a)));
}
