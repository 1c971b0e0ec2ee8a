import { describe, expect, it } from 'vitest';
import type { DeployFile } from '../../src/config/schema.js';
import { makeUpdater, refSite } from '../../src/gitops/updaters/engine.js';
import { getUpdater, type ImageTarget } from '../../src/gitops/updaters/index.js';
import { expectManifestError, manifestError, WEB } from './helpers.js';

const web = (tag = 'v2.0.0'): ImageTarget => ({ name: 'web', repository: WEB, tag, pin: false });
const file = (format: DeployFile['format'], extra: Partial<DeployFile> = {}): DeployFile => ({ file: `deploy/${format}.yaml`, format, ...extra });
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('anchors and aliases are refused', () => {
  it('an image value carrying an anchor', () => {
    const src = lines('kind: Pod', 'spec:', '  containers:', '    - name: web', `      image: &img ${WEB}:v1.0.0`, '    - name: copy', '      image: *img');
    const error = expectManifestError(() => getUpdater('kubernetes').update(src, file('kubernetes'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/kubernetes.yaml', 5);
    expect(error.message).toContain('anchor &img');
  });

  it('an image value that is an alias', () => {
    const src = lines(`x-image: &img ${WEB}:v1.0.0`, 'services:', '  web:', '    image: *img');
    const error = expectManifestError(() => getUpdater('compose').update(src, file('compose'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/compose.yaml', 4);
    expect(error.message).toContain('alias *img');
  });

  it('a value that comes in through a << merge key', () => {
    const src = lines('x-defaults: &defaults', `  image: ${WEB}:v1.0.0`, '  restart: always', 'services:', '  web:', '    <<: *defaults');
    const error = expectManifestError(() => getUpdater('compose').update(src, file('compose'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/compose.yaml', 2);
    expect(error.message).toContain('merge key');
  });

  it('a value inside an anchored map that an alias repeats', () => {
    const src = lines('image: &image', `  repository: ${WEB}`, '  tag: v1.0.0', 'canary:', '  image: *image');
    const error = expectManifestError(() => getUpdater('helm').update(src, file('helm'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/helm.yaml', 3);
    expect(error.message).toContain('&image');
  });

  it('an anchored kustomize newTag', () => {
    const src = lines('images:', `  - name: ${WEB}`, '    newTag: &tag v1.0.0', 'labels: {version: *tag}');
    expectManifestError(() => getUpdater('kustomize').update(src, file('kustomize'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/kustomize.yaml', 3);
  });

  it('still reads such values, and a target they already hold needs no edit', () => {
    const src = lines(`x-image: &img ${WEB}:v1.0.0`, 'services:', '  web:', '    image: *img');
    expect(getUpdater('compose').read(src, file('compose'), [web()])).toEqual([
      { name: 'web', ref: `${WEB}:v1.0.0`, repository: WEB, tag: 'v1.0.0', line: 4 },
    ]);
    expect(getUpdater('compose').update(src, file('compose'), [web('v1.0.0')])).toEqual({ content: src, changes: [] });
  });
});

describe('templated and block values are refused', () => {
  it('helm: a {{ }} tag', () => {
    const src = lines('image:', `  repository: ${WEB}`, '  tag: "{{ .Values.global.tag }}"');
    const error = expectManifestError(() => getUpdater('helm').update(src, file('helm'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/helm.yaml', 3);
    expect(error.message).toContain('templated');
  });

  it('kubernetes: a ${} tag on the right repository', () => {
    const src = lines('kind: Pod', 'spec:', '  containers:', `    - {name: web, image: "${WEB}:\${TAG}"}`);
    expectManifestError(() => getUpdater('kubernetes').update(src, file('kubernetes'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/kubernetes.yaml', 4);
  });

  it('kubernetes: a templated image in the container named by `container`', () => {
    const src = lines('kind: Pod', 'spec:', '  containers:', '    - name: app', "      image: '{{ .Values.image }}'");
    expectManifestError(
      () => getUpdater('kubernetes').update(src, file('kubernetes', { container: 'app' }), [web()]),
      'MANIFEST_UNSUPPORTED',
      'deploy/kubernetes.yaml',
      5,
    );
  });

  it('marathon: a {{ }} image', () => {
    const src = `{\n  "id": "/web",\n  "container": {"docker": {"image": "${WEB}:{{tag}}"}}\n}\n`;
    expectManifestError(() => getUpdater('marathon').update(src, file('marathon'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/marathon.yaml', 3);
  });

  it('flux: a ${} tag behind a setter', () => {
    const src = lines('values:', '  image:', '    tag: ${TAG} # {"$imagepolicy": "flux-system:web:tag"}');
    expectManifestError(
      () => getUpdater('flux').update(src, file('flux', { policies: { web: 'flux-system:web' } }), [web()]),
      'MANIFEST_UNSUPPORTED',
      'deploy/flux.yaml',
      3,
    );
  });

  it('a block scalar', () => {
    const src = lines('services:', '  web:', '    image: |-', `      ${WEB}:v1.0.0`);
    const error = expectManifestError(() => getUpdater('compose').update(src, file('compose'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/compose.yaml', 3);
    expect(error.message).toContain('block scalar');
  });
});

describe('unparseable files', () => {
  it('YAML: says MANIFEST_INVALID with the line of the error', () => {
    const src = lines('kind: Deployment', 'spec:', '  template: {spec: [', '  replicas: 2');
    const error = expectManifestError(() => getUpdater('kubernetes').update(src, file('kubernetes'), [web()]), 'MANIFEST_INVALID', 'deploy/kubernetes.yaml', 4);
    expect(error.message).toContain('not valid YAML');
  });

  it('YAML: a duplicate key is an error, not a silent pick', () => {
    const src = lines('image:', `  repository: ${WEB}`, '  tag: v1', '  tag: v2');
    expectManifestError(() => getUpdater('helm').read(src, file('helm'), [web()]), 'MANIFEST_INVALID', 'deploy/helm.yaml', 4);
  });

  it('JSON: says MANIFEST_INVALID with the line of the error', () => {
    const src = '{\n  "id": "/web",\n  "container": {"docker": {"image": "x"}}\n  "cpus": 1\n}\n';
    const error = expectManifestError(() => getUpdater('marathon').update(src, file('marathon'), [web()]), 'MANIFEST_INVALID', 'deploy/marathon.yaml', 4);
    expect(error.message).toContain('CommaExpected');
  });

  it('JSON: comments are not Marathon JSON', () => {
    const src = '{\n  // the web app\n  "id": "/web"\n}\n';
    expectManifestError(() => getUpdater('marathon').read(src, file('marathon'), [web()]), 'MANIFEST_INVALID', 'deploy/marathon.yaml', 2);
  });
});

describe('images that are not there', () => {
  it('names the image and the file', () => {
    const src = lines('kind: Pod', 'spec:', '  containers:', '    - name: web', `      image: ${WEB}-proxy:v1.0.0`);
    const error = manifestError(() => getUpdater('kubernetes').update(src, file('kubernetes'), [web()]));
    expect(error.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
    expect(error.line).toBeUndefined();
    expect(error.message).toBe(`deploy/kubernetes.yaml: image web (${WEB}) not found in deploy/kubernetes.yaml`);
  });

  it('helm: a repository value that is another repository is not a match', () => {
    const src = lines('image:', '  repository: registry.example.com/acme/api', '  tag: v1.0.0');
    expect(manifestError(() => getUpdater('helm').update(src, file('helm'), [web()])).code).toBe('MANIFEST_IMAGE_NOT_FOUND');
  });

  it('flux: an image without a configured policy', () => {
    const src = lines(`image: ${WEB}:v1 # {"$imagepolicy": "flux-system:web"}`);
    expect(manifestError(() => getUpdater('flux').update(src, file('flux'), [web()])).code).toBe('MANIFEST_IMAGE_NOT_FOUND');
  });

  it('unknown kinds are left alone', () => {
    const src = lines('kind: ConfigMap', 'data:', `  image: ${WEB}:v1.0.0`);
    expect(getUpdater('kubernetes').read(src, file('kubernetes'), [web()])).toEqual([]);
  });
});

describe('ambiguous configuration', () => {
  it('container: cannot stand for two images', () => {
    const src = lines('kind: Pod', 'spec:', '  containers:', '    - name: app', `      image: ${WEB}:v1`);
    const two = [web(), { name: 'worker', repository: 'registry.example.com/acme/worker', tag: 'v1', pin: false }];
    expect(manifestError(() => getUpdater('kubernetes').update(src, file('kubernetes', { container: 'app' }), two)).code).toBe('MANIFEST_UNSUPPORTED');
  });
});

describe('verification before commit', () => {
  it('refuses output that does not read back as planned', () => {
    // A deliberately wrong format: it writes a different tag than it promises.
    const liar = makeUpdater('compose', (content, _file, images) => {
      const match = /:(v\d+)$/m.exec(content);
      const image = images[0];
      if (!match || !image) return [];
      const start = match.index + 1;
      const slot = { text: `${WEB}:${match[1] ?? ''}`, line: 1, edit: () => ({ start, end: start + 2, text: 'v9' }) };
      return [refSite(image, slot)];
    });
    const error = manifestError(() => liar.update(`image: ${WEB}:v1\n`, file('compose'), [web()]));
    expect(error.code).toBe('MANIFEST_UNSUPPORTED');
    expect(error.message).toContain(`reads "${WEB}:v9" instead of "${WEB}:v2.0.0"; nothing was written`);
  });
});

describe('a value that names the repository but is no valid reference is refused, never skipped', () => {
  it('kubernetes: web:v1.1.0+build.7 beside web:v1.1.0 refuses the whole file, naming the line', () => {
    const src = lines('kind: Pod', 'spec:', '  containers:', `    - {name: web, image: "${WEB}:v1.1.0"}`, `    - {name: canary, image: "${WEB}:v1.1.0+build.7"}`);
    const error = expectManifestError(() => getUpdater('kubernetes').update(src, file('kubernetes'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/kubernetes.yaml', 5);
    expect(error.message).toContain(`"${WEB}:v1.1.0+build.7" is not an image reference`);
  });

  it('compose and marathon: the same', () => {
    const compose = lines('services:', '  web:', `    image: ${WEB}:v1.1.0`, '  web2:', `    image: ${WEB}:v1.1.0+build.7`);
    expectManifestError(() => getUpdater('compose').update(compose, file('compose'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/compose.yaml', 5);
    const marathon = `{\n  "container": { "docker": { "image": "${WEB}:v1.1.0+build.7" } }\n}\n`;
    expectManifestError(() => getUpdater('marathon').update(marathon, file('marathon'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/marathon.yaml', 2);
  });

  it('helm and kustomize: a tag field no registry accepts', () => {
    const helm = lines('image:', `  repository: ${WEB}`, '  tag: v1.1.0+build.7');
    const error = expectManifestError(() => getUpdater('helm').update(helm, file('helm'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/helm.yaml', 3);
    expect(error.message).toContain('is not a valid image reference');
    const kustomize = lines('images:', `  - name: ${WEB}`, '    newTag: v1.1.0+build.7');
    expectManifestError(() => getUpdater('kustomize').update(kustomize, file('kustomize'), [web()]), 'MANIFEST_UNSUPPORTED', 'deploy/kustomize.yaml', 3);
  });

  it('a similar repository is someone else\'s and stays untouched', () => {
    const src = lines('kind: Pod', 'spec:', '  containers:', `    - {name: web, image: "${WEB}:v1.1.0"}`, `    - {name: admin, image: "${WEB}-admin:v1+x"}`);
    const out = getUpdater('kubernetes').update(src, file('kubernetes'), [web()]);
    expect(out.content).toBe(src.replace(`${WEB}:v1.1.0`, `${WEB}:v2.0.0`));
  });
});
