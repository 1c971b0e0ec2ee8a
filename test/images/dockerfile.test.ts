import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instructionForStep, parseDockerfile } from '../../src/images/dockerfile.js';
import { LogTail } from '../../src/images/log-tail.js';

const lines = (src: string) => parseDockerfile(src).map((i) => [i.keyword, i.line]);

describe('Dockerfile instructions and their lines', () => {
  it('maps the failing fixture: directive, comments, continuations with a comment inside', () => {
    const src = readFileSync(new URL('../fixtures/build/failing/Dockerfile', import.meta.url), 'utf8');
    expect(lines(src)).toEqual([
      ['FROM', 4],
      ['COPY', 5],
      ['RUN', 6],
      ['RUN', 8],
      ['RUN', 10],
      ['RUN', 14],
    ]);
    expect(instructionForStep(parseDockerfile(src), 5)?.text).toBe('RUN echo "about to fail" && echo "on stderr too" >&2 && exit 3');
  });

  it('counts ARGs before FROM and every stage, in file order', () => {
    const src = 'ARG BASE=scratch\n\nFROM $BASE AS a\nRUN x\nfrom a as b\n  copy --from=a / /\n';
    expect(lines(src)).toEqual([
      ['ARG', 1],
      ['FROM', 3],
      ['RUN', 4],
      ['FROM', 5],
      ['COPY', 6],
    ]);
  });

  it('honours the escape directive and ignores directives after the top', () => {
    const src = '# escape=`\nFROM scratch\nRUN a `\n  b\n# escape=\\\nRUN c \\\nRUN d\n';
    // with ` as escape, "RUN c \" does not continue
    expect(lines(src)).toEqual([
      ['FROM', 2],
      ['RUN', 3],
      ['RUN', 6],
      ['RUN', 7],
    ]);
  });

  it('treats a directive after a comment as a comment', () => {
    expect(lines('# hello\n# escape=`\nFROM scratch\nRUN a `\nRUN b\n')).toEqual([
      ['FROM', 3],
      ['RUN', 4],
      ['RUN', 5],
    ]);
  });

  it('skips blank lines inside a continuation and ends one at end of file', () => {
    expect(lines('FROM scratch\nRUN a \\\n\n   b \\\n')).toEqual([
      ['FROM', 1],
      ['RUN', 2],
    ]);
  });

  it('keeps heredoc bodies inside their instruction', () => {
    const src = 'FROM scratch\nRUN <<EOF\nFROM not-an-instruction\nEOF\nCOPY <<-A <<B /x\n\tbody\n\tA\nmore\nB\nCMD ["x"]\n';
    expect(lines(src)).toEqual([
      ['FROM', 1],
      ['RUN', 2],
      ['COPY', 5],
      ['CMD', 10],
    ]);
  });

  it('handles CRLF and a byte order mark', () => {
    expect(lines('\uFEFFFROM scratch\r\nRUN a \\\r\n  b\r\nCMD x\r\n')).toEqual([
      ['FROM', 1],
      ['RUN', 2],
      ['CMD', 4],
    ]);
  });
});

describe('log tail', () => {
  it('keeps the last lines within both bounds and joins split lines', () => {
    const t = new LogTail(3, 1000);
    t.write('one\ntw');
    t.write('o\nthree\nfour\nfi');
    expect(t.toString()).toBe('three\nfour\nfi');
    const b = new LogTail(100, 20);
    for (let i = 0; i < 10; i++) b.line(`line ${i}`);
    expect(b.toString()).toBe('line 8\nline 9');
  });

  it('keeps only the last state of a carriage-return progress line', () => {
    const t = new LogTail();
    t.write('10%\r50%\r100%\ndone\n');
    expect(t.toString()).toBe('100%\ndone');
  });
});
