import path from 'node:path';
import { readEnv } from '../config/env.js';
import { createLogger, type Logger } from '../util/logger.js';
import { stateDirOf } from './bootstrap.js';

/**
 * Who reads this process's terminal: an orchestrator collecting logs (`server`), or a person
 * reading replies (`conversation`: the shell, local-mode `start`, `release add`).
 */
export type Audience = 'server' | 'conversation';

/**
 * The logger of a CLI process. GANTRY_LOG_FILE decides where (a path, or `-` for standard
 * error); unset, servers log to standard error and conversations to `<state dir>/gantry.log`:
 * a refusal inside a deploy worker then reads as its reply in the shell, never as a JSON line.
 */
export function cliLogger(audience: Audience): Logger {
  const env = readEnv();
  const file = env.GANTRY_LOG_FILE ?? (audience === 'conversation' ? path.join(stateDirOf(env), 'gantry.log') : '-');
  return createLogger({ ...(env.LOG_LEVEL ? { level: env.LOG_LEVEL } : {}), destination: file === '-' ? 2 : path.resolve(file) });
}
