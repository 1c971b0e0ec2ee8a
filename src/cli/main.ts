import { Command, CommanderError } from 'commander';
import { GantryError, isGantryError } from '../domain/errors.js';
import { isLocalMode, readEnv } from '../config/env.js';
import { resolveEnvFiles } from '../config/env-files.js';
import { packageVersion } from './package-info.js';

/** Exit codes of every subcommand. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

interface Common {
  config?: string;
}

const LOCAL_BANNER = 'gantry is running in local mode (no platform credentials set): a private Redis, the deploy repo in .gantry/deploy.git';

/** Parses argv and runs one subcommand; returns the exit code (EXIT). */
export async function main(argv: string[]): Promise<number> {
  const run: { code: number; command?: Command } = { code: EXIT.ok };
  try {
    // before anything reads the environment: secrets from NAME_FILE, Probot's names as aliases
    resolveEnvFiles(process.env);
    await program(run).parseAsync(argv, { from: 'user' });
    return run.code;
  } catch (e) {
    // commander's own exits (exitOverride): --help and --version are 0, every usage error 2;
    // its message is already on stderr (outputError below)
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const usage = isGantryError(e) && e.code === 'COMMAND_USAGE';
    process.stderr.write(`gantry: ${isGantryError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    if (usage && run.command) process.stderr.write(`${pointer(run.command)}\n`);
    return usage ? EXIT.usage : EXIT.failure;
  }
}

/**
 * The command line. Built for each call: a commander Command keeps what it parsed. Each
 * subcommand's module is imported when it runs: local mode and `gantry worker` do not carry Bolt,
 * Probot or the DingTalk stream client in memory (each costs 20–30 MB of RSS).
 */
function program(run: { code: number; command?: Command }): Command {
  const root = new Command('gantry')
    .description('builds images, gates promotions with approvals in chat, writes them to the deploy repo')
    .version(packageVersion(), '-V, --version', 'print the version')
    // never process.exit: main returns the code (tests and src/main.ts call it); set on the root
    // before any .command(), so that every subcommand inherits it and the output configuration
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'gantry: ')) })
    .showHelpAfterError('(gantry --help for more)')
    // commander shows the help on stderr when a command with subcommands is named without one
    .addHelpText('beforeAll', ({ error }) => (error ? 'gantry: name a command\n' : ''))
    .addHelpText('after', '\nExit codes: 0 done, 1 failed, 2 the command line is wrong.');

  /** A subcommand: --config on each, the pointer to its --help after a usage error, its action's exit code kept. */
  const sub = (parent: Command, name: string, summary: string): Command => {
    const cmd = parent
      .command(name)
      .description(summary)
      .option('--config <dir>', 'the config directory (default: GANTRY_CONFIG, else ./config, else the demo in local mode)');
    return cmd.showHelpAfterError(pointer(cmd));
  };
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      run.command = args.at(-1) as Command;
      run.code = await fn(...args);
    };
  const common = (o: Common) => (o.config !== undefined ? { config: o.config } : {});
  const as = (o: { as?: string }) => (o.as !== undefined ? { as: o.as } : {});

  sub(root, 'start', 'run gantry: web and workers in one process, or local mode with a shell when no platform credentials are set')
    .option('--as <user>', 'local mode: who types in the shell')
    .action(
      act(async (o: Common & { as?: string }) => {
        if (!isLocalMode(readEnv())) return (await import('./serve.js')).serveCommand({ ...common(o), role: 'all' });
        return (await import('./shell.js')).shellCommand({ ...common(o), ...as(o), banner: LOCAL_BANNER });
      }),
    );
  for (const [role, summary] of [
    ['web', 'only the HTTP faces (webhooks, chat callbacks, API, admin)'],
    ['worker', 'only the workers (deploys, approvals, notifications, builds)'],
  ] as const) {
    sub(root, role, summary).action(act(async (o: Common) => (await import('./serve.js')).serveCommand({ ...common(o), role })));
  }
  sub(root, 'shell', 'chat commands from standard input, one a line; read from a script, exits 1 when any was refused')
    .option('--as <user>', 'who is typing (default: GANTRY_AS, else your login name)')
    .action(act(async (o: Common & { as?: string }) => (await import('./shell.js')).shellCommand({ ...common(o), ...as(o) })));

  const release = root.command('release').description('releases built elsewhere');
  release.showHelpAfterError(pointer(release));
  sub(release, 'add', 'register a release built elsewhere (the version: semver such as v1.2.3, or releases.versionPattern)')
    .argument('<app>', 'the app, as named in the config')
    .argument('<version>', 'the release version')
    .usage('<app> <version> --image <name>=<repo>:<tag>[@sha256:…] [options]')
    // not requiredOption: commander checks required options before arguments, and `release add web`
    // would then be told about --image instead of the missing version
    .option('--image <spec>', 'every image of the app, once each: <name>=<repo>:<tag>[@sha256:…]', (v: string, all: string[]) => [...all, v], [])
    .option('--commit <sha>', 'the source commit')
    .option('--url <link>', "the build's page (http or https)")
    .action(
      act(async (app: string, version: string, o: Common & { image: string[]; commit?: string; url?: string }) => {
        if (!o.image.length) throw new GantryError('COMMAND_USAGE', 'name the images with --image <name>=<repo>:<tag>');
        return (await import('./release.js')).releaseAddCommand({
          ...common(o),
          app,
          version,
          images: o.image,
          ...(o.commit !== undefined ? { commit: o.commit } : {}),
          ...(o.url !== undefined ? { url: o.url } : {}),
        });
      }),
    );

  const bundle = root.command('bundle').description('bundles: app versions promoted together (/promote bundle <name> <env>)');
  bundle.showHelpAfterError(pointer(bundle));
  sub(bundle, 'add', 'register a bundle of built releases; a name means one set of versions forever')
    .argument('<name>', 'the bundle name, such as 2026.12 or v1.2.3')
    .argument('<app=version...>', 'one built release per app: web=v1.2.3 api=v3.4.0')
    .action(act(async (name: string, pairs: string[], o: Common) => (await import('./bundle.js')).bundleAddCommand({ ...common(o), name, pairs })));
  sub(bundle, 'list', 'registered bundles, newest first').action(act(async (o: Common) => (await import('./bundle.js')).bundleListCommand(common(o))));

  const config = root.command('config').description('the configuration gantry runs with');
  config.showHelpAfterError(pointer(config));
  sub(config, 'print', 'the merged config as YAML, each key with the file:line that set it or `default`')
    .option('--json', 'as JSON, with a map from JSON pointers to origins')
    .action(
      act(async (o: Common & { json?: boolean }) =>
        (await import('./config-print.js')).configPrintCommand({ ...common(o), ...(o.json === true ? { json: true } : {}) }),
      ),
    );

  const setup = root.command('setup').description('register gantry with a platform');
  setup.showHelpAfterError(pointer(setup));
  const github = setup
    .command('github')
    .description("register the GitHub App from app.yml (GitHub's manifest flow) and store its credentials")
    .requiredOption('--url <url>', "gantry web's public base URL (webhooks go to <url>/api/github/webhooks)")
    .option('--org <login>', 'register it on this organization (default: your account)')
    // not --env-file: Node 20 reads that flag even after the script name, and exits when the file does not exist yet
    .option('--write-env <file>', 'the env file to add the credentials to (default: .env); the key goes beside it, mode 0600')
    .option('--print', 'print the credentials on standard output instead of writing them')
    .option('--force', 'replace GitHub App variables the env file already sets')
    .option('--port <n>', 'the local page\'s port on 127.0.0.1 (default: any free port)')
    .option('--github-url <url>', 'GitHub Enterprise Server (default: https://github.com)')
    .option('--name <name>', "the app's name (default: app.yml's; unique on GitHub)")
    .option('--timeout <duration>', 'how long to wait for GitHub (default: 10m)')
    .option('--open', 'open the page in a browser')
    .action(act(async (o: import('./setup-github.js').GithubSetupOptions) => (await import('./setup-github.js')).setupGithubCommand(o)));
  github.showHelpAfterError(pointer(github));

  sub(root, 'doctor', 'check config, Redis, the deploy repo and Docker')
    .option('--notify', 'send a test message to every notify target')
    .action(
      act(async (o: Common & { notify?: boolean }) =>
        (await import('./doctor.js')).doctorCommand({ ...common(o), ...(o.notify === true ? { notify: true } : {}) }),
      ),
    );
  return root;
}

/** `(gantry release add --help for more)`: where a usage error points. */
function pointer(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return `(${names.join(' ')} --help for more)`;
}
