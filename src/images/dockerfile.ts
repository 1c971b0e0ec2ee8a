/**
 * Just enough of Docker's Dockerfile parser to map the classic builder's `Step N/M` back to a
 * Dockerfile line: the builder numbers steps in file order (ARGs before the first FROM, then each
 * stage's FROM and its instructions), so step N is the Nth instruction found here. Mirrors the
 * rules of moby's parser: parser directives only at the very top, `#` comment lines and blank
 * lines skipped (also inside a continuation), the escape character (`\` or `` ` ``) at the end of
 * a line continues it, heredoc bodies (`RUN <<EOF … EOF`) belong to their instruction.
 */

export interface DockerfileInstruction {
  /** upper-cased keyword, e.g. `RUN` */
  keyword: string;
  /** 1-based line where the instruction starts */
  line: number;
  /** the instruction as written, continuation lines joined with a space */
  text: string;
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

export function parseDockerfile(source: string): DockerfileInstruction[] {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let i = 0;
  // parser directives: only before any comment, blank line or instruction
  for (const seen = new Set<string>(); i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (seen.has(key)) break;
    seen.add(key);
    if (key === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2];
  }

  const out: DockerfileInstruction[] = [];
  while (i < lines.length) {
    const first = lines[i]!;
    if (isSkippable(first)) {
      i++;
      continue;
    }
    const start = i + 1;
    let text = '';
    let line = first;
    for (;;) {
      const cont = continues(line, escape);
      text += (text ? ' ' : '') + (cont ? stripContinuation(line, escape) : line).trim();
      i++;
      if (!cont) break;
      // a continuation skips comment and blank lines and ends at end of file
      while (i < lines.length && isSkippable(lines[i]!)) i++;
      if (i >= lines.length) break;
      line = lines[i]!;
    }
    const keyword = (/^(\S+)/.exec(text)?.[1] ?? '').toUpperCase();
    if (HEREDOC_KEYWORDS.has(keyword)) i = skipHeredocs(lines, i, text);
    out.push({ keyword, line: start, text });
  }
  return out;
}

/** The instruction that the classic builder reports as `Step n/…` (1-based), if there is one. */
export function instructionForStep(instructions: readonly DockerfileInstruction[], step: number): DockerfileInstruction | undefined {
  return step >= 1 ? instructions[step - 1] : undefined;
}

function isSkippable(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

function continues(line: string, escape: string): boolean {
  const t = line.replace(/[ \t]+$/, '');
  return t.endsWith(escape);
}

function stripContinuation(line: string, escape: string): string {
  const t = line.replace(/[ \t]+$/, '');
  return t.slice(0, t.length - escape.length);
}

/** Skips the bodies of the heredocs an instruction opens; returns the next line index. */
function skipHeredocs(lines: readonly string[], from: number, text: string): number {
  let i = from;
  for (const m of text.matchAll(HEREDOC)) {
    const stripTabs = m[1] === '-';
    const word = m[3]!;
    while (i < lines.length) {
      const l = lines[i++]!;
      if ((stripTabs ? l.replace(/^\t+/, '') : l) === word) break;
    }
  }
  return i;
}
