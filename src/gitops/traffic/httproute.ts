import { get, scalarSlot } from '../updaters/yaml-text.js';
import { makeTrafficFormat } from './engine.js';
import { findResources } from './resources.js';
import { listAt, weightedSplits, type WeightedShape } from './weighted.js';

/**
 * Gateway API HTTPRoute (gateway.networking.k8s.io): `spec.rules[].backendRefs[]`, a backend being
 * a colour when its `name` is that colour's Service. Gateway API reads weights as proportions;
 * gantry keeps them as percents adding up to 100, so what the file says is what chat reports.
 */
const shape: WeightedShape = {
  kind: 'HTTPRoute',
  where: 'rule',
  rules: (r) => listAt(r, get(r.doc, get(r.doc, r.at, 'spec'), 'rules')),
  refs: (r, rule) => listAt(r, get(r.doc, rule, 'backendRefs')),
  backendOf: (r, ref) => scalarSlot(r.doc, get(r.doc, ref, 'name'))?.text,
};

export const httproute = makeTrafficFormat('httproute', false, (content, file) =>
  weightedSplits(findResources(content, file, 'HTTPRoute', ['gateway.networking.k8s.io']), file, shape),
);
