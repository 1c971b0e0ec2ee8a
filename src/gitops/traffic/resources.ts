import { isScalar, type Scalar } from 'yaml';
import { isTemplated } from '../updaters/engine.js';
import type { Edit } from '../updaters/text-edits.js';
import { get, items, lineOf, parseYaml, root, scalarSlot, type Reached, type YamlDoc } from '../updaters/yaml-text.js';
import type { TrafficFile } from './types.js';
import { refuse } from './refuse.js';

/**
 * YAML reading shared by the traffic formats: the resources of one kind in a (multi-document)
 * file, and integer values (weights) that can be rewritten in their own quoting style.
 */

export interface Resource {
  doc: YamlDoc;
  at: Reached;
  line: number;
}

/**
 * Every resource of `kind` whose apiVersion is in one of `groups` (and, when `file.name` is set, with
 * that metadata.name), also inside `kind: List` items. None is MANIFEST_IMAGE_NOT_FOUND.
 */
export function findResources(content: string, file: TrafficFile, kind: string, groups: readonly string[], label = kind): Resource[] {
  const yaml = parseYaml(content, file.file);
  const found: Resource[] = [];
  const visit = (doc: YamlDoc, at: Reached): void => {
    const kindHere = scalarSlot(doc, get(doc, at, 'kind'))?.text;
    if (kindHere?.endsWith('List')) {
      for (const item of items(doc, get(doc, at, 'items'))) visit(doc, item);
      return;
    }
    const apiVersion = scalarSlot(doc, get(doc, at, 'apiVersion'))?.text ?? '';
    // The core group ('') has the apiVersion v1 alone.
    const inGroup = groups.some((group) => (group === '' ? apiVersion === 'v1' : apiVersion.startsWith(`${group}/`)));
    if (kindHere !== kind || !inGroup) return;
    const name = scalarSlot(doc, get(doc, get(doc, at, 'metadata'), 'name'))?.text;
    if (file.name !== undefined && name !== file.name) return;
    found.push({ doc, at, line: lineOf(doc, at.node) });
  };
  for (const doc of yaml.docs) visit(doc, root(doc));
  if (found.length === 0) noResource(file, label);
  return found;
}

export function noResource(file: TrafficFile, label: string): never {
  refuse('MANIFEST_IMAGE_NOT_FOUND', file, undefined, 'error.traffic.no-resource', { kind: label, name: file.name ?? 'none' });
}

/** An integer value (a weight) and how to rewrite it. */
export interface IntSlot {
  value: number;
  line: number;
  edit(value: number): Edit | undefined;
}

/**
 * The whole number 0–100 under `key` of the map `owner` (plain `10`, or quoted `"10"` as annotations
 * are). Absent, templated, anchored, aliased or any other value is refused at its line, naming `backend`.
 */
export function intSlot(resource: Resource, file: TrafficFile, owner: Reached, key: string, backend: string): IntSlot {
  const { doc } = resource;
  const at = get(doc, owner, key);
  const slot = scalarSlot(doc, at);
  if (!at || !slot || (isScalar(at.node) && at.node.value === null)) {
    const line = at ? lineOf(doc, at.node) : lineOf(doc, owner.node);
    refuse('MANIFEST_UNSUPPORTED', file, line, 'error.traffic.weight-missing', { backend, key });
  }
  if (slot.blocked !== undefined) {
    const params = { backend, key, why: slot.blocked };
    refuse('MANIFEST_UNSUPPORTED', file, slot.line, 'error.traffic.weight-blocked', params);
  }
  if (isTemplated(slot.text)) {
    const params = { backend, key, why: `the value "${slot.text}" is templated` };
    refuse('MANIFEST_UNSUPPORTED', file, slot.line, 'error.traffic.weight-blocked', params);
  }
  const scalar = at.node as Scalar;
  // Plain digits or a quoted string of digits: `010`, `1e1`, `10.0`, `+10` are not weights anyone meant.
  const text = isScalar(scalar) && (scalar.type === 'PLAIN' || typeof scalar.value === 'string') ? slot.text : '';
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text) || Number(text) > 100) {
    refuse('MANIFEST_UNSUPPORTED', file, slot.line, 'error.traffic.weight-not-integer', { backend, key, value: slot.text });
  }
  const range = scalar.range as [number, number, number];
  return {
    value: Number(text),
    line: slot.line,
    edit(value) {
      if (value === Number(text)) return undefined;
      const quote = scalar.type === 'QUOTE_DOUBLE' ? '"' : scalar.type === 'QUOTE_SINGLE' ? "'" : '';
      return { start: range[0], end: range[1], text: `${quote}${value}${quote}` };
    },
  };
}
