import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { DeployFile } from '../../../config/schema.js';
import { ManifestError } from '../../../domain/errors.js';
import { holdsRepository, makeUpdater, namedImage, refSite, type Site, type ValueSlot } from '../engine.js';
import { LineIndex } from '../text-edits.js';
import type { ImageSpec } from '../types.js';

/**
 * Marathon JSON: an app (`container.docker.image`), an array of apps, or a group (`apps`, `pods`,
 * nested `groups`); pods' `containers[].image.id` too. jsonc-parser only locates the string: the edit
 * replaces that string literal and nothing else, so the file keeps its own layout.
 */
export const marathon = makeUpdater('marathon', scanMarathon);

function scanMarathon(content: string, file: DeployFile, images: readonly ImageSpec[]): Site[] {
  const errors: ParseError[] = [];
  const tree = parseTree(content, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const lines = new LineIndex(content);
  const error = errors[0];
  if (error || !tree) {
    const detail = error ? printParseErrorCode(error.error) : 'no JSON value';
    throw new ManifestError('MANIFEST_INVALID', file.file, lines.lineAt(error?.offset ?? 0), `not valid JSON: ${detail}`);
  }
  const byName = namedImage(file, images, 'pod container');
  const sites: Site[] = [];
  const byRepository = (slot: ValueSlot) => images.find((i) => i !== byName && holdsRepository(slot.text, i.repository));

  const visit = (node: Node | undefined): void => {
    if (node?.type === 'array') return node.children?.forEach(visit);
    if (node?.type !== 'object') return;
    const app = stringSlot(findNodeAtLocation(node, ['container', 'docker', 'image']), lines);
    const appImage = app && byRepository(app);
    if (app && appImage) sites.push(refSite(appImage, app));
    for (const container of findNodeAtLocation(node, ['containers'])?.children ?? []) {
      const slot = stringSlot(findNodeAtLocation(container, ['image', 'id']), lines);
      const name = findNodeAtLocation(container, ['name'])?.value as unknown;
      const image = slot && (byName && name === file.container ? byName : byRepository(slot));
      if (slot && image) sites.push(refSite(image, slot));
    }
    visit(findNodeAtLocation(node, ['apps']));
    visit(findNodeAtLocation(node, ['pods']));
    visit(findNodeAtLocation(node, ['groups']));
  };
  visit(tree);
  return sites;
}

function stringSlot(node: Node | undefined, lines: LineIndex): ValueSlot | undefined {
  if (node?.type !== 'string' || typeof node.value !== 'string') return undefined;
  const text = node.value;
  return {
    text,
    line: lines.lineAt(node.offset),
    edit: (value) => (value === text ? undefined : { start: node.offset, end: node.offset + node.length, text: JSON.stringify(value) }),
  };
}
