/**
 * The last lines of a log, bounded in lines and bytes, fed with chunks that may split lines.
 * A build log can be gigabytes (a chatty `RUN make`); only its tail goes into a check run.
 */
export class LogTail {
  private readonly lines: string[] = [];
  private bytes = 0;
  private partial = '';

  constructor(
    private readonly maxLines = 200,
    private readonly maxBytes = 64 * 1024,
    /** sees every chunk written, before the tail forgets it: the whole log goes to the build's page */
    private readonly sink?: (text: string) => void,
  ) {}

  /** Appends text; `\r` progress redraws keep only their last state. */
  write(text: string): void {
    this.sink?.(text);
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    // a single line longer than the whole budget is cut from the front
    if (this.partial.length > this.maxBytes) this.partial = this.partial.slice(-this.maxBytes);
    for (const p of parts) this.push(lastRedraw(p));
  }

  /** Appends whole lines. */
  line(text: string): void {
    this.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  toString(): string {
    const all = this.partial ? [...this.lines, lastRedraw(this.partial)] : this.lines;
    return all.slice(-this.maxLines).join('\n');
  }

  private push(line: string): void {
    const l = line.length > this.maxBytes ? line.slice(-this.maxBytes) : line;
    this.lines.push(l);
    this.bytes += Buffer.byteLength(l) + 1;
    while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) {
      this.bytes -= Buffer.byteLength(this.lines.shift()!) + 1;
    }
  }
}

/** What a terminal shows of a line that redraws itself with `\r` (a progress bar): its last state. */
export function lastRedraw(line: string): string {
  const l = line.endsWith('\r') ? line.slice(0, -1) : line;
  const i = l.lastIndexOf('\r');
  return i === -1 ? l : l.slice(i + 1);
}
