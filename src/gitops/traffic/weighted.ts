import { items, lineOf, type Reached } from '../updaters/yaml-text.js';
import { colourNames, colourOf, type Split } from './engine.js';
import { intSlot, type Resource } from './resources.js';
import { COLOURS, type Colour, type TrafficFile } from './types.js';
import { refuse } from './refuse.js';

/**
 * Formats that split by weights over a list of backends per rule (Gateway API HTTPRoute rules and
 * their backendRefs, Istio http routes and their destinations). Every rule that names a colour is
 * one split and must name both, each with a weight, and nothing else; rules naming neither colour
 * are someone else's traffic and are left alone.
 */
export interface WeightedShape {
  /** the resource's kind, for messages */
  kind: string;
  /** what a rule is called in messages (rule, http route) */
  where: string;
  /** the rule list of a resource, e.g. spec.rules */
  rules(resource: Resource): Reached[];
  /** the backend list of a rule, e.g. backendRefs */
  refs(resource: Resource, rule: Reached): Reached[];
  /** the name a backend entry goes by (compared with the colours' names), if any */
  backendOf(resource: Resource, ref: Reached): string | undefined;
}

export function weightedSplits(resources: Resource[], file: TrafficFile, shape: WeightedShape): Split[] {
  const splits: Split[] = [];
  for (const resource of resources) {
    for (const rule of shape.rules(resource)) {
      const split = ruleSplit(resource, file, shape, rule);
      if (split) splits.push(split);
    }
  }
  if (splits.length === 0) {
    const params = { where: shape.where, kind: shape.kind, ...colourNames(file) };
    refuse('MANIFEST_IMAGE_NOT_FOUND', file, resources[0]?.line, 'error.traffic.no-route', params);
  }
  return splits;
}

function ruleSplit(resource: Resource, file: TrafficFile, shape: WeightedShape, rule: Reached): Split | undefined {
  const { doc } = resource;
  const refs = shape.refs(resource, rule).map((ref) => ({ ref, backend: shape.backendOf(resource, ref) }));
  if (!refs.some(({ backend }) => colourOf(file, backend) !== undefined)) return undefined;
  const names = colourNames(file);
  const line = lineOf(doc, rule.node);
  const byColour = new Map<Colour, Reached>();
  for (const { ref, backend } of refs) {
    const colour = colourOf(file, backend);
    const params = { where: shape.where, backend: backend ?? '?', ...names };
    if (colour === undefined) {
      refuse('MANIFEST_UNSUPPORTED', file, lineOf(doc, ref.node), 'error.traffic.other-backend', params);
    }
    if (byColour.has(colour)) refuse('MANIFEST_INVALID', file, lineOf(doc, ref.node), 'error.traffic.backend-twice', params);
    byColour.set(colour, ref);
  }
  const blueRef = byColour.get('blue');
  const greenRef = byColour.get('green');
  if (!blueRef || !greenRef) {
    const [present, missing] = blueRef ? [names.blue, names.green] : [names.green, names.blue];
    refuse('MANIFEST_IMAGE_NOT_FOUND', file, line, 'error.traffic.colour-missing', { where: shape.where, present, missing });
  }
  const blue = intSlot(resource, file, blueRef, 'weight', names.blue);
  const green = intSlot(resource, file, greenRef, 'weight', names.green);
  if (blue.value + green.value !== 100) {
    const sum = String(blue.value + green.value);
    const params = { ...names, blueWeight: String(blue.value), greenWeight: String(green.value), sum };
    refuse('MANIFEST_INVALID', file, blue.line, 'error.traffic.weights-sum', params);
  }
  return {
    line,
    weights: { blue: blue.value, green: green.value },
    lines: [blue.line, green.line],
    plan: (weights) =>
      COLOURS.flatMap((colour) => {
        const slot = colour === 'blue' ? blue : green;
        const edit = slot.edit(weights[colour]);
        return edit ? [{ edit, line: slot.line, colour, before: String(slot.value), after: String(weights[colour]) }] : [];
      }),
  };
}

/** A list under a key of a map (`spec.rules`, `backendRefs`). */
export function listAt(resource: Resource, at: Reached | undefined): Reached[] {
  return items(resource.doc, at);
}
