import type { Reply } from '../../commands/replies.js';
import type { Message, Voice } from '../../i18n/voice.js';
import { PLAIN } from '../../render/markup.js';
import { replyText } from '../../render/reply-text.js';

/** A reply as the shell prints it: plain lines; a refusal starts with `error [CODE]:`. */
export function shellText(reply: Reply, voice: Voice): string {
  const text = replyText(reply, voice, PLAIN).lines.join('\n');
  return reply.ok ? text : voice.t('refused.shell', { code: reply.code, text });
}

/** A progress message ("queued behind 2 other deployments to prod"). */
export function shellProgress(m: Message, voice: Voice): string {
  return voice.say(m);
}
