import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderEnvExample, withEnvTable } from '../src/config/env-docs.js';

/** `npm run docs`: the README's environment table and .env.example, from src/config/env-vars.ts. */
const root = path.resolve(process.argv[2] ?? '.');
const readme = path.join(root, 'README.md');
writeFileSync(readme, withEnvTable(readFileSync(readme, 'utf8')));
const example = path.join(root, '.env.example');
writeFileSync(example, renderEnvExample());
process.stdout.write(`wrote ${readme} (environment table), ${example}\n`);
