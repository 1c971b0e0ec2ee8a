import path from 'node:path';
import { readEnv } from '../config/env.js';
import { loadConfigSources } from '../config/load.js';
import { secretRedactor } from '../config/redact.js';
import { configLeaves, configYaml, originText, printablePath } from '../config/show-origin.js';
import { chooseConfigDir } from './config-dir.js';

/**
 * `gantry config print`: the merged, validated config gantry would run with, and where each key
 * came from (`# <file>:<line>`, or `# default` where the schema filled it in). Reads only the
 * files; connects to nothing. A bad config fails as it would at start: file, line and key.
 */
export function configPrintCommand(flags: { config?: string; json?: boolean }): number {
  const choice = chooseConfigDir(flags.config, readEnv());
  const { loaded, sources } = loadConfigSources(choice.dir);
  const redact = secretRedactor(process.env, loaded.config);
  // every file is in the one directory the header names
  const name = (file: string) => path.relative(loaded.dir, file);
  if (flags.json) {
    // entries, not assignments: a pointer is built from outside keys
    const leaves = configLeaves(loaded.config, sources);
    const origins = Object.fromEntries(leaves.map((l) => [jsonPointer(l.path), originText(l.origin, name)]));
    const doc = { dir: loaded.dir, from: choice.from, files: loaded.files, config: loaded.config, origins };
    const strings = (_key: string, value: unknown) => (typeof value === 'string' ? redact(value) : value);
    process.stdout.write(`${JSON.stringify(doc, strings, 2)}\n`);
    return 0;
  }
  const files = loaded.files.map((f) => `#   ${printablePath(f)}`);
  const header = [`# gantry config: ${printablePath(loaded.dir)} (${choice.from})`, ...files];
  process.stdout.write(`${header.join('\n')}\n\n${configYaml(loaded.config, sources, { redact, name })}`);
  return 0;
}

/** RFC 6901: `/environments/prod/freeze/0/cron`. */
function jsonPointer(path: (string | number)[]): string {
  return path.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
