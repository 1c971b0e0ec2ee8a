import type { DeployResult } from '../domain/deploy.js';
import type { BundleResult } from '../domain/bundle.js';
import type { ErrorCode } from '../domain/errors.js';
import type { Message } from '../i18n/voice.js';
import type { ApprovalView } from '../queries/approvals.js';
import type { EnvStatus } from '../queries/status.js';
import type { HistoryEntry } from '../queries/history.js';
import type { ReleaseRow } from '../queries/releases.js';
import type { PreviewEntry } from '../previews/list.js';
import type { DeliveryStats } from '../queries/stats.js';
import type { CommandName } from './grammar.js';

/**
 * What a command answers, as data. Every face renders it with a renderer of its own (shell text,
 * Slack blocks, DingTalk markdown, e-mail); nothing parses a reply's text, and a reply is
 * translated when it is rendered, for the person reading it.
 */
export type Reply = Answer | Refusal;

/** Fields every reply has: the command that answered (absent when the line named none). */
interface Base {
  command?: CommandName;
}

export type Answer = Base & { ok: true } & AnswerBody;

export type AnswerBody =
  /** a commit (or a pull request) was made; `approval` when it went through one */
  | { kind: 'deployed'; result: DeployResult; resolved?: Resolved; approvedBy?: string[]; approval?: ApprovalView; commitUrl?: string }
  | { kind: 'approval-requested'; approval: ApprovalView; resolved?: Resolved }
  /** one commit moved every app of a bundle; `approval` when it went through one */
  | { kind: 'bundle-deployed'; result: BundleResult; approvedBy?: string[]; approval?: ApprovalView; commitUrl?: string }
  /** a vote was counted and more are needed */
  | { kind: 'approval-voted'; approval: ApprovalView; by: string; remaining: number }
  | { kind: 'approval-denied'; approval: ApprovalView; by: string; reason: string }
  | { kind: 'status'; envs: EnvStatus[] }
  | { kind: 'history'; app: string; env: string; entries: HistoryEntry[] }
  | { kind: 'releases'; app: string; releases: ReleaseRow[] }
  /** `/previews`: the app's preview environments as the deploy branch has them */
  | { kind: 'previews'; app: string; previews: PreviewEntry[] }
  | { kind: 'diff'; app: string; envA: string; envB: string; images: DiffRow[] }
  /** delivery metrics of `apps` in `envs` over the `period` (ms) before `stats.to` */
  | { kind: 'stats'; apps: string[]; envs: string[]; period: number; stats: DeliveryStats }
  /** `/verify`: the checks are queued; the result follows where the command was asked (`requestId`) */
  | { kind: 'verifying'; app: string; env: string; version: string; checks: number; requestId: string }
  | { kind: 'locked'; env: string; by: string; reason: string }
  /** `was` absent: it was not locked */
  | { kind: 'unlocked'; env: string; by: string; was?: { by: string; reason: string } }
  | { kind: 'blocked'; app: string; version: string; by: string; reason: string }
  /** `changed` false: it was not blocked */
  | { kind: 'unblocked'; app: string; version: string; by: string; changed: boolean }
  /** `topic` absent: every command */
  | { kind: 'help'; topic?: CommandName }
  /** `/gantry login`: a one-time web sign-in link for the asker alone (faces deliver it privately) */
  | { kind: 'login-link'; url: string; expiresAt: string };

export type AnswerKind = AnswerBody['kind'];

/** The request whose outcome is told later where this reply was given (its rollout, its verification). */
export function followedRequest(reply: Reply): string | undefined {
  if (!reply.ok) return undefined;
  if (reply.kind === 'deployed' || reply.kind === 'bundle-deployed') return reply.result.requestId;
  return reply.kind === 'verifying' ? reply.requestId : undefined;
}

/** `/promote web v1.2 prod`: what the query resolved to, when it was not the exact version. */
export interface Resolved {
  query: string;
  version: string;
}

export interface DiffRow {
  image: string;
  a?: string;
  b?: string;
}

/**
 * A command that did nothing, and why. `usage` names the command whose usage line goes with it
 * (a malformed command); `message` is what was wrong, in any language.
 */
export type Refusal = Base & { ok: false; kind: 'refused'; code: ErrorCode; message: Message; usage?: CommandName };

export type ReplyKind = Reply['kind'];

export type ReplyOf<K extends ReplyKind> = Extract<Reply, { kind: K }>;

/** A reply's own fields, without `ok` and `command`: what a renderer of one kind reads. */
export type BodyOf<K extends AnswerKind> = Extract<AnswerBody, { kind: K }>;
