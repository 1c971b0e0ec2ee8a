import { get, scalarSlot } from '../updaters/yaml-text.js';
import { makeTrafficFormat } from './engine.js';
import { findResources } from './resources.js';
import { listAt, weightedSplits, type WeightedShape } from './weighted.js';

/**
 * Istio VirtualService (networking.istio.io): `spec.http[].route[]`, a destination being a colour
 * when its `subset` is that colour's name, or, without a subset, when its `host` is (compared as
 * written: `web` and `web.prod.svc.cluster.local` are different names here).
 */
const shape: WeightedShape = {
  kind: 'VirtualService',
  where: 'http route',
  rules: (r) => listAt(r, get(r.doc, get(r.doc, r.at, 'spec'), 'http')),
  refs: (r, rule) => listAt(r, get(r.doc, rule, 'route')),
  backendOf: (r, ref) => {
    const destination = get(r.doc, ref, 'destination');
    return scalarSlot(r.doc, get(r.doc, destination, 'subset'))?.text ?? scalarSlot(r.doc, get(r.doc, destination, 'host'))?.text;
  },
};

export const istio = makeTrafficFormat('istio', false, (content, file) =>
  weightedSplits(findResources(content, file, 'VirtualService', ['networking.istio.io']), file, shape),
);
