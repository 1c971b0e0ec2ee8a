import { describe, expect, it } from 'vitest';
import { ConfigSchema, DeployFileSchema, type DeployFile, type Format } from '../../src/config/schema.js';
import { GantryError } from '../../src/domain/errors.js';
import { getUpdater, schemaFragments, updaters, type ImageTarget } from '../../src/gitops/updaters/index.js';
import { defaultConfigData } from '../support/harness.js';
import { crlf, D1, manifestError, WEB } from './helpers.js';

/**
 * Every registered format against one contract. `samples` is a Record over Format, so a new
 * format does not compile until it brings a sample and so passes through these tests; its
 * schema fragment (src/gitops/updaters/<format>/schema.ts) is held to the deploy-file schema.
 */
interface Sample {
  file: DeployFile;
  content: string;
  /** 1-based line of the web image's value (v1.0.0) */
  line: number;
}

const samples: Record<Format, Sample> = {
  kubernetes: {
    file: { file: 'k8s/web.yaml', format: 'kubernetes' },
    content: 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/acme/web:v1.0.0 # app\n',
    line: 7,
  },
  kustomize: {
    file: { file: 'overlays/prod/kustomization.yaml', format: 'kustomize' },
    content: 'resources: [../../base]\nimages:\n  - name: registry.example.com/acme/web\n    newTag: v1.0.0\n',
    line: 4,
  },
  helm: {
    file: { file: 'charts/web/values.yaml', format: 'helm' },
    content: '# values\nimage:\n  repository: registry.example.com/acme/web\n  tag: v1.0.0\n',
    line: 4,
  },
  marathon: {
    file: { file: 'marathon/web.json', format: 'marathon' },
    content: '{\n  "id": "/web",\n  "container": {\n    "docker": {\n      "image": "registry.example.com/acme/web:v1.0.0"\n    }\n  }\n}\n',
    line: 5,
  },
  compose: {
    file: { file: 'compose.yaml', format: 'compose' },
    content: 'services:\n  web:\n    image: registry.example.com/acme/web:v1.0.0\n    ports: ["80:80"]\n',
    line: 3,
  },
  flux: {
    file: { file: 'clusters/prod/web.yaml', format: 'flux', policies: { web: 'flux-system:web' } },
    content: 'spec:\n  values:\n    image: registry.example.com/acme/web:v1.0.0 # {"$imagepolicy": "flux-system:web"}\n',
    line: 3,
  },
};

/** Entries a format's own check refuses, with the message and the key it names (none: the format has no check). */
const refused: Partial<Record<Format, { entry: Partial<DeployFile>; key: string; message: string }>> = {
  helm: { entry: { paths: { digest: 'image.digest' } }, key: 'paths', message: 'helm paths need image, or repository and/or tag' },
  flux: { entry: { policies: {} }, key: 'policies', message: 'flux files need policies.web ("namespace:name" of its image policy)' },
};

