import { readdirSync } from 'node:fs';
import path from 'node:path';
import { isLocalMode, type Env } from '../config/env.js';
import { isConfigFileName } from '../config/load.js';
import { GantryError } from '../domain/errors.js';
import { PACKAGE_DIR } from './package-info.js';

/** The local demo (users alice, bob…, app `web`, a weekend freeze): only ever used in local mode. */
export const DEMO_CONFIG_DIR = path.join(PACKAGE_DIR, 'config', 'demo');

/** Which config directory gantry reads, and why that one (`gantry config print` says so). */
export interface ConfigDirChoice {
  dir: string;
  from: '--config' | 'GANTRY_CONFIG' | './config' | 'local demo';
}

/**
 * The config directory: --config, else GANTRY_CONFIG, else ./config of the working directory when
 * it holds config files, else, in local mode only, the demo. A server with credentials and no
 * config fails here: the demo's users and app must never reach a real installation unnoticed.
 */
export function chooseConfigDir(flag: string | undefined, env: Env, cwd: string = process.cwd()): ConfigDirChoice {
  if (flag === '') throw new GantryError('COMMAND_USAGE', '--config needs a directory');
  if (flag !== undefined) return { dir: path.resolve(cwd, flag), from: '--config' };
  // empty counts as unset: compose and env files write `GANTRY_CONFIG=` for "not set"
  if (env.GANTRY_CONFIG) return { dir: path.resolve(cwd, env.GANTRY_CONFIG), from: 'GANTRY_CONFIG' };
  const local = path.join(cwd, 'config');
  if (hasConfigFiles(local)) return { dir: local, from: './config' };
  if (isLocalMode(env)) return { dir: DEMO_CONFIG_DIR, from: 'local demo' };
  throw new GantryError(
    'CONFIG_MISSING',
    `no config directory: set GANTRY_CONFIG=<dir> (or --config <dir>) to the directory of your *.yml files, ` +
      `or put them in ${local}. The demo config (config/demo) is used only in local mode, ` +
      'without platform credentials.',
  );
}

function hasConfigFiles(dir: string): boolean {
  try {
    return readdirSync(dir).some(isConfigFileName);
  } catch {
    return false;
  }
}
