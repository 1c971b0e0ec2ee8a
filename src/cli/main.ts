import { parseArgs } from 'node:util';
import { isGantryError } from '../domain/errors.js';
import { isLocalMode, readEnv } from '../config/env.js';

const HELP = `gantry: builds images, gates promotions with approvals in chat, writes them to the deploy repo

usage:
  gantry start [--config <dir>] [--as <user>]   run gantry: web and workers in one process, or local mode with a
                                                 shell when no platform credentials are set
  gantry web | worker [--config <dir>]         only the HTTP faces (webhooks, chat) / only the workers
  gantry shell --as <user> [--config <dir>]     chat commands from standard input, one a line
  gantry release add <app> <version> --image <name>=<repo>:<tag>[@sha256:…] [--commit <sha>] [--url <link>]
  gantry doctor [--config <dir>] [--notify]      check config, Redis, the deploy repo and Docker;
                                                 --notify sends a test message to every notify target

The config directory is --config, else GANTRY_CONFIG, else the package's config/.`;

/** Parses argv and runs one subcommand; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      as: { type: 'string' },
      image: { type: 'string', multiple: true },
      commit: { type: 'string' },
      url: { type: 'string' },
      notify: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, ...rest] = positionals;
  // each subcommand is imported when it runs: local mode and `gantry worker` do not carry Bolt,
  // Probot or the DingTalk stream client in memory (each costs 20–30 MB of RSS)
  const common = values.config ? { config: values.config } : {};
  try {
    switch (cmd) {
      case 'web':
      case 'worker':
        return await (await import('./serve.js')).serveCommand({ ...common, role: cmd });
      case 'start':
        if (!isLocalMode(readEnv())) return await (await import('./serve.js')).serveCommand({ ...common, role: 'all' });
        return await (await import('./shell.js')).shellCommand({
          ...common,
          ...(values.as ? { as: values.as } : {}),
          banner: 'gantry is running in local mode (no platform credentials set): a private Redis, the deploy repo in .gantry/deploy.git',
        });
      case 'shell':
        return await (await import('./shell.js')).shellCommand({ ...common, ...(values.as ? { as: values.as } : {}) });
      case 'release': {
        const [sub, app, version, ...extra] = rest;
        if (sub !== 'add' || !app || !version || extra.length || !values.image?.length) {
          process.stderr.write(`usage: gantry release add <app> <version> --image <name>=<repo>:<tag>[@sha256:…]\n`);
          return 2;
        }
        return await (await import('./release.js')).releaseAddCommand({
          ...common,
          app,
          version,
          images: values.image,
          ...(values.commit ? { commit: values.commit } : {}),
          ...(values.url ? { url: values.url } : {}),
        });
      }
      case 'doctor':
        return await (await import('./doctor.js')).doctorCommand({ ...common, ...(values.notify ? { notify: true } : {}) });
      case undefined:
      case 'help':
        process.stdout.write(`${HELP}\n`);
        return values.help || cmd === 'help' ? 0 : 2;
      default:
        process.stderr.write(`unknown command "${cmd}"\n\n${HELP}\n`);
        return 2;
    }
  } catch (e) {
    process.stderr.write(`gantry: ${isGantryError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
