import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { GantryError } from '../domain/errors.js';

/**
 * Writing secrets into an env file (`KEY=value` lines, as compose's `env_file` and
 * `node --env-file` read them) without losing what is already there: unrelated lines and comments
 * stay byte for byte, a key already set is never overwritten unless forced, and the file is
 * replaced atomically with mode 0600, so a crash leaves the old file or the new one, never half.
 */

/** One variable to write, and the other names that would set the same thing (Probot's aliases, NAME_FILE). */
export interface EnvEntry {
  key: string;
  value: string;
  sameAs: readonly string[];
}

interface Assignment {
  key: string;
  /** first and last line (inclusive): a quoted value may span lines (a PEM) */
  from: number;
  to: number;
  empty: boolean;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/** The assignments of `text`, a quoted value spanning lines counted as one. */
function assignments(lines: string[]): Assignment[] {
  const out: Assignment[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = ASSIGNMENT.exec(lines[i]!);
    if (!m) continue;
    const value = m[2]!.replace(/\s+#.*$/, '').trim();
    let to = i;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && !(value.length > 1 && value.endsWith(quote))) {
      while (to + 1 < lines.length) {
        to++;
        if (lines[to]!.trimEnd().endsWith(quote)) break;
      }
    }
    out.push({ key: m[1]!, from: i, to, empty: value === '' || value === '""' || value === "''" });
    i = to;
  }
  return out;
}

/** The names of `names` that `text` already sets to something (an empty value is not set). */
export function conflictingKeys(text: string, names: readonly string[]): string[] {
  const wanted = new Set(names);
  return [...new Set(assignments(text.split(/\r?\n/)).filter((a) => wanted.has(a.key) && !a.empty).map((a) => a.key))];
}

/** Refuses `file`'s `text` when it sets any of `names`: the error names the keys, never the values. */
export function refuseSetKeys(text: string | undefined, names: readonly string[], file: string): void {
  const set = conflictingKeys(text ?? '', names);
  if (set.length) throw new GantryError('INPUT_INVALID', `${file} already sets ${set.join(', ')}: nothing was written (--force replaces them)`);
}

/** A value as an env-file line carries it: bare when safe, else double-quoted; refused when neither reads back. */
export function envValue(key: string, value: string): string {
  if (/^[A-Za-z0-9_./:@+,=-]*$/.test(value)) return value;
  if (/["\\$`\r\n]/.test(value)) throw new GantryError('INPUT_INVALID', `${key}: the value cannot be written to an env file safely`);
  return `"${value}"`;
}

/**
 * `text` (undefined: no file yet) with `entries` set. Without `force`, any of them already set
 * (under any of its names) is refused, naming the keys, never the values. Set lines are replaced
 * where the first of their names stood; the rest go at the end under `header`.
 */
export function mergeEnvText(text: string | undefined, entries: readonly EnvEntry[], o: { force: boolean; header: string; file: string }): string {
  const existing = text ?? '';
  if (!o.force) refuseSetKeys(existing, entries.flatMap((e) => [e.key, ...e.sameAs]), o.file);
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  const lines = existing === '' ? [] : existing.replace(/\r?\n$/, '').split(/\r?\n/);
  const found = assignments(lines);
  /** line index → its replacement; undefined: dropped (a key's other names, a quoted value's further lines) */
  const replaced = new Map<number, string | undefined>();
  const appended: string[] = [];
  for (const e of entries) {
    const line = `${e.key}=${envValue(e.key, e.value)}`;
    const mine = found.filter((a) => a.key === e.key || e.sameAs.includes(a.key));
    mine.forEach((a, n) => {
      for (let i = a.from; i <= a.to; i++) replaced.set(i, n === 0 && i === a.from ? line : undefined);
    });
    if (!mine.length) appended.push(line);
  }
  const out = lines.flatMap((line, i) => {
    if (!replaced.has(i)) return [line];
    const now = replaced.get(i);
    return now === undefined ? [] : [now];
  });
  if (appended.length) out.push(...(out.length ? [''] : []), `# ${o.header}`, ...appended);
  return out.join(eol) + eol;
}

/** The text of `file`, or undefined when there is none. */
export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GantryError('INPUT_INVALID', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/**
 * Writes `content` to `file` with mode 0600 through a temporary file in the same directory and a
 * rename. A symlinked env file is written where it points, so the link stays a link. `exclusive`:
 * refused when the file exists (a key file is never replaced).
 */
export function writeSecretFile(file: string, content: string, o: { exclusive?: boolean } = {}): void {
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    // no file yet: written where it was named
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': never follow or reuse a file someone else put at the temporary name
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // exclusive: link fails when the target exists, atomically (a rename would replace it)
    if (o.exclusive) linkSync(tmp, target);
    else renameSync(tmp, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && o.exclusive) throw new GantryError('INPUT_INVALID', `${file} already exists: nothing was written`);
    throw new GantryError('INPUT_INVALID', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}
