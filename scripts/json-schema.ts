import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { EDITOR_SCHEMAS, editorSchemaText } from '../src/config/json-schema.js';

// writes every editor schema under the directory given (default: the working directory, the repo root)
const root = path.resolve(process.argv[2] ?? '.');
for (const schema of EDITOR_SCHEMAS) {
  const out = path.join(root, schema.file);
  writeFileSync(out, editorSchemaText(schema));
  process.stdout.write(`wrote ${out}\n`);
}
