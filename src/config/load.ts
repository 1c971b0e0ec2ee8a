import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node as YamlNode } from 'yaml';
import type { ZodType } from 'zod';
import { GantryError } from '../domain/errors.js';
import { ConfigSchema, type Config } from './schema.js';

/** A loaded config and where it came from (errors and `gantry doctor` name the files). */
export interface LoadedConfig {
  config: Config;
  dir: string;
  files: string[];
}

/** A config file's name: `*.yml`/`*.yaml`, not hidden (Kubernetes mounts a ConfigMap beside `..data`). */
export function isConfigFileName(name: string): boolean {
  return /\.ya?ml$/.test(name) && !name.startsWith('.');
}

/**
 * Reads `<dir>/default.yml` and then every other `*.yml`/`*.yaml` in `dir` (alphabetically), deep-
 * merging maps (later files win; lists are replaced). Only the files of `dir`: nothing comes from
 * the package, so keys no file sets take the schema's built-in defaults. The merged result is
 * validated; an error names the file, line and key that is wrong.
 */
export function loadConfig(dir: string): LoadedConfig {
  return loadConfigSources(dir).loaded;
}

/** loadConfig, and the parsed files it merged (`gantry config print` says which file set each key). */
export function loadConfigSources(dir: string): { loaded: LoadedConfig; sources: ParsedFile[] } {
  const absDir = path.resolve(dir);
  if (!existsSync(absDir)) {
    throw new GantryError('CONFIG_MISSING', `config directory ${absDir} does not exist (set --config <dir> or GANTRY_CONFIG)`);
  }
  const names = readdirSync(absDir)
    .filter((f) => isConfigFileName(f) && statSync(path.join(absDir, f)).isFile())
    .sort((a, b) => (a === 'default.yml' ? -1 : b === 'default.yml' ? 1 : a.localeCompare(b)));
  if (names.length === 0) throw new GantryError('CONFIG_MISSING', `no *.yml file in ${absDir}`);
  const sources: ParsedFile[] = names.map((name) => parseYamlFile(path.join(absDir, name)));
  let merged: unknown = {};
  for (const s of sources) merged = deepMerge(merged, s.data);
  const config = validate(ConfigSchema, merged, sources);
  return { loaded: { config, dir: absDir, files: sources.map((s) => s.file) }, sources };
}

export interface ParsedFile {
  file: string;
  doc: Document;
  lines: LineCounter;
  data: unknown;
}

function parseYamlFile(file: string): ParsedFile {
  const text = readFileSync(file, 'utf8');
  return parseYamlText(text, file);
}

export function parseYamlText(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    throw new GantryError('CONFIG_INVALID', `${file} line ${pos.line}: ${err.message.split('\n')[0]}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // an alias without its anchor, or an alias bomb: yaml throws these only when building the data
    const alias = firstAlias(doc, e instanceof Error ? e.message : '');
    const line = alias?.range ? lines.linePos(alias.range[0]).line : 1;
    throw new GantryError('CONFIG_INVALID', `${file} line ${line}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const line = doc.contents?.range ? lines.linePos(doc.contents.range[0]).line : 1;
    throw new GantryError('CONFIG_INVALID', `${file} line ${line}: the top level must be a map of keys`);
  }
  return { file, doc, lines, data };
}

/** The alias an error message names (`…: name`), else the first alias in the document. */
function firstAlias(doc: Document, message: string): Alias | undefined {
  let named: Alias | undefined;
  let first: Alias | undefined;
  const name = /: (\S+)$/.exec(message)?.[1];
  visit(doc, {
    Alias(_, node) {
      first ??= node;
      if (node.source === name) {
        named = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return named ?? first;
}

/** Validates `data` against `schema`; on failure names the file/line of the last file that set the key. */
export function validate<T>(schema: ZodType<T>, data: unknown, sources: ParsedFile[]): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const messages = result.error.issues.slice(0, 5).map((issue) => {
    const keyPath = issue.path.map(String);
    // an unknown key is blamed on the file that has it, at the key itself, not where its parent is
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const at = issue.path as (string | number)[];
    const where = unknown === undefined ? locate(sources, at) : locate(withKey(sources, at, unknown), [...at, unknown]);
    const key = keyPath.length ? keyPath.join('.') : '(top level)';
    return `${where}: ${key} ${issue.message.replace(/^Invalid input: /, '')}`;
  });
  const more = result.error.issues.length > 5 ? `\n(and ${result.error.issues.length - 5} more)` : '';
  throw new GantryError('CONFIG_INVALID', messages.join('\n') + more);
}

/** The last file whose data has `key` at `keyPath` (all of them when none has: the key came from merging). */
function withKey(sources: ParsedFile[], keyPath: (string | number)[], key: string): ParsedFile[] {
  for (let i = sources.length - 1; i >= 0; i--) {
    let data: unknown = sources[i]!.data;
    for (const k of keyPath) data = typeof data === 'object' && data !== null ? (data as Record<string | number, unknown>)[k] : undefined;
    if (typeof data === 'object' && data !== null && Object.prototype.hasOwnProperty.call(data, key)) return [sources[i]!];
  }
  return sources;
}

/** The file and line of the deepest node along `keyPath`, searching later files first. */
function locate(sources: ParsedFile[], keyPath: (string | number)[]): string {
  for (let i = sources.length - 1; i >= 0; i--) {
    const s = sources[i]!;
    for (let depth = keyPath.length; depth >= 0; depth--) {
      const node = nodeAt(s.doc, keyPath.slice(0, depth));
      if (node?.range) {
        if (depth === 0 && sources.length > 1 && i !== 0) continue;
        return `${s.file} line ${s.lines.linePos(node.range[0]).line}`;
      }
    }
  }
  // no file has a node there (an empty document): the problem is the file as a whole
  return `${sources[sources.length - 1]?.file ?? 'config'} line 1`;
}

export function nodeAt(doc: Document, keyPath: (string | number)[]): YamlNode | undefined {
  let node: unknown = doc.contents;
  for (const key of keyPath) {
    if (isMap(node)) {
      // as toJS names keys: an empty key is "", a number key its digits
      const pair = node.items.find((p) => String(isScalar(p.key) ? (p.key.value ?? '') : p.key) === String(key));
      if (!pair) return undefined;
      // point at the key when the value is missing (e.g. `from:` with nothing after it)
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else {
      return undefined;
    }
  }
  return node as YamlNode | undefined;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
