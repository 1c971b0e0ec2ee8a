import type { DeployFile } from '../../../config/schema.js';
import { holdsRepository, makeUpdater, namedImage, refSite, type Site } from '../engine.js';
import type { ImageSpec } from '../types.js';
import { entries, get, items, parseYaml, root, scalarSlot, type Reached, type YamlDoc } from '../yaml-text.js';

/**
 * Plain Kubernetes manifests (multi-document YAML): the `image` of every container, init
 * container and ephemeral container of the workload kinds below. Other kinds are left alone.
 */

/** Where each kind keeps its pod spec. */
const POD_SPEC: Record<string, readonly string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  // Argo Rollouts: a Deployment in all but name, common in the Argo CD repos gantry writes to.
  Rollout: ['spec', 'template', 'spec'],
};

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

export const kubernetes = makeUpdater('kubernetes', scanKubernetes);

function scanKubernetes(content: string, file: DeployFile, images: readonly ImageSpec[]): Site[] {
  const yaml = parseYaml(content, file.file);
  const byName = namedImage(file, images, 'container');
  const sites: Site[] = [];
  for (const doc of yaml.docs) scanResource(doc, root(doc), file, images, byName, sites);
  return sites;
}

function scanResource(doc: YamlDoc, resource: Reached, file: DeployFile, images: readonly ImageSpec[], byName: ImageSpec | undefined, sites: Site[]): void {
  const kind = scalarSlot(doc, get(doc, resource, 'kind'))?.text;
  if (kind === undefined) return;
  if (kind === 'List' || kind.endsWith('List')) {
    for (const item of items(doc, get(doc, resource, 'items'))) scanResource(doc, item, file, images, byName, sites);
    return;
  }
  const path = POD_SPEC[kind];
  if (!path) return;
  let spec: Reached | undefined = resource;
  for (const key of path) spec = get(doc, spec, key);
  // In file order, so read() lists images the way a reader of the file sees them.
  for (const { key, value } of entries(doc, spec)) {
    if (!CONTAINER_LISTS.has(key)) continue;
    for (const container of items(doc, value)) {
      const site = containerSite(doc, container, file, images, byName);
      if (site) sites.push(site);
    }
  }
}

function containerSite(doc: YamlDoc, container: Reached, file: DeployFile, images: readonly ImageSpec[], byName: ImageSpec | undefined): Site | undefined {
  const slot = scalarSlot(doc, get(doc, container, 'image'));
  if (!slot) return undefined;
  const name = scalarSlot(doc, get(doc, container, 'name'))?.text;
  const image = byName && name === file.container ? byName : images.find((i) => i !== byName && holdsRepository(slot.text, i.repository));
  return image && refSite(image, slot);
}
