import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parse,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { ManifestError } from '../../domain/errors.js';
import type { ValueSlot } from './engine.js';
import { LineIndex } from './text-edits.js';

/**
 * YAML reading for the updaters: parse with source ranges, walk to values while noting anything
 * that makes an edit unsafe (aliases, anchors, merge keys), and rewrite one scalar in its own
 * quoting style by splicing its source range.
 */

export interface YamlFile {
  src: string;
  file: string;
  lines: LineIndex;
  docs: YamlDoc[];
}

export interface YamlDoc {
  yaml: YamlFile;
  doc: Document.Parsed;
  /** anchors that some alias in this document refers to: editing under them changes the aliases too */
  aliased: Set<string>;
}

/** A node reached by a walk; `via` says why editing there is unsafe. */
export interface Reached {
  node: unknown;
  via?: string;
}

/** Parses every document; any error is MANIFEST_INVALID with the line it is on. */
export function parseYaml(src: string, file: string): YamlFile {
  const lines = new LineIndex(src);
  const parsed = parseAllDocuments(src, { prettyErrors: true, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const yaml: YamlFile = { src, file, lines, docs: [] };
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const detail = (error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, '');
      throw new ManifestError('MANIFEST_INVALID', file, lines.lineAt(error.pos[0]), `not valid YAML: ${detail}`);
    }
    const aliased = new Set<string>();
    visit(doc, { Alias: (_key, node) => void aliased.add(node.source) });
    yaml.docs.push({ yaml, doc, aliased });
  }
  return yaml;
}

export function root(doc: YamlDoc): Reached {
  return deref(doc, { node: doc.doc.contents });
}

/** Follows aliases and notes anchored collections that aliases share. */
export function deref(doc: YamlDoc, at: Reached): Reached {
  let { node, via } = at;
  if (isAlias(node)) {
    const target = node.resolve(doc.doc);
    // An alias of a scalar stays an alias: scalarSlot reports it at the alias's own line.
    if (!isCollection(target)) return at;
    via ??= `it is reached through the alias *${node.source} on line ${lineOf(doc, node)}`;
    node = target;
  }
  if (isCollection(node) && node.anchor && doc.aliased.has(node.anchor)) {
    via ??= `it is inside &${node.anchor} on line ${lineOf(doc, node)}, which an alias repeats elsewhere`;
  }
  return via === undefined ? { node } : { node, via };
}

/** The value of `key` in a map (also through `<<` merge keys, which make it unsafe to edit). */
export function get(doc: YamlDoc, at: Reached | undefined, key: string): Reached | undefined {
  const pair = getPair(doc, at, key);
  return pair && deref(doc, { node: pair.pair.value, ...(pair.via !== undefined ? { via: pair.via } : {}) });
}

export function getPair(doc: YamlDoc, at: Reached | undefined, key: string): { pair: Pair; map: YAMLMap; via?: string } | undefined {
  if (!at || !isMap(at.node)) return undefined;
  const map = at.node as YAMLMap;
  const direct = map.items.find((p) => keyText(p) === key);
  if (direct) return at.via === undefined ? { pair: direct, map } : { pair: direct, map, via: at.via };
  for (const merge of map.items.filter((p) => keyText(p) === '<<')) {
    const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const source of sources) {
      const found = getPair(doc, deref(doc, { node: source }), key);
      if (found) return { ...found, via: at.via ?? `it comes from the merge key << on line ${lineOf(doc, merge.key)}` };
    }
  }
  return undefined;
}

/** The items of a sequence, each carrying the sequence's `via`. */
export function items(doc: YamlDoc, at: Reached | undefined): Reached[] {
  if (!at || !isSeq(at.node)) return [];
  return at.node.items.map((node) => deref(doc, { node, ...(at.via !== undefined ? { via: at.via } : {}) }));
}

/** The entries of a map with plain string keys, in file order. */
export function entries(doc: YamlDoc, at: Reached | undefined): { key: string; value: Reached }[] {
  if (!at || !isMap(at.node)) return [];
  return at.node.items.flatMap((pair) => {
    const key = keyText(pair);
    if (key === undefined || key === '<<') return [];
    return [{ key, value: deref(doc, { node: pair.value, ...(at.via !== undefined ? { via: at.via } : {}) }) }];
  });
}

export function keyText(pair: unknown): string | undefined {
  if (!isPair(pair) || !isScalar(pair.key)) return undefined;
  const value = (pair.key as Scalar).value;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The scalar at `at` (an alias to a scalar counts, but is blocked); undefined for collections. */
export function scalarSlot(doc: YamlDoc, at: Reached | undefined): ValueSlot | undefined {
  if (!at) return undefined;
  const { src, lines } = doc.yaml;
  let node = at.node;
  let blocked = at.via;
  if (isAlias(node)) {
    blocked = `the value is the alias *${node.source}`;
    node = node.resolve(doc.doc);
  } else if (isScalar(node) && node.anchor) {
    blocked = `the value carries the anchor &${node.anchor}`;
  }
  if (!isScalar(node) || !node.range) return undefined;
  const scalar = node as Scalar;
  const range = scalar.range as [number, number, number];
  const line = lines.lineAt((isAlias(at.node) ? (at.node as Node).range?.[0] : undefined) ?? range[0]);
  const text = scalar.type === 'PLAIN' || scalar.value === null ? src.slice(range[0], range[1]) : String(scalar.value);
  if (scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED') blocked ??= 'the value is a block scalar (| or >)';
  return {
    text,
    line,
    ...(blocked !== undefined ? { blocked } : {}),
    edit(value) {
      if (scalar.value === value) return undefined;
      return { start: range[0], end: range[1], text: renderLike(scalar, value, src, range[0], range[1]) };
    },
  };
}

/** `value` written in the style of `like`: single and double quotes stay, plain stays when safe. */
export function renderLike(like: Scalar, value: string, src: string, start: number, end = start): string {
  if (like.type === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (like.type === 'QUOTE_DOUBLE') return JSON.stringify(value);
  const text = renderPlain(value);
  if (like.value !== null || start !== end) return text;
  // An empty value (`digest:`, `tag: # note`) has a zero-length range: keep the value apart from
  // the colon before it and from a comment after it.
  const before = /\s/.test(src[start - 1] ?? ' ') ? '' : ' ';
  const after = src[end] === '#' ? ' ' : '';
  return `${before}${text}${after}`;
}

/** Plain when YAML reads it back as the same string; otherwise double-quoted (`1.10`, `true`, ``). */
export function renderPlain(value: string): string {
  return needsQuotes(value) ? JSON.stringify(value) : value;
}

function needsQuotes(value: string): boolean {
  if (value === '' || /^[\s\-?:,[\]{}#&*!|>'"%@`]|[\s#,[\]{}]|:$/.test(value)) return true;
  // YAML 1.1 documents read yes/on/0x.. differently from 1.2: quote unless both read a string.
  for (const version of ['1.2', '1.1'] as const) {
    try {
      if (parse(value, { version }) !== value) return true;
    } catch {
      return true;
    }
  }
  return false;
}

export function lineOf(doc: YamlDoc, node: unknown): number {
  const range = (node as Node | undefined)?.range;
  return range ? doc.yaml.lines.lineAt(range[0]) : 0;
}
