/**
 * The part of Go's text/template (with Sprig's toJson) that gantry's Argo CD template uses:
 * `{{.a.b}}` and `{{toJson .a.b}}`. A missing field prints `<no value>` and is `null` in toJson,
 * as in Go when a map has no such key. Any other action throws, so a template that grows beyond
 * this subset fails the test instead of being rendered wrongly.
 */
export function renderGoTemplate(template: string, data: Record<string, unknown>): string {
  return template.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_all, action: string) => {
    const field = /^\.([A-Za-z0-9_.]+)$/.exec(action);
    if (field) {
      const v = lookup(data, field[1]!);
      return v === undefined ? '<no value>' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    }
    const json = /^toJson\s+\.([A-Za-z0-9_.]+)$/.exec(action);
    if (json) return JSON.stringify(lookup(data, json[1]!) ?? null);
    throw new Error(`renderGoTemplate: unsupported action {{${action}}}`);
  });
}

function lookup(data: unknown, path: string): unknown {
  let v: unknown = data;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
