import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { GantryError } from '../../src/domain/errors.js';
import { tempDir } from '../support/env.js';
import { ROOT } from '../support/harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_117);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const DEFAULT = readFileSync(path.join(ROOT, 'config', 'demo', 'gantry.yml'), 'utf8');
const LINES = DEFAULT.split('\n');

/** Scalars, flow syntax, anchors, tags and noise that a hand-edited YAML file may end up with. */
const junk = fc.oneof(
  fc.constantFrom('', '~', 'null', 'true', 'no', '0', '-1', '1e309', '0x1F', '.nan', '[]', '{}', '[', '{', ']', '}', '"', "'", '&a', '*a', '*nope', '&a [*a, *a]', '!!binary', '!!int x', '!foo bar', '!!map', '? ', '- ', ': ', '|', '>', '#', '%TAG ! x', '---', '...', '<<: *a', '__proto__:', 'constructor:', '\t', '\u0000', '\ufeff', '\u202e', 'x'.repeat(5000)),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);

type Mutation = (lines: string[]) => string[];
const at = (lines: string[], i: number) => i % Math.max(1, lines.length);
/** One edit of the file, as a careless hand (or a merge gone wrong) makes them. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i): Mutation => (l) => l.filter((_, j) => j !== at(l, i))),
  fc.nat().map((i): Mutation => (l) => [...l.slice(0, at(l, i) + 1), ...l.slice(at(l, i))]),
  fc.tuple(fc.nat(), fc.nat()).map(([i, k]): Mutation => (l) => {
    const out = [...l];
    const [a, b] = [at(l, i), at(l, k)];
    [out[a], out[b]] = [out[b]!, out[a]!];
    return out;
  }),
  fc.tuple(fc.nat(), fc.constantFrom(' ', '  ', '\t', '    ', '', '-')).map(([i, pad]): Mutation => (l) => l.map((s, j) => (j === at(l, i) ? pad + s.replace(/^ {0,2}/, '') : s))),
  // replace the value after a key's colon
  fc.tuple(fc.nat(), junk).map(([i, v]): Mutation => (l) => {
    const keyed = l.map((s, j) => [s, j] as const).filter(([s]) => /^\s*[\w-]+:\s*\S/.test(s) && !/^\s*#/.test(s));
    const pick = keyed[i % Math.max(1, keyed.length)];
    if (!pick) return l;
    return l.map((s, j) => (j === pick[1] ? s.replace(/:\s*.*$/, `: ${v}`) : s));
  }),
  fc.tuple(fc.nat(), fc.nat(), junk).map(([i, col, v]): Mutation => (l) => l.map((s, j) => (j === at(l, i) ? s.slice(0, col % (s.length + 1)) + v + s.slice(col % (s.length + 1)) : s))),
  fc.nat().map((i): Mutation => (l) => l.slice(0, at(l, i))),
  fc.tuple(fc.nat(), junk).map(([i, v]): Mutation => (l) => [...l.slice(0, at(l, i)), v, ...l.slice(at(l, i))]),
);

/** The loader's contract: a config, or a GantryError that names the file and a line in it. */
function expectLoadsOrSaysWhere(dir: string, file: string, what: string): void {
  try {
    loadConfig(dir);
  } catch (e) {
    if (!(e instanceof GantryError)) throw new Error(`${what}: loadConfig threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    expect(e.code, what).toMatch(/^CONFIG_/);
    expect(e.message, what).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line \\d+`));
  }
}

describe('the config loader on the mutated demo config (as default.yml)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('fuzz-config');
  });
  afterAll(() => tmp?.remove());

  it('the shipped file loads (so the mutations start from a valid config)', () => {
    writeFileSync(path.join(tmp.dir, 'default.yml'), DEFAULT);
    expect(loadConfig(tmp.dir).config.apps.web).toBeDefined();
  });

  it('loads or throws a GantryError naming the file and line, never anything else', () => {
    const file = path.join(tmp.dir, 'default.yml');
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (edits) => {
        const text = edits.reduce((l, m) => m(l), LINES).join('\n');
        writeFileSync(file, text);
        expectLoadsOrSaysWhere(tmp.dir, file, `mutated file:\n${text.slice(0, 4000)}`);
      }),
      { numRuns: 2000 * SCALE, seed: SEED },
    );
  });

  it('an override file next to default.yml is held to the same contract', () => {
    const dir = path.join(tmp.dir, 'with-override');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'default.yml'), DEFAULT);
    const file = path.join(dir, 'zz-local.yml');
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 2 }), (edits) => {
        // an override of a few keys, mutated
        const base = ['deployRepo:', '  branch: main', '  pushRetries: 3', 'environments:', '  prod:', '    approvals: { required: 2 }', 'server: { port: 3100 }'];
        const text = edits.reduce((l, m) => m(l), base).join('\n');
        writeFileSync(file, text);
        expectLoadsOrSaysWhere(dir, file, `override file:\n${text}`);
      }),
      { numRuns: 1000 * SCALE, seed: SEED },
    );
  });

  it('hostile documents: bombs, odd tops, odd bytes', () => {
    const file = path.join(tmp.dir, 'default.yml');
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 0; i < 9; i++) laughs.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    const docs: Record<string, string | Buffer> = {
      empty: '',
      'only comments': '# nothing\n# here\n',
      'a list': '- a\n- b\n',
      'a scalar': 'hello\n',
      'a number': '42\n',
      'null document': '~\n',
      'two documents': `${DEFAULT}\n---\n${DEFAULT}`,
      'billion laughs': `${laughs.join('\n')}\n${DEFAULT}`,
      'deep nesting': `${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      'deep block nesting': Array.from({ length: 400 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n'),
      'a BOM and CRLF': `\ufeff${DEFAULT.replace(/\n/g, '\r\n')}`,
      'NUL bytes': `${DEFAULT.slice(0, 200)}\u0000${DEFAULT.slice(200)}`,
      'invalid UTF-8': Buffer.concat([Buffer.from(DEFAULT.slice(0, 300)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(DEFAULT.slice(300))]),
      'a __proto__ key': `${DEFAULT}\n__proto__: { deployRepo: { url: /tmp/evil } }\n`,
      'a merge key': `base: &base { url: x }\n${DEFAULT.replace('deployRepo:\n', 'deployRepo:\n  <<: *base\n')}`,
      'a duplicate key': `${DEFAULT}\nserver: { port: 1 }\n`,
      'a tab indent': DEFAULT.replace('  branch: main', '\tbranch: main'),
      'a custom tag': DEFAULT.replace('branch: main', 'branch: !secret main'),
      'an unknown alias': DEFAULT.replace('branch: main', 'branch: *nowhere'),
      'a huge file': `${DEFAULT}\n${Array.from({ length: 20_000 }, (_, i) => `# filler ${i}`).join('\n')}\nextra: 1\n`,
    };
    const wrong: string[] = [];
    for (const [what, text] of Object.entries(docs)) {
      writeFileSync(file, text);
      try {
        expectLoadsOrSaysWhere(tmp.dir, file, what);
      } catch (e) {
        wrong.push(e instanceof Error ? e.message.split('\n').slice(0, 4).join(' / ') : String(e));
      }
    }
    expect(wrong).toEqual([]);
  });
});
