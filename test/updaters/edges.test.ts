import { describe, expect, it } from 'vitest';
import type { DeployFile } from '../../src/config/schema.js';
import { getUpdater, type ImageTarget } from '../../src/gitops/updaters/index.js';
import { D1, WEB } from './helpers.js';

/** Shapes too small for a golden directory, each compared exactly. */
const web = (tag: string, pin = false): ImageTarget => ({ name: 'web', repository: WEB, tag, digest: D1, pin });
const helmFull: DeployFile = { file: 'v.yaml', format: 'helm', paths: { repository: 'image.repository', tag: 'image.tag', digest: 'image.digest' } };

describe('edits in awkward places', () => {
  it('fills empty values without gluing them to the colon or to a comment after them', () => {
    const src = `image:\n  repository: ${WEB}\n  tag: # set by gantry\n  digest:\n`;
    expect(getUpdater('helm').update(src, helmFull, [web('v1', true)]).content).toBe(
      `image:\n  repository: ${WEB}\n  tag: v1 # set by gantry\n  digest: ${D1}\n`,
    );
  });

  it('adds a missing digest to a flow map as `, digest: …`', () => {
    const src = `image: {repository: ${WEB}, tag: v0}\n`;
    expect(getUpdater('helm').update(src, helmFull, [web('v1', true)]).content).toBe(`image: {repository: ${WEB}, tag: v1, digest: ${D1}}\n`);
  });

  it('quotes values YAML 1.1 or 1.2 would not read as strings', () => {
    const file: DeployFile = { file: 'v.yaml', format: 'helm' };
    const src = `image:\n  repository: ${WEB}\n  tag: v0\n`;
    for (const [tag, written] of [['on', '"on"'], ['1e3', '"1e3"'], ['0x1F', '"0x1F"'], ['NULL', '"NULL"'], ['v1.0', 'v1.0']] as const) {
      expect(getUpdater('helm').update(src, file, [web(tag)]).content).toBe(`image:\n  repository: ${WEB}\n  tag: ${written}\n`);
    }
  });

  it('keeps a byte-order mark, a !!str tag, and a value folded over two lines becomes one', () => {
    const file: DeployFile = { file: 'p.yaml', format: 'kubernetes' };
    const pod = (image: string) => `\uFEFFkind: Pod\nspec:\n  containers:\n  - name: web\n    image: ${image}\n`;
    expect(getUpdater('kubernetes').update(pod(`!!str ${WEB}:v0`), file, [web('v1')]).content).toBe(pod(`!!str ${WEB}:v1`));
    expect(getUpdater('kubernetes').update(pod(`"${WEB}:\\\n      v0"`), file, [web('v1')]).content).toBe(pod(`"${WEB}:v1"`));
  });

  it('kustomize: a digest follows newTag even when newTag opens the item', () => {
    const src = `images:\n- newTag: v0\n  name: ${WEB}`;
    expect(getUpdater('kustomize').update(src, { file: 'k.yaml', format: 'kustomize' }, [web('v1', true)]).content).toBe(
      `images:\n- newTag: v1\n  digest: ${D1}\n  name: ${WEB}`,
    );
  });

  it('kustomize: removing the last line keeps the missing final line break missing', () => {
    const src = `images:\n- name: ${WEB}\n  newTag: v0\n  digest: ${D1}`;
    expect(getUpdater('kustomize').update(src, { file: 'k.yaml', format: 'kustomize' }, [web('v1')]).content).toBe(
      `images:\n- name: ${WEB}\n  newTag: v1`,
    );
  });

  it('marathon: only the image string is rewritten, escapes elsewhere stay', () => {
    const src = `{"env":{"URL":"http:\\/\\/x"},"container":{"docker":{"image":"registry.example.com\\/acme/web:v0"}}}`;
    expect(getUpdater('marathon').update(src, { file: 'm.json', format: 'marathon' }, [web('v1')]).content).toBe(
      `{"env":{"URL":"http:\\/\\/x"},"container":{"docker":{"image":"${WEB}:v1"}}}`,
    );
  });

  it('a file with no documents has no images', () => {
    const error = (() => {
      try {
        getUpdater('kubernetes').update('# nothing yet\n', { file: 'p.yaml', format: 'kubernetes' }, [web('v1')]);
      } catch (e) {
        return e as { code?: string };
      }
      return undefined;
    })();
    expect(error?.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
  });
});
