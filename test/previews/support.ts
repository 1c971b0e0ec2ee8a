import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, ROOT } from '../support/harness.js';
import { tempDir } from '../support/env.js';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'previews');
export const DIGEST1 = `sha256:${'1'.repeat(64)}`;
export const DIGEST2 = `sha256:${'2'.repeat(64)}`;
export const IMAGE1 = `registry.example.com/acme/web@${DIGEST1}`;
export const IMAGE2 = `registry.example.com/acme/web@${DIGEST2}`;

/** The example deploy repo plus the preview template at templates/preview (its files: `extra` replaces or adds). */
export function previewSeed(name: string, extra: Record<string, string> = {}): { dir: string; remove(): void } {
  const tmp = tempDir(`${name}-seed`);
  cpSync(EXAMPLES, tmp.dir, { recursive: true });
  const template = path.join(tmp.dir, 'templates', 'preview');
  mkdirSync(template, { recursive: true });
  cpSync(path.join(FIXTURES, 'template'), template, { recursive: true });
  for (const [file, text] of Object.entries(extra)) writeFileSync(path.join(template, file), text);
  return { dir: tmp.dir, remove: tmp.remove };
}

/** apps.web.previews for the tests; `more` overrides keys. */
export function withPreviews(more: Record<string, unknown> = {}): (data: Record<string, any>) => void {
  return (data) => {
    data.apps.web.previews = { template: 'templates/preview', host: '${app}-pr-${pr}.preview.example.com', label: 'preview', limit: 3, ...more };
  };
}

/** The expected files of web's preview of PR 42 (golden), with `digest` in place of DIGEST1. */
export function expectedPreview(digest = DIGEST1): Map<string, string> {
  const dir = path.join(FIXTURES, 'expected', 'web-pr-42');
  return new Map(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8').replaceAll(DIGEST1, digest)]));
}
