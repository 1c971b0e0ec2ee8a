/**
 * Server-rendered HTML without a template engine: `html` is a tagged template whose
 * interpolations are escaped unless they are `Html` already, so markup is built only from
 * literals in this codebase and everything else (names, versions, log lines, reasons) is text.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** What may go into a template: text (escaped), numbers, markup, lists of those; nothing else renders. */
export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(p: Part): string {
  if (p === null || p === undefined || p === false || p === true) return '';
  if (p instanceof Html) return p.value;
  if (Array.isArray(p)) return (p as readonly Part[]).map(render).join('');
  return escapeHtml(String(p));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i++) out += render(parts[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup this codebase wrote itself (a catalog sentence whose parameters were escaped first). */
export function trusted(markup: string): Html {
  return new Html(markup);
}
