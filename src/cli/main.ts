import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GantryError, isGantryError } from '../domain/errors.js';
import { isLocalMode, readEnv } from '../config/env.js';
import { packageVersion } from './package-info.js';

/** Exit codes of every subcommand. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

/** One `gantry <name>`: its usage and help text, its options and positionals, and what it runs. */
interface Subcommand {
  usage: string;
  summary: string;
  /** the help text below the usage line: each option, one a line */
  details: string;
  options: Options;
  /** how many positionals it takes */
  positionals: [min: number, max: number];
  run(values: Values, positionals: string[]): Promise<number>;
}

const CONFIG_HELP = '  --config <dir>   the config directory (default: GANTRY_CONFIG, else the package\'s config/)';
const config: Options = { config: { type: 'string' } };
const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
const common = (v: Values) => (str(v, 'config') ? { config: str(v, 'config')! } : {});
const serveRole = (role: 'web' | 'worker', summary: string): Subcommand => ({
  usage: `gantry ${role} [--config <dir>]`,
  summary,
  details: CONFIG_HELP,
  options: config,
  positionals: [0, 0],
  run: async (v) => (await import('./serve.js')).serveCommand({ ...common(v), role }),
});

// each subcommand is imported when it runs: local mode and `gantry worker` do not carry Bolt,
// Probot or the DingTalk stream client in memory (each costs 20–30 MB of RSS)
const SUBCOMMANDS: Record<string, Subcommand> = {
  start: {
    usage: 'gantry start [--config <dir>] [--as <user>]',
    summary: 'run gantry: web and workers in one process, or local mode with a shell when no platform credentials are set',
    details: `${CONFIG_HELP}\n  --as <user>      local mode: who types in the shell`,
    options: { ...config, as: { type: 'string' } },
    positionals: [0, 0],
    async run(v) {
      if (!isLocalMode(readEnv())) return (await import('./serve.js')).serveCommand({ ...common(v), role: 'all' });
      return (await import('./shell.js')).shellCommand({
        ...common(v),
        ...(str(v, 'as') ? { as: str(v, 'as')! } : {}),
        banner: 'gantry is running in local mode (no platform credentials set): a private Redis, the deploy repo in .gantry/deploy.git',
      });
    },
  },
  web: serveRole('web', 'only the HTTP faces (webhooks, chat callbacks, API, admin)'),
  worker: serveRole('worker', 'only the workers (deploys, approvals, notifications, builds)'),
  shell: {
    usage: 'gantry shell [--as <user>] [--config <dir>]',
    summary: 'chat commands from standard input, one a line; read from a script, exits 1 when any was refused',
    details: `${CONFIG_HELP}\n  --as <user>      who is typing (default: GANTRY_AS, else your login name)`,
    options: { ...config, as: { type: 'string' } },
    positionals: [0, 0],
    async run(v) {
      return (await import('./shell.js')).shellCommand({ ...common(v), ...(str(v, 'as') ? { as: str(v, 'as')! } : {}) });
    },
  },
  release: {
    usage: 'gantry release add <app> <version> --image <name>=<repo>:<tag>[@sha256:…] [--commit <sha>] [--url <link>]',
    summary: 'register a release built elsewhere (the version: semver such as v1.2.3, or releases.versionPattern)',
    details: `${CONFIG_HELP}\n  --image <spec>   every image of the app, once each\n  --commit <sha>   the source commit\n  --url <link>     the build's page (http or https)`,
    options: { ...config, image: { type: 'string', multiple: true }, commit: { type: 'string' }, url: { type: 'string' } },
    positionals: [3, 3],
    async run(v, [sub, app, version]) {
      if (sub !== 'add') throw new GantryError('COMMAND_USAGE', `unknown release subcommand "${sub}"`);
      const images = Array.isArray(v.image) ? v.image : [];
      if (!images.length) throw new GantryError('COMMAND_USAGE', 'name the images with --image <name>=<repo>:<tag>');
      return (await import('./release.js')).releaseAddCommand({
        ...common(v),
        app: app!,
        version: version!,
        images,
        ...(str(v, 'commit') !== undefined ? { commit: str(v, 'commit')! } : {}),
        ...(str(v, 'url') !== undefined ? { url: str(v, 'url')! } : {}),
      });
    },
  },
  doctor: {
    usage: 'gantry doctor [--config <dir>] [--notify]',
    summary: 'check config, Redis, the deploy repo and Docker',
    details: `${CONFIG_HELP}\n  --notify         send a test message to every notify target`,
    options: { ...config, notify: { type: 'boolean' } },
    positionals: [0, 0],
    async run(v) {
      return (await import('./doctor.js')).doctorCommand({ ...common(v), ...(v.notify === true ? { notify: true } : {}) });
    },
  },
};

const HELP = `gantry: builds images, gates promotions with approvals in chat, writes them to the deploy repo

usage:
${Object.values(SUBCOMMANDS)
  .map((c) => `  ${c.usage}\n      ${c.summary}`)
  .join('\n')}
  gantry <command> --help   gantry --version

Exit codes: 0 done, 1 failed, 2 the command line is wrong.`;

const helpOf = (c: Subcommand): string => `usage: ${c.usage}\n${c.summary}\n\noptions:\n${c.details}\n  -h, --help       this help`;

/** Parses argv and runs one subcommand; returns the exit code (EXIT). */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') return print(packageVersion());
  if (first === '--help' || first === '-h') return print(HELP);
  if (first === 'help') {
    const topic = rest[0] === undefined ? undefined : lookup(rest[0]);
    return rest[0] === undefined ? print(HELP) : topic ? print(helpOf(topic)) : usageError(`unknown command "${rest[0]}"`);
  }
  if (first === undefined) return usageError('name a command');
  const cmd = lookup(first);
  if (!cmd) return usageError(first.startsWith('-') ? `unknown option ${first}` : `unknown command "${first}"`);
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }));
  } catch (e) {
    return usageError(argvProblem(e), cmd);
  }
  // --help anywhere only shows the help: it never starts the command
  if (values.help) return print(helpOf(cmd));
  const [min, max] = cmd.positionals;
  if (positionals.length < min) return usageError('missing arguments', cmd);
  if (positionals.length > max) return usageError(`unexpected argument "${positionals[max]}"`, cmd);
  try {
    return await cmd.run(values, positionals);
  } catch (e) {
    if (isGantryError(e) && e.code === 'COMMAND_USAGE') return usageError(e.message, cmd);
    process.stderr.write(`gantry: ${isGantryError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.failure;
  }
}

function lookup(name: string): Subcommand | undefined {
  return Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return EXIT.ok;
}

function usageError(problem: string, cmd?: Subcommand): number {
  process.stderr.write(`gantry: ${problem}\n${cmd ? `usage: ${cmd.usage}\n(gantry ${cmd.usage.split(' ')[1]} --help for more)` : HELP}\n`);
  return EXIT.usage;
}

/** node's parseArgs errors, said the way the rest of gantry says things (no advice about `--`). */
function argvProblem(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? message}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option ${option ?? '?'} ${/does not take/.test(message) ? 'takes no value' : 'needs a value'}`;
  return message;
}
