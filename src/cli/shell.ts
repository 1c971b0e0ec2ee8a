import os from 'node:os';
import { runShell, describeEvent, shellActor } from '../chat/shell.js';
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
  // logs go to a file-less stderr only when asked: the terminal belongs to the conversation
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const booted = await boot({ ...(flags.config ? { config: flags.config } : {}), log });
  const { gantry } = booted;
  gantry.startWorkers();
  await gantry.core.repo.ensure();
  const interactive = process.stdin.isTTY === true;
  const as = flags.as ?? process.env.GANTRY_AS ?? os.userInfo().username;
  let unsubscribe: (() => Promise<void>) | undefined;
  if (interactive) {
    if (flags.banner) process.stdout.write(`${flags.banner}\n`);
    const actor = shellActor(gantry.core, as);
    unsubscribe = await gantry.core.bus.subscribe(connect(gantry.redisUrl), (e) => {
      const line = describeEvent(gantry.core, e, actor);
      if (line) process.stdout.write(`\n${line}\n`);
    });
  }
  const stop = async () => {
    await unsubscribe?.();
    await booted.close();
  };
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    await runShell(gantry.core, { as, input: process.stdin, output: process.stdout, interactive });
  } finally {
    await stop();
  }
  return 0;
}
