import type { DeployFile } from '../../../config/schema.js';
import { holdsRepository, makeUpdater, namedImage, refSite, type Site } from '../engine.js';
import type { ImageSpec } from '../types.js';
import { entries, get, parseYaml, root, scalarSlot } from '../yaml-text.js';

/**
 * Compose files: `services.<name>.image`, matched by repository, or by service name when the
 * deploy file sets `container`. `x-` extension blocks are only followed through aliases and merge
 * keys, which makes the value shared and so refused.
 */
export const compose = makeUpdater('compose', scanCompose);

function scanCompose(content: string, file: DeployFile, images: readonly ImageSpec[]): Site[] {
  const yaml = parseYaml(content, file.file);
  const byName = namedImage(file, images, 'service');
  const sites: Site[] = [];
  for (const doc of yaml.docs) {
    for (const { key: service, value } of entries(doc, get(doc, root(doc), 'services'))) {
      const slot = scalarSlot(doc, get(doc, value, 'image'));
      if (!slot) continue;
      const image = byName && service === file.container ? byName : images.find((i) => i !== byName && holdsRepository(slot.text, i.repository));
      if (image) sites.push(refSite(image, slot));
    }
  }
  return sites;
}
