import { readFileSync } from 'node:fs';
import path from 'node:path';
// ajv is in node_modules through kubernetes-models (a dev dependency); it checks the JSON files as editors read them
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { configJsonSchema, EDITOR_SCHEMAS, editorSchemaText, repoConfigJsonSchema } from '../../src/config/json-schema.js';
import { RepoConfigSchema } from '../../src/images/repo-config.js';
import { defaultConfigData, ROOT } from '../support/harness.js';

const EXAMPLE = path.join(ROOT, 'config', 'examples', 'github', 'gantry.yml');

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every place an editor shows help for a key: each object property and each record value (a
 * schema in additionalProperties), at every depth, through items, unions and $defs. Returns the
 * paths of those without a description, and how many were seen.
 */
function undescribed(schema: Node): { missing: string[]; seen: number } {
  const missing: string[] = [];
  let seen = 0;
  const check = (node: Node, at: string) => {
    seen++;
    if (typeof node.description !== 'string' || node.description.trim() === '') missing.push(at);
  };
  const walk = (node: unknown, at: string): void => {
    if (!isNode(node)) return;
    for (const [key, child] of Object.entries(isNode(node.properties) ? node.properties : {})) {
      if (isNode(child)) check(child, `${at}.${key}`);
      walk(child, `${at}.${key}`);
    }
    if (isNode(node.additionalProperties)) {
      check(node.additionalProperties, `${at}.*`);
      walk(node.additionalProperties, `${at}.*`);
    }
    walk(node.items, `${at}[]`);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const branches = node[key];
      if (Array.isArray(branches)) branches.forEach((b, i) => walk(b, `${at}<${key} ${i}>`));
    }
    for (const [name, def] of Object.entries(isNode(node.$defs) ? node.$defs : {})) walk(def, `$defs.${name}`);
  };
  walk(schema, '');
  return { missing, seen };
}

function validator(schema: Node) {
  // zod writes `type: [string, number, boolean]` for a union of scalars: plain JSON Schema, but not ajv's strict default
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

describe('JSON Schemas for editors', () => {
  it.each(EDITOR_SCHEMAS.map((s) => [s.file, s] as const))('%s is what `npm run schema` generates', (file, schema) => {
    expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(editorSchemaText(schema));
  });

  it('the walk finds an undescribed property, record value and union branch key', () => {
    const probe = z.object({
      a: z.string().describe('a'),
      b: z.string(),
      r: z.record(z.string(), z.object({ x: z.number() })).describe('r'),
      u: z.union([z.string(), z.object({ y: z.boolean() })]).describe('u'),
      l: z.array(z.object({ z: z.string() })).describe('l'),
    });
    expect(undescribed(z.toJSONSchema(probe) as Node).missing).toEqual(['.b', '.r.*', '.r.*.x', '.u<anyOf 1>.y', '.l[].z']);
  });

  // the key counts guard the walk itself: a walk that stopped early would find nothing missing
  it.each([
    ['config/gantry.schema.json', configJsonSchema, 150],
    ['config/gantry-repo.schema.json', repoConfigJsonSchema, 25],
  ] as const)('every key of %s has a description', (_file, generate, keys) => {
    const { missing, seen } = undescribed(generate());
    expect(missing).toEqual([]);
    expect(seen).toBeGreaterThanOrEqual(keys);
  });

  it('the repo schema is titled for its file and carries the root description', () => {
    const schema = repoConfigJsonSchema();
    expect(schema.title).toBe('.github/gantry.yml');
    expect(schema.description).toMatch(/GitHub App/);
  });
});

describe('the documented .github/gantry.yml (config/examples/github/gantry.yml)', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('starts with the yaml-language-server line, pointing at the committed repo schema', () => {
    const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    expect(m).not.toBeNull();
    expect(path.resolve(path.dirname(EXAMPLE), m![1]!)).toBe(path.join(ROOT, 'config', 'gantry-repo.schema.json'));
  });

  it('is valid for the zod schema and for the JSON Schema, which both refuse a broken copy', () => {
    const data = parse(text) as Node;
    const rc = RepoConfigSchema.parse(data);
    expect(Object.keys(rc.images)).toEqual(['web']);
    expect(rc.test?.command).toEqual(['/bin/app', '--self-test']);
    const valid = validator(repoConfigJsonSchema());
    expect(valid(data), JSON.stringify(valid.errors)).toBe(true);

    const broken = { ...data, builds: { ...(data.builds as Node), pullRequest: true } };
    expect(RepoConfigSchema.safeParse(broken).success).toBe(false);
    expect(valid(broken)).toBe(false);
    expect(valid.errors?.[0]).toMatchObject({ instancePath: '/builds', keyword: 'additionalProperties', params: { additionalProperty: 'pullRequest' } });
  });
});

describe('config/gantry.schema.json', () => {
  it('accepts the shipped demo config and refuses a misspelt key', () => {
    const valid = validator(configJsonSchema());
    const data = defaultConfigData();
    expect(valid(data), JSON.stringify(valid.errors)).toBe(true);
    data.deployRepo.pushRetry = 3;
    expect(valid(data)).toBe(false);
    expect(valid.errors?.[0]).toMatchObject({ instancePath: '/deployRepo', params: { additionalProperty: 'pushRetry' } });
  });
});
