import { GantryError } from '../domain/errors.js';
import { ENV_GROUPS, ENV_NAMES, ENV_PATTERNS, ENV_VARS } from './env-vars.js';
import type { EnvGroup, EnvName, EnvVarSpec } from './env-vars.js';

/**
 * The README's environment table and `.env.example`, both made from the declaration
 * (src/config/env-vars.ts) by `npm run docs`; a test regenerates them and compares, so neither
 * drifts from what gantry reads.
 */

export const ENV_TABLE_START = '<!-- env-table:start -->';
export const ENV_TABLE_END = '<!-- env-table:end -->';
const GENERATED = 'Generated from src/config/env-vars.ts by `npm run docs`: edit there, not here.';

const spec = (name: EnvName): EnvVarSpec => ENV_VARS[name];
const inGroup = (group: EnvGroup) => ENV_NAMES.filter((name) => spec(name).group === group);
const patternsIn = (group: EnvGroup) => ENV_PATTERNS.filter((p) => p.group === group);
const groupsUsed = () => ENV_GROUPS.filter((g) => inGroup(g).length > 0 || patternsIn(g).length > 0);

/** The description, then a sentence naming the variable's other names. */
function describe(name: EnvName): string {
  const s = spec(name);
  const names = [
    ...(s.aliases ?? []).map((a) => `\`${a}\``),
    ...(s.fileAliases ?? []).map((a) => `\`${a}\` (for \`${name}_FILE\`)`),
  ];
  if (names.length === 0) return s.description;
  return `${s.description}. Probot's ${names.join(' and ')} work${names.length === 1 ? 's' : ''} too`;
}

function defaultText(name: EnvName): string {
  const s = spec(name);
  return s.default !== undefined ? `\`${s.default}\`` : (s.defaultNote ?? '');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The markdown between the README's markers: one table per group. */
export function renderEnvTable(): string {
  const parts = [
    `_${GENERATED} Each secret may instead come as \`NAME_FILE\`, the path of a file holding it._`,
  ];
  for (const group of groupsUsed()) {
    const rows = inGroup(group).map((name) => {
      const s = spec(name);
      return `| \`${name}\` | ${cell(defaultText(name))} | ${cell(describe(name))} | ${s.secret ? 'yes' : ''} |`;
    });
    for (const p of patternsIn(group)) rows.push(`| \`${p.pattern}\` |  | ${cell(p.description)} |  |`);
    const head = '| variable | default | description | secret |\n| --- | --- | --- | --- |';
    parts.push(`**${group}**\n\n${head}\n${rows.join('\n')}`);
  }
  return parts.join('\n\n');
}

/** `readme` with the text between its env-table markers replaced by renderEnvTable(). */
export function withEnvTable(readme: string, where = 'README.md'): string {
  const start = readme.indexOf(ENV_TABLE_START);
  const end = readme.indexOf(ENV_TABLE_END);
  if (start < 0 || end < start || readme.indexOf(ENV_TABLE_START, start + 1) >= 0) {
    throw new GantryError('CONFIG_INVALID', `${where}: needs one ${ENV_TABLE_START} followed by one ${ENV_TABLE_END}`);
  }
  return `${readme.slice(0, start + ENV_TABLE_START.length)}\n${renderEnvTable()}\n${readme.slice(end)}`;
}

/** Comment lines of at most `width` characters; markdown's backticks left out. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.replace(/`/g, '').split(/\s+/).filter(Boolean)) {
    if (line.length > 1 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

function exampleEntry(name: EnvName): string[] {
  const s = spec(name);
  if (s.fromSystem) return comment(`${name}: ${s.description}.`);
  const def = defaultText(name);
  const lines = comment(`${describe(name)}.${def ? ` Default: ${def}.` : ''}${s.secret ? ' Secret.' : ''}`);
  lines.push(`#${name}=${s.default ?? s.example ?? ''}`);
  if (s.secret) lines.push(`#${name}_FILE=/run/secrets/${name.toLowerCase()}`);
  return lines;
}

/** `.env.example`: every variable commented out, grouped, with its description and default. */
export function renderEnvExample(): string {
  const out = [
    ...comment(`gantry's environment. ${GENERATED}`),
    ...comment(
      'Copy it to .env, then uncomment and fill in what you use; an empty value counts as unset. ' +
        'A secret may instead come as NAME_FILE, the path of a file holding it (as Kubernetes and compose ' +
        'mount secrets), never both. The variables the config names (urlEnv, secretEnv, routingKeyEnv) ' +
        'may come as NAME_FILE too.',
    ),
  ];
  for (const group of groupsUsed()) {
    out.push('', `# ---- ${group} ----`);
    for (const name of inGroup(group)) out.push('', ...exampleEntry(name));
    for (const p of patternsIn(group)) out.push('', ...comment(`${p.pattern}: ${p.description}.`));
  }
  return `${out.join('\n')}\n`;
}
