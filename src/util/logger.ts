import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One root logger; children carry the delivery, job or request id. Secrets are redacted by key
 * name in case one ever reaches a log call. `destination` is a file descriptor (default 2,
 * standard error) or a file path, appended to (its directory is created).
 */
export function createLogger(opts: { level?: string; destination?: number | string } = {}): Logger {
  const dest = opts.destination ?? 2;
  return pino(
    {
      name: 'gantry',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: {
        paths: ['*.token', '*.secret', '*.password', '*.privateKey', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    // a file is written synchronously: a short-lived command (release add, a scripted shell) exits
    // right after its last line, which an asynchronous stream would lose
    pino.destination(typeof dest === 'string' ? { dest, mkdir: true, sync: true } : { dest, sync: false }),
  );
}

/** A logger that writes nothing, for tests and the shell's quiet mode. */
export const silentLogger: Logger = pino({ level: 'silent' });
