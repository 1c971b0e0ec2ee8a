import os from 'node:os';
import { runShell } from '../chat/shell.js';
import { connect } from '../store/redis.js';
import { createLogger } from '../util/logger.js';
import { boot } from './bootstrap.js';

export interface ShellFlags {
  config?: string;
  as?: string;
  /** `gantry start`: say that this is local mode */
  banner?: string;
}

/**
 * `gantry shell --as <user>` (and local-mode `gantry start`): runs deploy workers in this
 * process and reads chat commands from standard input.
 */
export async function shellCommand(flags: ShellFlags): Promise<number> {
  // only warnings reach the terminal: it belongs to the conversation
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const booted = await boot({ ...(flags.config ? { config: flags.config } : {}), log });
  const { gantry } = booted;
  gantry.startWorkers();
  await gantry.core.repo.ensure();
  const interactive = process.stdin.isTTY === true;
  const as = flags.as ?? process.env.GANTRY_AS ?? os.userInfo().username;
  if (interactive && flags.banner) process.stdout.write(`${flags.banner}\n`);
  const stop = () => booted.close();
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    await runShell(gantry.core, {
      as,
      input: process.stdin,
      output: process.stdout,
      interactive,
      ...(interactive ? { subscribe: (onEvent) => gantry.core.bus.subscribe(connect(gantry.redisUrl), onEvent) } : {}),
    });
  } finally {
    await stop();
  }
  return 0;
}
