import { GantryError, ManifestError } from '../domain/errors.js';
import { tryParseImageRef } from '../domain/image-ref.js';

/**
 * The placeholders of a preview template: `${name}`, `${host}`, `${image}`, `${pr}`, `${app}`,
 * substituted in the text of every file. `$${` writes a literal `${`. Nothing else is expanded: a
 * template is data from the deploy repo, so an unknown placeholder is an error naming its file and
 * line, never left in place or guessed at.
 */
export const PLACEHOLDERS = ['name', 'host', 'image', 'pr', 'app'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PreviewValues = Record<Placeholder, string>;

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOKEN = /\$\$\{|\$\{([^}\n]*)\}?/g;

/**
 * The values, each checked before it goes into any file: a name that is one DNS label, a host of
 * DNS labels, an image pinned by digest, a pull-request number. Each of them is plain in YAML and
 * JSON (no quote, colon-space, newline or `#`), so a substitution cannot add structure.
 */
export function previewValues(o: { app: string; pr: number; hostPattern: string; image: string }): PreviewValues {
  if (!Number.isSafeInteger(o.pr) || o.pr < 1) throw new GantryError('INPUT_INVALID', `preview: pull request number ${String(o.pr)} is not a positive integer`);
  const pr = String(o.pr);
  const name = `${o.app}-pr-${pr}`;
  if (!DNS_LABEL.test(name)) throw new GantryError('INPUT_INVALID', `preview: "${name}" is not a DNS label (at most 63 lower-case letters, digits and dashes)`);
  const host = o.hostPattern.replaceAll('${app}', o.app).replaceAll('${pr}', pr);
  if (host.length > 253 || !host.split('.').every((l) => DNS_LABEL.test(l))) {
    throw new GantryError('INPUT_INVALID', `preview: host "${host}" is not a DNS name`);
  }
  const ref = tryParseImageRef(o.image);
  if (!ref?.digest || !/^sha256:[0-9a-f]{64}$/.test(ref.digest)) {
    throw new GantryError('INPUT_INVALID', `preview: image "${o.image.slice(0, 200)}" is not an image reference pinned by a sha256 digest`);
  }
  return { name, host, image: o.image, pr, app: o.app };
}

/** The template's files with every placeholder filled in; throws on the first unknown one. */
export function renderTemplate(files: readonly { path: string; content: string }[], values: PreviewValues): { path: string; content: string }[] {
  return files.map((f) => ({ path: f.path, content: renderText(f.path, f.content, values) }));
}

function renderText(file: string, text: string, values: PreviewValues): string {
  return text.replace(TOKEN, (token: string, name: string | undefined, offset: number) => {
    if (token === '$${') return '${';
    if (token.endsWith('}') && name !== undefined && Object.hasOwn(values, name)) return values[name as Placeholder];
    const line = text.slice(0, offset).split('\n').length;
    const what = token.endsWith('}') ? `unknown placeholder ${token}` : `unclosed placeholder ${token}`;
    throw new ManifestError('MANIFEST_INVALID', file, line, `${what} (known: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')}; $\${ writes a literal \${)`);
  });
}
