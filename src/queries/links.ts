import type { Config } from '../config/schema.js';

/** The web page of the deploy repo (config `deployRepo.webUrl`, or derived from an https URL). */
export function deployRepoWebUrl(config: Config): string | undefined {
  if (config.deployRepo.webUrl) return config.deployRepo.webUrl.replace(/\/$/, '');
  const m = /^https:\/\/(github\.com|gitlab\.com)\/(.+?)(\.git)?$/.exec(config.deployRepo.url);
  return m ? `https://${m[1]}/${m[2]}` : undefined;
}

export function commitUrl(config: Config, sha: string): string | undefined {
  const web = deployRepoWebUrl(config);
  return web ? `${web}/commit/${sha}` : undefined;
}
