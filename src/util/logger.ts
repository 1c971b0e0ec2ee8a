import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One root logger; children carry the delivery, job or request id. Secrets are redacted by key
 * name in case one ever reaches a log call.
 */
export function createLogger(opts: { level?: string; destination?: number | string } = {}): Logger {
  return pino(
    {
      name: 'gantry',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: {
        paths: ['*.token', '*.secret', '*.password', '*.privateKey', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: opts.destination ?? 2, sync: false }),
  );
}

/** A logger that writes nothing, for tests and the shell's quiet mode. */
export const silentLogger: Logger = pino({ level: 'silent' });
