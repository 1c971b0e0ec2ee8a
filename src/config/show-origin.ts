import { randomBytes } from 'node:crypto';
import { Document, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { nodeAt, type ParsedFile } from './load.js';

/** Where a key's final value came from: a file and line, or the schema's built-in default. */
export type Origin = { file: string; line: number } | 'default';

type KeyPath = (string | number)[];

/**
 * The origin of the value at `keyPath` of the merged config, following the loader's merge: maps
 * merge key by key, anything else (a list, a scalar) replaces what earlier files said whole. So
 * the files that still count at a path are those that have it, from the last one that set it to
 * something other than a map; the last of them set the value. None: the schema filled it in.
 */
export function originOf(sources: readonly ParsedFile[], keyPath: KeyPath): Origin {
  let counting = sources.map((s) => ({ s, data: s.data }));
  for (const key of keyPath) {
    counting = counting.flatMap((c) => (hasOwn(c.data, key) ? [{ s: c.s, data: childOf(c.data, key) }] : []));
    let lastReplacing = counting.length - 1;
    while (lastReplacing > 0 && isMapValue(counting[lastReplacing]!.data)) lastReplacing--;
    counting = counting.slice(lastReplacing);
  }
  const last = counting.at(-1);
  if (!last) return 'default';
  const node = nodeAt(last.s.doc, keyPath);
  return { file: last.s.file, line: node?.range ? last.s.lines.linePos(node.range[0]).line : 1 };
}

/** `gantry.yml:12` or `default`; `name` shows a file (the config print names files within its directory). */
export function originText(o: Origin, name: (file: string) => string = (f) => f): string {
  return o === 'default' ? 'default' : `${printablePath(name(o.file))}:${o.line}`;
}

/** A file name is outside input: a newline in it must not end a comment and start YAML. */
export function printablePath(file: string): string {
  return file.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One value gantry uses and where it came from. A list of scalars is one leaf: lists are replaced whole. */
export interface Leaf {
  path: KeyPath;
  origin: Origin;
}

/** Every leaf of the validated `config`, in its order, with its origin. */
export function configLeaves(config: unknown, sources: readonly ParsedFile[]): Leaf[] {
  const leaves: Leaf[] = [];
  const walk = (value: unknown, at: KeyPath): void => {
    if (isLeaf(value)) return void leaves.push({ path: at, origin: originOf(sources, at) });
    const children: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value as object);
    // as the YAML shows them: an absent optional key is no leaf
    for (const [k, v] of children) if (v !== undefined) walk(v, [...at, k]);
  };
  walk(config, []);
  return leaves;
}

/** How configYaml shows values and files. */
export interface ShowOptions {
  /** sees every string value first (a secret put in a file by mistake) */
  redact: (value: string) => string;
  name?: (file: string) => string;
}

/**
 * The config as YAML with `# <file>:<line>` or `# default` after each leaf, in one column, like
 * `git config --show-origin`.
 */
export function configYaml(config: unknown, sources: readonly ParsedFile[], o: ShowOptions): string {
  const doc = new Document(mapStrings(config, o.redact));
  // each comment is a marker first, replaced once the text is laid out; the nonce keeps a value
  // that happens to contain such a marker (in a block scalar) from being taken for one
  const marker = `origin-${randomBytes(6).toString('hex')}-`;
  const origins: string[] = [];
  const annotate = (node: unknown, at: KeyPath): void => {
    const entries: [string | number, unknown][] = isMap(node)
      ? node.items.map((p) => [String(isScalar(p.key) ? p.key.value : p.key), p.value])
      : isSeq(node)
        ? node.items.map((item, i) => [i, item])
        : [];
    for (const [key, child] of entries) {
      const childPath = [...at, key];
      if (isScalar(child) || ((isSeq(child) || isMap(child)) && isLeafNode(child))) {
        if (!isScalar(child)) child.flow = true;
        (child as YamlNode).comment = `${marker}${origins.push(originText(originOf(sources, childPath), o.name)) - 1}`;
      } else {
        annotate(child, childPath);
      }
    }
  };
  annotate(doc.contents, []);
  return alignComments(doc.toString({ lineWidth: 0 }), marker, origins);
}

/** Puts the origins in one column (past the longest line up to 48 characters), in place of their markers. */
function alignComments(text: string, marker: string, origins: readonly string[]): string {
  const at = new RegExp(` #${marker}(\\d+)$`);
  const lines = text.split('\n').map((line) => {
    const m = at.exec(line);
    return m ? { body: line.slice(0, m.index), origin: origins[Number(m[1])] } : { body: line, origin: undefined };
  });
  const widths = lines.filter((l) => l.origin !== undefined).map((l) => l.body.length);
  const column = Math.min(48, Math.max(0, ...widths)) + 2;
  // a longer line keeps two spaces before its comment: YAML needs one, the eye another
  const gap = (body: string) => ' '.repeat(Math.max(2, column - body.length));
  return lines.map((l) => (l.origin === undefined ? l.body : `${l.body}${gap(l.body)}# ${l.origin}`)).join('\n');
}

/** A leaf: a scalar, an empty map or list, or a list of scalars (one unit, as the merge treats it). */
function isLeaf(v: unknown): boolean {
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object' || x === null);
  return !isMapValue(v) || Object.keys(v).length === 0;
}

function isLeafNode(node: YamlNode): boolean {
  if (isSeq(node)) return node.items.every((x) => isScalar(x));
  return isMap(node) && node.items.length === 0;
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  // entries into a fresh object: Object.fromEntries defines "__proto__" as a plain key, never a prototype
  if (isMapValue(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

function isMapValue(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function childOf(data: unknown, key: string | number): unknown {
  return (data as Record<string | number, unknown>)[key];
}

function hasOwn(data: unknown, key: string | number): boolean {
  return typeof data === 'object' && data !== null && Object.prototype.hasOwnProperty.call(data, key);
}
