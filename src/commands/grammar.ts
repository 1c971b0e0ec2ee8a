import { GantryError } from '../domain/errors.js';
import { msg, type Message } from '../i18n/voice.js';

/** One grammar for every chat platform and the shell (DESIGN.md "Commands"). */
export const USAGE = {
  promote: '/promote [app] <version> <env> [--force "reason"]',
  rollback: '/rollback [app] <env> [version] [--force "reason"]',
  approve: '/approve <id>',
  deny: '/deny <id> [reason]',
  status: '/status [app] [env]',
  history: '/history [app] <env> [n]',
  releases: '/releases [app]',
  previews: '/previews [app]',
  diff: '/diff [app] <envA> <envB>',
  stats: '/stats [app] [env] [period]',
  verify: '/verify [app] <env>',
  lock: '/lock <env> [reason]',
  unlock: '/unlock <env>',
  block: '/block [app] <version> [reason]',
  unblock: '/unblock [app] <version>',
  shift: '/shift [app] <env> <n>% [--force "reason"]',
  switch: '/switch [app] <env> [--force "reason"]',
  help: '/help [command]',
  login: '/gantry login',
} as const;

export type CommandName = keyof typeof USAGE;


/** A command as typed: its name, positional words and options. */
export interface ParsedCommand {
  name: CommandName;
  args: string[];
  force?: string;
  /** `/promote --from staging prod`: every app's version in that environment, as one bundle */
  from?: string;
}

const MAX_INPUT = 2000;

/** Commands that take `--force "reason"` past a lock or freeze window (break-glass). */
const FORCE_COMMANDS: ReadonlySet<CommandName> = new Set(['promote', 'rollback', 'shift', 'switch']);

/** Splits a line into words, honouring "double" and 'single' quotes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'" || ch === '\u201c' || ch === '\u201d') {
      quote = ch === '\u201c' || ch === '\u201d' ? '"' : ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new GantryError('COMMAND_USAGE', msg('error.grammar.unclosed-quote'));
  if (inWord) out.push(cur);
  return out;
}

/**
 * Parses `/promote v1.2 prod --force "why"` into a command. Only the shape is checked here; names
 * are resolved against the config by the handlers.
 */
export function parseCommand(line: string): ParsedCommand {
  if (line.length > MAX_INPUT) {
    throw new GantryError('INPUT_INVALID', msg('error.grammar.too-long', { length: String(line.length), max: String(MAX_INPUT) }));
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line)) throw new GantryError('INPUT_INVALID', msg('error.grammar.control-characters'));
  const words = tokenize(line.trim());
  // `/gantry login`, `gantry status prod`: the umbrella word Slack's /gantry command uses, accepted everywhere
  if (words.length > 1 && /^\/?gantry$/i.test(words[0]!)) words.shift();
  const first = words.shift();
  if (!first) throw new GantryError('COMMAND_USAGE', msg('error.grammar.empty', { example: USAGE.promote }));
  const name = first.replace(/^\//, '').toLowerCase();
  if (!isCommandName(name)) {
    const known = Object.keys(USAGE).map((c) => `/${c}`).join(' ');
    throw new GantryError('COMMAND_UNKNOWN', msg('error.grammar.unknown-command', { command: sanitize(first), known }));
  }
  const args: string[] = [];
  let force: string | undefined;
  let from: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--force' || w.startsWith('--force=')) {
      if (!FORCE_COMMANDS.has(name)) throw usage(name, msg('error.grammar.force-elsewhere'));
      const value = w.startsWith('--force=') ? w.slice('--force='.length) : words[++i];
      if (!value || value.startsWith('--')) throw usage(name, msg('error.grammar.force-reason'));
      force = value;
    } else if (w === '--from' && name === 'promote') {
      from = words[++i];
      if (!from || from.startsWith('--')) throw usage(name, msg('error.bundle.args'));
    } else if (w.startsWith('--')) {
      throw usage(name, msg('error.grammar.unknown-option', { option: sanitize(w) }));
    } else {
      args.push(w);
    }
  }
  const cmd: ParsedCommand = force !== undefined ? { name, args, force } : { name, args };
  if (from !== undefined) cmd.from = from;
  return cmd;
}

/** Commands whose answer is for the asker alone (a sign-in link): faces deliver it privately and post no thread. */
const PRIVATE_COMMANDS: ReadonlySet<CommandName> = new Set(['login']);

/** Whether `line` is a command whose answer must reach only the asker; a line that does not parse is not. */
export function isPrivateLine(line: string): boolean {
  try {
    return PRIVATE_COMMANDS.has(parseCommand(line).name);
  } catch {
    return false;
  }
}

/** Own keys only: `constructor` or `toString` is no command although every object has one. */
export function isCommandName(s: string): s is CommandName {
  return Object.hasOwn(USAGE, s);
}

/** A malformed command: what is wrong with it; its usage line goes with every rendering. */
export function usage(name: CommandName, problem: string | Message): GantryError {
  return new GantryError('COMMAND_USAGE', problem, { usage: name, usageLine: USAGE[name] });
}

const HOUR_MS = 3_600_000;
/** The longest /stats period: the rollout store keeps followed deploys 90 days. */
export const MAX_PERIOD_MS = 90 * 24 * HOUR_MS;
export const DEFAULT_PERIOD_MS = 30 * 24 * HOUR_MS;

/** Names (apps, environments) start with a letter: a word starting with a digit means a period. */
export const looksLikePeriod = (word: string): boolean => /^\d/.test(word);

/** `24h`, `7d`, `30d`: hours or days, from 1h to 90d; anything else is a usage error of `name`. */
export function parsePeriod(name: CommandName, word: string): number {
  const m = /^(\d{1,4})([hd])$/.exec(word);
  const ms = m ? Number(m[1]) * (m[2] === 'd' ? 24 : 1) * HOUR_MS : NaN;
  if (!(ms >= HOUR_MS && ms <= MAX_PERIOD_MS)) throw usage(name, msg('error.stats.period', { word: `"${sanitize(word)}"` }));
  return ms;
}

/** Quotes user input in a reply without letting it break the reply (or a terminal). */
export function sanitize(s: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
