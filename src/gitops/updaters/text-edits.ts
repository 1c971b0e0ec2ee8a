/**
 * Offset-based text splicing shared by every format. Updaters never re-serialise a document: they
 * compute byte ranges to replace, so everything outside those ranges stays exactly as it was.
 */

/** Replace `src.slice(start, end)` with `text`. An insertion has start === end. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Applies edits (in any order); identical duplicates collapse, overlapping ones are a bug. */
export function applyEdits(src: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const unique: Edit[] = [];
  for (const edit of sorted) {
    const prev = unique[unique.length - 1];
    if (prev && prev.start === edit.start && prev.end === edit.end && prev.text === edit.text) continue;
    if (prev && edit.start < prev.end) throw new Error(`overlapping edits at offsets ${prev.start}-${prev.end} and ${edit.start}-${edit.end}`);
    unique.push(edit);
  }
  let out = '';
  let pos = 0;
  for (const edit of unique) {
    out += src.slice(pos, edit.start) + edit.text;
    pos = edit.end;
  }
  return out + src.slice(pos);
}

/** Maps offsets to 1-based lines; built once per scan. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly src: string) {
    for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 1-based line holding `offset`. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Offset of the first character of the line holding `offset`. */
  lineStart(offset: number): number {
    return this.starts[this.lineAt(offset) - 1] ?? 0;
  }

  /** Offset of the line break (`\r\n` or `\n`) ending the line holding `offset`, or src.length. */
  lineEnd(offset: number): number {
    const nl = this.src.indexOf('\n', offset);
    if (nl === -1) return this.src.length;
    return nl > 0 && this.src[nl - 1] === '\r' ? nl - 1 : nl;
  }

  /** Offset just after the line break ending the line holding `offset`, or src.length. */
  nextLineStart(offset: number): number {
    const nl = this.src.indexOf('\n', offset);
    return nl === -1 ? this.src.length : nl + 1;
  }

  /** The line break used by the line holding `offset` (or by the file, for its last line). */
  eolAt(offset: number): string {
    const nl = this.src.indexOf('\n', offset);
    if (nl !== -1) return this.src[nl - 1] === '\r' ? '\r\n' : '\n';
    return this.src.includes('\r\n') ? '\r\n' : '\n';
  }
}
