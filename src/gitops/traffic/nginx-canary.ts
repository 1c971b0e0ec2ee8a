import { get, items, scalarSlot, type Reached } from '../updaters/yaml-text.js';
import { colourNames, colourOf, makeTrafficFormat, type Split } from './engine.js';
import { findResources, intSlot, noResource, type Resource } from './resources.js';
import type { Colour, TrafficFile } from './types.js';
import { refuse } from './refuse.js';

/**
 * ingress-nginx canary: the canary Ingress (annotation `nginx.ingress.kubernetes.io/canary: "true"`)
 * sends `canary-weight` percent of the stable Ingress's traffic to its own backend, which names the
 * canary colour; the stable Ingress (elsewhere, left alone) serves the other colour with the rest.
 * Only canary-weight is edited.
 */
const ANNOTATION = 'nginx.ingress.kubernetes.io/';

export const nginxCanary = makeTrafficFormat('nginx-canary', false, scanCanary);

function scanCanary(content: string, file: TrafficFile): Split[] {
  const label = 'canary Ingress';
  const canaries = findResources(content, file, 'Ingress', ['networking.k8s.io', 'extensions'], label).filter(
    (r) => scalarSlot(r.doc, get(r.doc, annotations(r), `${ANNOTATION}canary`))?.text === 'true',
  );
  if (canaries.length === 0) noResource(file, label);
  return canaries.map((resource) => canarySplit(resource, file));
}

function canarySplit(resource: Resource, file: TrafficFile): Split {
  const { doc } = resource;
  const names = colourNames(file);
  const total = scalarSlot(doc, get(doc, annotations(resource), `${ANNOTATION}canary-weight-total`));
  if (total && total.text !== '100') {
    refuse('MANIFEST_UNSUPPORTED', file, total.line, 'error.traffic.canary-total', { total: total.text });
  }
  const canary = canaryColour(resource, file);
  const slot = intSlot(resource, file, annotations(resource) ?? resource.at, `${ANNOTATION}canary-weight`, names[canary]);
  const weights = canary === 'blue' ? { blue: slot.value, green: 100 - slot.value } : { blue: 100 - slot.value, green: slot.value };
  return {
    line: slot.line,
    weights,
    lines: [slot.line],
    plan(want) {
      const edit = slot.edit(want[canary]);
      return edit ? [{ edit, line: slot.line, colour: canary, before: String(slot.value), after: String(want[canary]) }] : [];
    },
  };
}

/** The one colour every backend of the canary Ingress names. */
function canaryColour(resource: Resource, file: TrafficFile): Colour {
  const names = colourNames(file);
  let found: { colour: Colour; name: string; line: number } | undefined;
  for (const backend of backends(resource)) {
    const colour = colourOf(file, backend.name);
    if (colour === undefined) {
      const params = { what: 'the canary backend service', value: backend.name, ...names };
      refuse('MANIFEST_INVALID', file, backend.line, 'error.traffic.neither-colour', params);
    }
    if (found && found.colour !== colour) {
      const params = { value: backend.name, line: String(found.line), other: found.name };
      refuse('MANIFEST_INVALID', file, backend.line, 'error.traffic.both-selected', params);
    }
    found ??= { colour, name: backend.name, line: backend.line };
  }
  if (!found) {
    const params = { where: 'backend', kind: 'canary Ingress', ...names };
    refuse('MANIFEST_IMAGE_NOT_FOUND', file, resource.line, 'error.traffic.no-route', params);
  }
  return found.colour;
}

/** Service names of the default backend and of every path (networking.k8s.io/v1 and the older serviceName). */
function backends(resource: Resource): { name: string; line: number }[] {
  const { doc } = resource;
  const spec = get(doc, resource.at, 'spec');
  const refs: (Reached | undefined)[] = [get(doc, spec, 'defaultBackend'), get(doc, spec, 'backend')];
  for (const rule of items(doc, get(doc, spec, 'rules'))) {
    for (const path of items(doc, get(doc, get(doc, rule, 'http'), 'paths'))) refs.push(get(doc, path, 'backend'));
  }
  return refs.flatMap((ref) => {
    const slot = scalarSlot(doc, get(doc, get(doc, ref, 'service'), 'name')) ?? scalarSlot(doc, get(doc, ref, 'serviceName'));
    return slot ? [{ name: slot.text, line: slot.line }] : [];
  });
}

function annotations(resource: Resource): Reached | undefined {
  return get(resource.doc, get(resource.doc, resource.at, 'metadata'), 'annotations');
}
