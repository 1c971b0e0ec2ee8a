/**
 * What differs between faces when they write the same sentence: how text is escaped, how code,
 * links and bold look. Plain text, Slack mrkdwn, DingTalk markdown and HTML each implement it once,
 * and every reply and event is composed through it (src/render/), so no face composes its own.
 */
export interface Markup {
  /** text from data or people: made inert (no mentions, links, headings or tags) */
  esc(s: string): string;
  /** a commit, an image reference, a command: monospace where the face has it */
  code(s: string): string;
  link(url: string | undefined, text: string): string;
  bold(s: string): string;
}

/** Plain text (the shell, e-mail's text part, card titles): nothing to escape, links are their text. */
export const PLAIN: Markup = {
  esc: (s) => s,
  code: (s) => s,
  link: (_url, text) => text,
  bold: (s) => s,
};
