import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { isLocalMode, readEnv, type Env } from '../config/env.js';
import { ENV_VARS } from '../config/env-vars.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { parseDuration } from '../domain/duration.js';
import { GitHubPullRequests, githubRepoOf } from '../gitops/pull-request.js';
import { loadSigner } from '../gitops/signing.js';
import { createGantry, resolveRepoUrl, type Gantry } from '../runtime/gantry.js';
import { ensureLocalDeployRepo, ensureLocalRedis, isLocalPath } from '../runtime/local.js';
import type { LocalRedis } from '../runtime/redis-server.js';
import type { Logger } from '../util/logger.js';
import { chooseConfigDir } from './config-dir.js';
import { bindLocalWeb, type LocalWeb } from './local-web.js';
import { PACKAGE_DIR } from './package-info.js';

export { PACKAGE_DIR };

export interface Booted {
  env: Env;
  loaded: LoadedConfig;
  gantry: Gantry;
  local: boolean;
  stateDir: string;
  /** set when this process started the local Redis (it stops it on close) */
  redis?: LocalRedis;
  /** local mode with `localWeb`: the web server on 127.0.0.1 (routes added by the caller), or why there is none */
  web?: LocalWeb | { busy: string };
  close(): Promise<void>;
}

/** Local-mode state (Redis data, deploy repo, the shell's log): GANTRY_STATE_DIR, else ./.gantry. */
export function stateDirOf(env: Env): string {
  return path.resolve(env.GANTRY_STATE_DIR ?? ENV_VARS.GANTRY_STATE_DIR.default);
}

/**
 * Loads config and env, and in local mode starts (or finds) the private Redis and creates the
 * example deploy repo, then wires everything together.
 */
export async function boot(opts: { config?: string; log: Logger; localWeb?: boolean; signing?: false; longLived?: boolean }): Promise<Booted> {
  const env = readEnv();
  const choice = chooseConfigDir(opts.config, env);
  const loaded = loadConfig(choice.dir);
  // which directory and why: a server's first answer to "where do these settings come from"
  opts.log.info({ config: loaded.dir, from: choice.from, files: loaded.files }, 'config loaded');
  // before anything starts: a key that cannot sign stops gantry here, not at the first deploy.
  // `signing: false`: doctor loads the key itself, to report on it instead of stopping
  const signer = opts.signing === false ? undefined : await loadSigner(process.env);
  if (signer) opts.log.info({ format: signer.format, key: signer.id }, 'deploy commits are signed');
  const local = isLocalMode(env);
  const stateDir = stateDirOf(env);
  let redisUrl = env.REDIS_URL;
  let started: LocalRedis | undefined;
  if (!redisUrl) {
    mkdirSync(stateDir, { recursive: true });
    const r = await ensureLocalRedis(stateDir);
    redisUrl = r.url;
    started = r.started;
    opts.log.debug({ url: redisUrl, started: !!started }, 'local redis');
  }
  const { deployRepo } = loaded.config;
  if (local && isLocalPath(deployRepo.url)) {
    const bare = resolveRepoUrl(deployRepo.url, process.cwd());
    const examples = path.join(PACKAGE_DIR, 'config', 'examples', 'deploy');
    if (!existsSync(bare) && existsSync(examples)) {
      await ensureLocalDeployRepo(bare, deployRepo.branch, examples);
      opts.log.info({ repo: bare }, 'created the local deploy repo from config/examples/deploy');
    }
  }
  // bound first: its address is the public URL of the sign-in links /gantry login gives in the shell
  const web = opts.localWeb && local ? await bindLocalWeb(Number(env.PORT ?? loaded.config.server.port), opts.log) : undefined;
  const publicUrl = env.GANTRY_PUBLIC_URL ?? (web && 'url' in web ? web.url : undefined);
  const gantry = createGantry({
    config: loaded.config,
    redisUrl,
    log: opts.log,
    ...(signer ? { signer } : {}),
    // a server or worker keeps its clone: its first maintenance run comes a few seconds after the
    // clone is ready; a shell or one-off command may be gone before a minute is up
    ...(opts.longLived ? { maintenanceFirstAfterMs: 5_000 } : {}),
    ...(env.GANTRY_REDIS_PREFIX ? { prefix: env.GANTRY_REDIS_PREFIX } : {}),
    ...(env.GANTRY_DEPLOY_TOKEN ? { deployToken: env.GANTRY_DEPLOY_TOKEN } : {}),
    ...(publicUrl ? { publicUrl } : {}),
    rolloutWatch: {
      ...(env.GANTRY_ROLLOUT_WATCH ? { everyMs: parseDuration(env.GANTRY_ROLLOUT_WATCH) } : {}),
      ...(env.GANTRY_ARGOCD_URL && env.GANTRY_ARGOCD_TOKEN ? { argocd: { server: env.GANTRY_ARGOCD_URL, token: env.GANTRY_ARGOCD_TOKEN } } : {}),
    },
    ...(env.GANTRY_DEPLOY_TOKEN && githubRepoOf(loaded.config)
      ? { pullRequests: new GitHubPullRequests(githubRepoOf(loaded.config)!, env.GANTRY_DEPLOY_TOKEN, env.GANTRY_GITHUB_API_URL) }
      : {}),
  });
  return {
    env,
    loaded,
    gantry,
    local,
    stateDir,
    ...(started ? { redis: started } : {}),
    ...(web ? { web } : {}),
    async close() {
      if (web && 'close' in web) await web.close();
      await gantry.close();
      await signer?.close();
      await started?.stop();
    },
  };
}