/** Config issues for one deploy-file entry as prod's only file of app web. */
function entryIssues(file: DeployFile): { path: string; message: string }[] {
  const data = defaultConfigData();
  data.apps.web.deploy.prod = [file];
  const r = ConfigSchema.safeParse(data);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const target = (tag: string, pin = false): ImageTarget => ({ name: 'web', repository: WEB, tag, digest: D1, pin });

/** Lines of `a` and `b` that differ (same line count assumed). */
function differingLines(a: string, b: string): number[] {
  const left = a.split('\n');
  const right = b.split('\n');
  expect(right.length).toBe(left.length);
  return left.flatMap((line, i) => (line === right[i] ? [] : [i + 1]));
}

describe('updater registry', () => {
  it('has one updater per format, registered under its own name', () => {
    for (const [format, updater] of Object.entries(updaters)) {
      expect(updater.format).toBe(format);
      expect(getUpdater(format as Format)).toBe(updater);
    }
  });

  it('builds the deploy-file schema from the common keys and every format\'s fragment, nothing else', () => {
    expect(Object.keys(schemaFragments)).toEqual(Object.keys(updaters));
    const fromFragments = Object.values(schemaFragments).flatMap((f) => Object.keys(f.fields));
    expect(Object.keys(DeployFileSchema.shape).sort()).toEqual([...new Set(['file', 'format', 'images', ...fromFragments])].sort());
  });
});

for (const [format, sample] of Object.entries(samples) as [Format, Sample][]) {
  const updater = updaters[format];
  const { file, content, line } = sample;

  describe(`${format} contract`, () => {
    it('brings a schema fragment whose keys are optional deploy-file keys, defined once', () => {
      const shape: Record<string, unknown> = DeployFileSchema.shape;
      for (const [key, schema] of Object.entries(schemaFragments[format].fields)) {
        expect(shape[key]).toBe(schema);
        expect(schema.safeParse(undefined).success).toBe(true);
      }
      expect(entryIssues(file)).toEqual([]);
    });

    const bad = refused[format];
    if (bad) {
      it('refuses, through the config schema, an entry its own check finds wrong', () => {
        expect(entryIssues({ ...file, ...bad.entry })).toEqual([{ path: `apps.web.deploy.prod.0.${bad.key}`, message: bad.message }]);
      });
    }

    it('reads the image with its line', () => {
      expect(updater.read(content, file, [target('x')])).toEqual([
        { name: 'web', ref: `${WEB}:v1.0.0`, repository: WEB, tag: 'v1.0.0', line },
      ]);
    });

    it('reads nothing for an image the file does not carry', () => {
      expect(updater.read(content, file, [{ name: 'api', repository: 'registry.example.com/acme/api' }])).toEqual([]);
    });

    it('leaves an unchanged target alone: no changes, identical content', () => {
      const result = updater.update(content, file, [target('v1.0.0')]);
      expect(result.changes).toEqual([]);
      expect(result.content).toBe(content);
    });

    it('changes only the image line, reports it, and is idempotent', () => {
      const result = updater.update(content, file, [target('v2.0.0')]);
      expect(differingLines(content, result.content)).toEqual([line]);
      expect(result.content.split('\n')[line - 1]).toContain('v2.0.0');
      expect(result.changes).toEqual([{ file: file.file, line, image: 'web', before: `${WEB}:v1.0.0`, after: `${WEB}:v2.0.0` }]);
      expect(updater.read(result.content, file, [target('x')]).map((f) => f.tag)).toEqual(['v2.0.0']);
      expect(updater.update(result.content, file, [target('v2.0.0')]).changes).toEqual([]);
    });

    it('pins by digest, and unpinning restores the file byte for byte', () => {
      const pinned = updater.update(content, file, [target('v1.0.0', true)]);
      expect(pinned.changes).toHaveLength(1);
      expect(pinned.changes[0]?.after).toBe(`${WEB}:v1.0.0@${D1}`);
      const [found] = updater.read(pinned.content, file, [target('x')]);
      expect(found).toMatchObject({ tag: 'v1.0.0', digest: D1 });
      expect(updater.update(pinned.content, file, [target('v1.0.0')]).content).toBe(content);
    });

    it('keeps CRLF line endings', () => {
      const lf = updater.update(content, file, [target('v2.0.0', true)]).content;
      expect(updater.update(crlf(content), file, [target('v2.0.0', true)]).content).toBe(crlf(lf));
    });

    it('says MANIFEST_IMAGE_NOT_FOUND, naming the image and the file, for a missing image', () => {
      const error = manifestError(() =>
        updater.update(content, file, [{ name: 'api', repository: 'registry.example.com/acme/api', tag: 'v1', pin: false }]),
      );
      expect(error.code).toBe('MANIFEST_IMAGE_NOT_FOUND');
      expect(error.message).toContain(file.file);
      expect(error.message).toContain('api');
    });

    it('says MANIFEST_INVALID with the line for a file that does not parse', () => {
      const garbage = 'services:\n  web: [unclosed\n  - {\n';
      const error = manifestError(() => updater.update(garbage, file, [target('v2.0.0')]));
      expect(error.code).toBe('MANIFEST_INVALID');
      expect(error.line).toBeGreaterThanOrEqual(1);
      expect(error.message).toContain(`${file.file} line ${error.line}:`);
      expect(() => updater.read(garbage, file, [target('x')])).toThrow(/line \d+/);
    });

    it('rejects malformed targets before touching the file', () => {
      for (const bad of [
        { ...target('v2.0.0'), tag: 'v2 0' },
        { ...target('v2.0.0'), tag: 'v2\n# injected' },
        { ...target('v2.0.0', true), digest: 'sha256:nothex' },
        { name: 'web', repository: WEB, tag: 'v2', pin: true },
      ]) {
        expect(() => updater.update(content, file, [bad])).toThrow(GantryError);
      }
    });
  });
}
