import { isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Edit } from './text-edits.js';
import type { YamlDoc } from './yaml-text.js';

/**
 * Adding or removing one `key: value` line in a map, as text. Only simple shapes are handled (a
 * single-line scalar pair in a block map, or any pair in a flow map); anything else returns
 * undefined so the caller can refuse instead of guessing.
 */

/** Inserts `key: valueText` right after `after`, indented like it, with the line's own line break. */
export function insertPairAfter(doc: YamlDoc, map: YAMLMap, after: Pair, key: string, valueText: string): Edit | undefined {
  const { src, lines } = doc.yaml;
  const keyRange = (after.key as Node | null)?.range;
  const valueEnd = pairEnd(after);
  if (!keyRange || valueEnd === undefined) return undefined;
  if (map.flow) return { start: valueEnd, end: valueEnd, text: `, ${key}: ${valueText}` };
  if (!isSingleLineScalar(doc, after)) return undefined;
  const lineStart = lines.lineStart(keyRange[0]);
  // Keys after `- ` on an item's first line are indented by that prefix's width.
  const prefix = src.slice(lineStart, keyRange[0]);
  const indent = /^[ \t]*$/.test(prefix) ? prefix : ' '.repeat(prefix.length);
  const eol = lines.eolAt(valueEnd);
  const at = lines.nextLineStart(valueEnd);
  const atEndWithoutBreak = at === src.length && !src.endsWith('\n');
  const line = `${indent}${key}: ${valueText}`;
  return { start: at, end: at, text: atEndWithoutBreak ? `${eol}${line}` : `${line}${eol}` };
}

/** Removes one pair: its whole line in a block map, its `, key: value` in a flow map. */
export function removePair(doc: YamlDoc, map: YAMLMap, pair: Pair): Edit | undefined {
  const { src, lines } = doc.yaml;
  const keyStart = (pair.key as Node | null)?.range?.[0];
  const valueEnd = pairEnd(pair);
  const index = map.items.indexOf(pair);
  if (keyStart === undefined || valueEnd === undefined || index === -1) return undefined;
  const next = map.items[index + 1];
  const nextKeyStart = (next?.key as Node | null | undefined)?.range?.[0];
  if (map.flow) {
    const prevEnd = index > 0 ? pairEnd(map.items[index - 1]) : undefined;
    if (prevEnd !== undefined) return { start: prevEnd, end: valueEnd, text: '' };
    if (nextKeyStart !== undefined) return { start: keyStart, end: nextKeyStart, text: '' };
    return { start: keyStart, end: valueEnd, text: '' };
  }
  if (!isSingleLineScalar(doc, pair)) return undefined;
  const lineStart = lines.lineStart(keyStart);
  if (/^[ \t]*$/.test(src.slice(lineStart, keyStart))) {
    const end = lines.nextLineStart(valueEnd);
    // The last line without a line break: take the previous break instead, so the file still ends as it did.
    if (end === src.length && !src.endsWith('\n') && lineStart > 0) {
      return { start: lineStart - (src[lineStart - 2] === '\r' ? 2 : 1), end, text: '' };
    }
    return { start: lineStart, end, text: '' };
  }
  // `- digest: …` opens the item: pull the next key up onto the dash line instead.
  if (nextKeyStart !== undefined && lines.lineAt(nextKeyStart) === lines.lineAt(keyStart) + 1) {
    return { start: keyStart, end: nextKeyStart, text: '' };
  }
  return undefined;
}

function pairEnd(pair: Pair | undefined): number | undefined {
  if (!pair) return undefined;
  return (pair.value as Node | null)?.range?.[1] ?? (pair.key as Node | null)?.range?.[1];
}

function isSingleLineScalar(doc: YamlDoc, pair: Pair): boolean {
  const { lines } = doc.yaml;
  const key = pair.key as Node | null;
  const value = pair.value as Node | null;
  if (!key?.range || !isScalar(value) || !value.range) return false;
  if (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED') return false;
  return lines.lineAt(key.range[0]) === lines.lineAt(value.range[1]);
}
