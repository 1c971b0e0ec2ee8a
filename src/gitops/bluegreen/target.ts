import type { BlueGreenDeploy, Config, DeployFile, DeployTarget } from '../../config/schema.js';
import { own } from '../../domain/own.js';
import type { Colour } from './traffic-port.js';

/**
 * What `apps.<app>.deploy.<env>` says, for every reader of the config: a list of files, or a
 * blue-green pair (`strategy: blueGreen`). Readers that only ask "which files" use imageFilesOf;
 * readers that ask "which version" ask the live colour (src/gitops/bluegreen/state.ts).
 */

/** The app's deploy target in env; undefined when the app is not deployed there (or either name is unknown). */
export function deployTargetOf(config: Config, app: string, env: string): DeployTarget | undefined {
  const appCfg = own(config.apps, app);
  return appCfg ? own(appCfg.deploy, env) : undefined;
}

export function isBlueGreen(target: DeployTarget): target is BlueGreenDeploy {
  return !Array.isArray(target);
}

/** The blue-green target of app in env, or undefined for a plain list of files (or no target). */
export function blueGreenOf(config: Config, app: string, env: string): BlueGreenDeploy | undefined {
  const t = deployTargetOf(config, app, env);
  return t && isBlueGreen(t) ? t : undefined;
}

/** Every file that carries images: the list, or both colours (blue first). */
export function imageFilesOf(target: DeployTarget): DeployFile[] {
  return isBlueGreen(target) ? [...target.blue, ...target.green] : target;
}

/** Every file gantry reads for the target, the traffic file too (what a commit must touch to matter). */
export function trackedPaths(target: DeployTarget): string[] {
  const files = imageFilesOf(target).map((f) => f.file);
  return isBlueGreen(target) ? [...files, target.traffic.file] : files;
}

/** Each image file with its path in the config, for errors that say where (`[blue, 0]`, `[2]`). */
export function deployFileEntries(target: DeployTarget): { file: DeployFile; path: (string | number)[] }[] {
  if (!isBlueGreen(target)) return target.map((file, i) => ({ file, path: [i] }));
  const colour = (c: Colour) => target[c].map((file, i) => ({ file, path: [c, i] }));
  return [...colour('blue'), ...colour('green')];
}

/** What is wrong with a blue-green target beyond its shape: files shared between colours or with the traffic file. */
export function blueGreenIssues(target: DeployTarget): { path: (string | number)[]; message: string }[] {
  if (!isBlueGreen(target)) return [];
  const out: { path: (string | number)[]; message: string }[] = [];
  const blue = new Set(target.blue.map((f) => f.file));
  target.green.forEach((f, i) => {
    if (!blue.has(f.file)) return;
    out.push({ path: ['green', i, 'file'], message: `${f.file} is in both colours: each colour needs files of its own` });
  });
  const traffic = target.traffic.file;
  if (imageFilesOf(target).some((f) => f.file === traffic)) {
    out.push({ path: ['traffic', 'file'], message: `${traffic} carries a colour's images: the traffic split needs a file of its own` });
  }
  return out;
}
