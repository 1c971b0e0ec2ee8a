import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getUpdater } from '../../src/gitops/updaters/index.js';
import { D1, D2, WEB } from './helpers.js';

/** read() feeds /status: every occurrence, in file order, with 1-based lines. */
const fixture = (path: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/updaters/${path}`, import.meta.url)), 'utf8');
const WORKER = 'registry.example.com/acme/worker';
const images = [
  { name: 'web', repository: WEB },
  { name: 'worker', repository: WORKER },
];

describe('read()', () => {
  it('kubernetes: every container of every document', () => {
    const found = getUpdater('kubernetes').read(fixture('kubernetes/multi-doc/before.yaml'), { file: 'web.yaml', format: 'kubernetes' }, images);
    expect(found.map((f) => [f.name, f.ref, f.line])).toEqual([
      ['web', `${WEB}:v1.2.2`, 14],
      ['web', `${WEB}:v1.2.2`, 17],
      ['worker', `${WORKER}:2024.01.1`, 43],
    ]);
  });

  it('kustomize: the tag line of each matching entry', () => {
    const found = getUpdater('kustomize').read(fixture('kustomize/unpin-removes-digest/before.yaml'), { file: 'k.yaml', format: 'kustomize' }, images);
    expect(found).toEqual([
      { name: 'web', ref: `${WEB}:v1.2.2@${D2}`, repository: WEB, tag: 'v1.2.2', digest: D2, line: 4 },
      { name: 'worker', ref: `${WORKER}:2024.01.1@${D2}`, repository: WORKER, tag: '2024.01.1', digest: D2, line: 5 },
    ]);
  });

  it('helm: a tag@digest in the tag value is read as tag and digest', () => {
    const found = getUpdater('helm').read(fixture('helm/tag-only-pin/after.yaml'), { file: 'v.yaml', format: 'helm', paths: { tag: 'image.tag' } }, [images[0]!]);
    expect(found).toEqual([{ name: 'web', ref: `${WEB}:v1.2.3@${D1}`, repository: WEB, tag: 'v1.2.3', digest: D1, line: 2 }]);
  });

  it('flux: field setters in one map are one image; a lone :tag setter is another', () => {
    const file = { file: 'f.yaml', format: 'flux' as const, policies: { web: 'flux-system:web', worker: 'apps:worker' } };
    const found = getUpdater('flux').read(fixture('flux/field-setters-odd-indent-pin/before.yaml'), file, images);
    expect(found.map((f) => [f.name, f.ref, f.line])).toEqual([
      ['web', `${WEB}:v1.2.2`, 9],
      ['worker', `${WORKER}:2024.01.1`, 13],
      ['web', `${WEB}:v1.2.2`, 21],
    ]);
  });

  it('marathon: apps of nested groups, in file order', () => {
    const found = getUpdater('marathon').read(fixture('marathon/group-compact-pin/before.json'), { file: 'm.json', format: 'marathon' }, images);
    expect(found.map((f) => [f.name, f.tag, f.line])).toEqual([
      ['web', 'v1.2.2', 2],
      ['worker', '2024.01.1', 6],
    ]);
  });
});
