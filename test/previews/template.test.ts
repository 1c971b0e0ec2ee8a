import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { ManifestError } from '../../src/domain/errors.js';
import { previewValues, renderTemplate } from '../../src/previews/template.js';
import { defaultConfigData } from '../support/harness.js';
import { IMAGE1, withPreviews } from './support.js';

const values = () => previewValues({ app: 'web', pr: 42, hostPattern: '${app}-pr-${pr}.preview.example.com', image: IMAGE1 });

describe('preview templates', () => {
  it('fills every placeholder in text, leaves the rest byte for byte, and $${ writes a literal ${', () => {
    const out = renderTemplate([{ path: 'a.yaml', content: 'name:  ${name}   # ${pr}\nimage: "${image}"\nhost: ${host}\nenv: $${HOME} ${app}\n' }], values());
    expect(out).toEqual([{ path: 'a.yaml', content: `name:  web-pr-42   # 42\nimage: "${IMAGE1}"\nhost: web-pr-42.preview.example.com\nenv: \${HOME} web\n` }]);
  });

  it('an unknown or unclosed placeholder is an error naming the file and the line', () => {
    const files = [{ path: 'ok.yaml', content: '${name}\n' }, { path: 'deploy.yaml', content: 'a: 1\nb: 2\nns: ${namespace}\n' }];
    const e = (() => {
      try {
        renderTemplate(files, values());
      } catch (err) {
        return err as ManifestError;
      }
    })();
    expect(e).toBeInstanceOf(ManifestError);
    expect(e!.code).toBe('MANIFEST_INVALID');
    expect(e!.message).toMatch(/^deploy\.yaml line 3: unknown placeholder \$\{namespace\} \(known: \$\{name\}, \$\{host\}, \$\{image\}, \$\{pr\}, \$\{app\}/);
    expect(() => renderTemplate([{ path: 'x.yaml', content: 'a\nimage: ${image\n' }], values())).toThrow(/^x\.yaml line 2: unclosed placeholder \$\{image/);
    // a key of Object.prototype is no placeholder either
    expect(() => renderTemplate([{ path: 'p.yaml', content: '${constructor}' }], values())).toThrow(/unknown placeholder \$\{constructor\}/);
  });

  it('values are checked before anything is substituted: only a digest-pinned image, DNS names', () => {
    const v = (o: Partial<Parameters<typeof previewValues>[0]>) => () => previewValues({ app: 'web', pr: 42, hostPattern: '${app}-pr-${pr}.preview.example.com', image: IMAGE1, ...o });
    expect(v({ image: 'registry.example.com/acme/web:pr-42-1a2b3c4' })).toThrow(/not an image reference pinned by a sha256 digest/);
    expect(v({ image: `${IMAGE1}\nkind: Secret` })).toThrow(/INPUT_INVALID|pinned by a sha256 digest/);
    expect(v({ image: `registry.example.com/acme/web@sha256:${'1'.repeat(63)}"` })).toThrow(/pinned by a sha256 digest/);
    expect(v({ pr: 0 })).toThrow(/not a positive integer/);
    expect(v({ app: 'a'.repeat(60) })).toThrow(/is not a DNS label/);
    expect(v({ hostPattern: '${app}-pr-${pr}..example.com' })).toThrow(/is not a DNS name/);
  });
});

describe('apps.<app>.previews in the config', () => {
  const parse = (more: Record<string, unknown>) => {
    const data = defaultConfigData();
    withPreviews(more)(data);
    return ConfigSchema.safeParse(data);
  };
  const issues = (more: Record<string, unknown>) => {
    const r = parse(more);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes a valid block with its defaults', () => {
    const r = parse({});
    expect(r.success).toBe(true);
    expect(r.data!.apps.web!.previews).toEqual({ template: 'templates/preview', host: '${app}-pr-${pr}.preview.example.com', path: 'previews/${app}-pr-${pr}', on: 'label', label: 'preview', branches: [], ttl: '7d', limit: 3 });
  });

  it('refuses what cannot work, saying where', () => {
    expect(issues({ on: 'branches' })).toEqual(['apps.web.previews.branches: on: branches needs at least one pattern in branches']);
    expect(issues({ image: 'api' })).toEqual([`apps.web.previews.image: image "api" is not one of the app's images (web)`]);
    expect(issues({ path: 'previews/${pr}/web' })).toEqual(['apps.web.previews.path: must have ${pr} in its last segment (one directory per pull request), e.g. previews/${app}-pr-${pr}']);
    expect(issues({ path: '../x-${pr}' })[0]).toMatch(/^apps\.web\.previews\.path: must be a relative path/);
    expect(issues({ path: 'previews/${namespace}-${pr}' })).toEqual(['apps.web.previews.path: may use only the placeholders ${app} and ${pr}']);
    expect(issues({ host: 'x y.example.com' })[0]).toMatch(/^apps\.web\.previews\.host: must be a host name pattern/);
    expect(issues({ limit: 0 })[0]).toMatch(/^apps\.web\.previews\.limit:/);
    expect(issues({ ttl: 'soon' })[0]).toMatch(/^apps\.web\.previews\.ttl: must be a duration/);
    expect(issues({ templat: 'x' })[0]).toMatch(/^apps\.web\.previews: Unrecognized key/);
  });
});
