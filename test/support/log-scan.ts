import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Scans logs (and anything else that must stay clean) for secrets, in the forms a secret leaks
 * in: as it is, base64 (HTTP Basic, git's extraHeader), URL-encoded (in a URL), and for the deploy
 * token the `x-access-token:<token>` Basic credential gantry builds from it.
 */
export interface Secret {
  name: string;
  value: string;
}

export interface Leak {
  secret: string;
  form: string;
  source: string;
  line: number;
  /** the line with the secret masked, so the report does not leak it again */
  excerpt: string;
}

/** The needles to look for, per secret. Short or blank values are refused: they would match anything. */
export function secretForms(s: Secret): { form: string; needle: string }[] {
  if (s.value.trim().length < 8) throw new Error(`secret ${s.name} is too short to scan for reliably`);
  const forms = new Map<string, string>();
  const add = (needle: string, form: string) => {
    if (!forms.has(needle)) forms.set(needle, form); // a form equal to an earlier one is that one
  };
  add(s.value, 'as is');
  add(Buffer.from(s.value).toString('base64').replace(/=+$/, ''), 'base64');
  add(Buffer.from(`x-access-token:${s.value}`).toString('base64').replace(/=+$/, ''), 'base64 x-access-token credential');
  add(encodeURIComponent(s.value), 'URL-encoded');
  add(JSON.stringify(s.value).slice(1, -1), 'JSON-escaped');
  return [...forms].filter(([needle]) => needle.length >= 8).map(([needle, form]) => ({ form, needle }));
}

/** Every line of every source that carries any form of any secret. */
export function scanText(sources: { name: string; text: string }[], secrets: Secret[]): Leak[] {
  const needles = secrets.flatMap((s) => secretForms(s).map((f) => ({ ...f, secret: s.name })));
  const leaks: Leak[] = [];
  for (const src of sources) {
    src.text.split('\n').forEach((line, i) => {
      for (const n of needles) {
        if (!line.includes(n.needle)) continue;
        leaks.push({ secret: n.secret, form: n.form, source: src.name, line: i + 1, excerpt: mask(line, needles.map((x) => x.needle)).slice(0, 300) });
      }
    });
  }
  return leaks;
}

/** The files of a directory tree (skipping git objects, which are compressed anyway), as sources. */
export function readTree(dir: string, maxBytes = 5 * 1024 * 1024): { name: string; text: string }[] {
  if (!existsSync(dir)) return [];
  const out: { name: string; text: string }[] = [];
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    if (rel.split(path.sep).includes('objects')) continue;
    const file = path.join(dir, rel);
    const st = statSync(file);
    if (st.isFile() && st.size <= maxBytes) out.push({ name: file, text: readFileSync(file, 'latin1') });
  }
  return out;
}

/** A readable failure message: which secret, in which form, where; never the secret itself. */
export function describeLeaks(leaks: Leak[]): string {
  return leaks.map((l) => `${l.secret} (${l.form}) in ${l.source} line ${l.line}: ${l.excerpt}`).join('\n');
}

function mask(line: string, needles: string[]): string {
  let out = line;
  for (const n of needles) out = out.split(n).join('[SECRET]');
  return out;
}
