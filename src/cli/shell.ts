import os from 'node:os';
import { runShell } from '../chat/shell/shell.js';
import { connect } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import { boot, type Booted } from './bootstrap.js';
import { cliLogger } from './logging.js';
import { serveLocalWeb, type LocalWeb } from './local-web.js';
import { deployWorkersServing, loadGithubFace, startDeployRole } from './workers.js';
import { SHELL_WORKER } from '../queue/deploy-queue.js';

export interface ShellFlags {
  config?: string;
  as?: string;
  /** `gantry start`: say that this is local mode */
  banner?: string;
}

/**
 * `gantry shell --as <user>` (and local-mode `gantry start`): reads chat commands from standard
 * input and prints the replies. Logs go to a file (src/cli/logging.ts): the terminal belongs to
 * the conversation. Read from a script (no terminal), it exits 1 when any command was refused.
 */
export async function shellCommand(flags: ShellFlags): Promise<number> {
  const log = cliLogger('conversation');
  // local-mode `gantry start` serves the web pages too, so /gantry login in the shell gives a working link
  const booted = await boot({ ...(flags.config ? { config: flags.config } : {}), log, localWeb: flags.banner !== undefined });
  const { gantry } = booted;
  if (booted.web && 'url' in booted.web) serveLocalWeb(booted.web, gantry, booted.env, log);
  const role = await startShellWorkers(booted, log);
  await gantry.core.repo.ensure();
  const interactive = process.stdin.isTTY === true;
  const as = flags.as ?? (process.env.GANTRY_AS || os.userInfo().username);
  if (interactive && flags.banner) process.stdout.write(`${flags.banner}\n${webBanner(booted.web)}`);
  const stop = async () => {
    await role?.close();
    await booted.close();
  };
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  let refused = 0;
  try {
    ({ refused } = await runShell(gantry.services, {
      as,
      input: process.stdin,
      output: process.stdout,
      interactive,
      ...(interactive ? { subscribe: (onEvent) => gantry.core.bus.subscribe(connect(gantry.redisUrl), onEvent) } : {}),
    }));
  } finally {
    await stop();
  }
  // a person at a terminal read every reply; a script learns of a refusal by the exit code
  return !interactive && refused > 0 ? 1 : 0;
}

/**
 * The shell's deploy workers: none when it shares a Redis (REDIS_URL) that `gantry worker`
 * processes already serve, so their jobs stay with them (other shells' workers do not count:
 * they go when that shell's commands are done); otherwise the same set, wired the same
 * way, as `gantry worker` (the private Redis of local mode is served by nobody else).
 */
async function startShellWorkers(booted: Booted, log: Logger): Promise<{ close(): Promise<void> } | undefined> {
  if (booted.env.REDIS_URL) {
    const serving = await deployWorkersServing(booted, log);
    if (serving) {
      process.stderr.write(`gantry: ${serving} worker process${serving === 1 ? '' : 'es'} already serve${serving === 1 ? 's' : ''} deploys on this Redis; this shell runs no workers of its own\n`);
      return undefined;
    }
  }
  const github = await loadGithubFace(booted, log);
  return startDeployRole(booted, { ...(github ? { github } : {}), workerName: SHELL_WORKER }, log);
}

/** The web pages' address (or why there are none), under the local-mode banner; a script's output stays the replies only. */
function webBanner(web: LocalWeb | { busy: string } | undefined): string {
  if (!web) return '';
  return 'url' in web ? `web pages: ${web.url} (type /gantry login for a sign-in link)\n` : `${web.busy}\n`;
}
