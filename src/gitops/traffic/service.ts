import { get, lineOf, scalarSlot } from '../updaters/yaml-text.js';
import { colourNames, colourOf, makeTrafficFormat, type Split } from './engine.js';
import { findResources } from './resources.js';
import type { TrafficFile } from './types.js';
import { refuse } from './refuse.js';

/**
 * A Kubernetes Service whose `spec.selector.<selector>` (default `color`) picks the live colour's
 * pods. It cannot split: all traffic goes to one colour, so the only weights it holds are 0 and 100.
 */
export const service = makeTrafficFormat('service', true, scanService);

function scanService(content: string, file: TrafficFile): Split[] {
  const key = file.selector ?? 'color';
  const names = colourNames(file);
  const splits: (Split & { value: string })[] = [];
  for (const resource of findResources(content, file, 'Service', [''])) {
    const { doc } = resource;
    const at = get(doc, get(doc, get(doc, resource.at, 'spec'), 'selector'), key);
    const slot = scalarSlot(doc, at);
    if (!at) continue;
    const what = `selector ${key}`;
    if (!slot || slot.blocked !== undefined) {
      const params = { key: what, backend: 'Service', why: slot?.blocked ?? 'it is not a single value' };
      refuse('MANIFEST_UNSUPPORTED', file, slot?.line ?? lineOf(doc, at.node), 'error.traffic.weight-blocked', params);
    }
    const colour = colourOf(file, slot.text);
    if (colour === undefined) {
      refuse('MANIFEST_INVALID', file, slot.line, 'error.traffic.neither-colour', { what, value: slot.text, ...names });
    }
    const first = splits[0];
    if (first && first.value !== slot.text) {
      const params = { value: slot.text, line: String(first.line), other: first.value };
      refuse('MANIFEST_INVALID', file, slot.line, 'error.traffic.both-selected', params);
    }
    splits.push({
      value: slot.text,
      line: slot.line,
      weights: colour === 'blue' ? { blue: 100, green: 0 } : { blue: 0, green: 100 },
      lines: [slot.line],
      plan(weights) {
        const live = weights.blue === 100 ? 'blue' : 'green';
        const edit = slot.edit(names[live]);
        return edit ? [{ edit, line: slot.line, colour: live, before: slot.text, after: names[live] }] : [];
      },
    });
  }
  if (splits.length === 0) refuse('MANIFEST_IMAGE_NOT_FOUND', file, undefined, 'error.traffic.no-selector', { key });
  return splits;
}
