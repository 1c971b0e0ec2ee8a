/** What a preview's comment and check-run section say (GitHub's Markdown). */
export type PreviewSaid =
  | { kind: 'live'; app: string; number: number; url: string; dir: string; image: string; version: string; commit?: string }
  | { kind: 'removed'; app: string; number: number; dir: string; reason: string }
  | { kind: 'refused'; app: string; number: number; message: string };

/** marks gantry's comment, so a person reading the thread (or a tool) can tell it from others */
const MARK = (app: string) => `<!-- gantry:preview:${app} -->`;

export function previewSection(s: PreviewSaid): string {
  switch (s.kind) {
    case 'live':
      return [
        '### Preview',
        `**${s.app}** of this pull request: ${s.url}`,
        '',
        `Image \`${s.image}\` (${s.version}), written to \`${s.dir}/\` in the deploy repo${s.commit ? ` (commit ${s.commit.slice(0, 7)})` : ''}.`,
      ].join('\n');
    case 'removed':
      return ['### Preview', `The preview of **${s.app}** was removed (${s.reason}); \`${s.dir}/\` is gone from the deploy repo.`].join('\n');
    case 'refused':
      return ['### Preview', `No preview of **${s.app}** was written: ${s.message}`].join('\n');
  }
}

export function previewComment(s: PreviewSaid): string {
  return `${MARK(s.app)}\n${previewSection(s)}\n`;
}
