import type { Reply } from '../../src/commands/replies.js';
import type { DeployResult } from '../../src/domain/deploy.js';
import type { ErrorCode } from '../../src/domain/errors.js';
import { Voice, type Message } from '../../src/i18n/voice.js';
import type { ApprovalView } from '../../src/queries/approvals.js';
import { PLAIN } from '../../src/render/markup.js';
import { replyText } from '../../src/render/reply-text.js';

/** A reply with what a shell user reads of it in English (UTC), for assertions on the text. */
export type Said = Reply & { text: string; code?: ErrorCode; result?: DeployResult; approval?: ApprovalView };

export const ENGLISH = new Voice('en', 'UTC');

export function said(reply: Reply): Said {
  return { ...reply, text: replyText(reply, ENGLISH, PLAIN).lines.join('\n') } as Said;
}

/** A progress message as the shell prints it. */
export function progressText(m: Message): string {
  return ENGLISH.say(m);
}
