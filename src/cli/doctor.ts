import { existsSync } from 'node:fs';
import { isGantryError } from '../domain/errors.js';
import { getUpdater } from '../gitops/updaters/index.js';
import { run, which } from '../util/exec.js';
import { createLogger } from '../util/logger.js';
import { boot, type Booted } from './bootstrap.js';
import { buildNotifiers } from './notifiers.js';
import { checkRollout } from './doctor-rollout.js';
import { checkSigning } from './doctor-signing.js';
import { redisPersistence } from '../store/redis-persistence.js';
import { probeRedis } from '../store/redis-probe.js';
import { ENV_VARS } from '../config/env-vars.js';
import { imageFilesOf } from '../gitops/bluegreen/target.js';

interface Check {
  name: string;
  ok: boolean | 'warn';
  detail: string;
  fix?: string;
}

/** `gantry doctor`: checks what gantry needs and says what is wrong and how to fix it. */
export async function doctorCommand(flags: { config?: string; notify?: boolean }): Promise<number> {
  const checks: Check[] = [];
  const add = (c: Check) => {
    checks.push(c);
    const mark = c.ok === true ? 'ok  ' : c.ok === 'warn' ? 'warn' : 'FAIL';
    process.stdout.write(`${mark}  ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}\n`);
  };
  add((await which('git')) ? { name: 'git', ok: true, detail: 'found' } : { name: 'git', ok: false, detail: 'git is not installed', fix: 'apt-get install git' });
  if (!process.env.REDIS_URL) {
    add(
      (await which('redis-server'))
        ? { name: 'redis-server', ok: true, detail: 'found (local mode starts a private one since REDIS_URL is unset)' }
        : { name: 'redis-server', ok: false, detail: 'REDIS_URL is unset and redis-server is not installed', fix: 'apt-get install redis-server, or set REDIS_URL' },
    );
  }
  let booted: Booted | undefined;
  try {
    // the signing key is checked below, where a bad one is reported rather than stopping the boot
    booted = await boot({ ...(flags.config ? { config: flags.config } : {}), log: createLogger({ level: 'silent' }), signing: false });
    add({ name: 'config', ok: true, detail: `${booted.loaded.files.join(', ')} valid` });
  } catch (e) {
    add({ name: 'config/redis', ok: false, detail: isGantryError(e) ? e.message : String(e), fix: 'correct the file and line named above' });
    return 1;
  }
  try {
    add({ name: 'redis', ...(await probeRedis(booted.gantry.redis, booted.gantry.redisUrl, booted.gantry.prefix)) });
    const persistence = await redisPersistence(booted.gantry.redis);
    add({ name: 'redis persistence', ok: persistence.ok, detail: persistence.detail, ...(persistence.fix ? { fix: persistence.fix } : {}) });
    await checkDeployRepo(booted, add);
    await checkSigning(booted, add);
    await checkDocker(add);
    await checkRollout(booted, add);
    if (flags.notify) await checkNotify(booted, add);
  } catch (e) {
    add({ name: 'redis', ok: false, detail: e instanceof Error ? e.message : String(e), fix: 'check REDIS_URL and that Redis is running' });
  } finally {
    await booted.close();
  }
  const failed = checks.filter((c) => c.ok === false).length;
  process.stdout.write(failed ? `\n${failed} problem${failed === 1 ? '' : 's'} found\n` : '\nall good\n');
  return failed ? 1 : 0;
}

async function checkDeployRepo(booted: Booted, add: (c: Check) => void): Promise<void> {
  const { core } = booted.gantry;
  try {
    await core.repo.refresh();
    add({ name: 'deploy repo', ok: true, detail: `${core.repo.opts.url} branch ${core.repo.opts.branch} cloned at ${core.repo.dir}` });
  } catch (e) {
    add({ name: 'deploy repo', ok: false, detail: e instanceof Error ? e.message : String(e), fix: 'check deployRepo.url and .branch, and GANTRY_DEPLOY_TOKEN for https' });
    return;
  }
  for (const [app, appCfg] of Object.entries(core.config.apps)) {
    for (const [env, target] of Object.entries(appCfg.deploy)) {
      for (const file of imageFilesOf(target)) {
        const where = `${app}/${env} ${file.file}`;
        try {
          const specs = (file.images ?? Object.keys(appCfg.images)).map((n) => ({ name: n, repository: appCfg.images[n]!.repository }));
          const found = getUpdater(file.format).read(await core.repo.readFile(file.file), file, specs);
          const missing = specs.filter((s) => !found.some((f) => f.name === s.name));
          add(
            missing.length
              ? { name: where, ok: false, detail: `image ${missing.map((m) => m.repository).join(', ')} not found (${file.format})`, fix: 'check the file, its format and the image repository in the config' }
              : { name: where, ok: true, detail: found.map((f) => `${f.ref} (line ${f.line})`).join(', ') },
          );
        } catch (e) {
          add({ name: where, ok: false, detail: e instanceof Error ? e.message : String(e) });
        }
      }
    }
  }
}

async function checkDocker(add: (c: Check) => void): Promise<void> {
  const host = process.env.DOCKER_HOST || ENV_VARS.DOCKER_HOST.default;
  if (host.startsWith('unix://') && !existsSync(host.slice('unix://'.length))) {
    add({ name: 'docker', ok: 'warn', detail: `no Docker Engine at ${host}; image builds will not run (promotions do not need it)`, fix: 'start dockerd, or set DOCKER_HOST' });
    return;
  }
  const r = await run('docker', ['-H', host, 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 }).catch(() => undefined);
  add(r?.code === 0 ? { name: 'docker', ok: true, detail: `engine ${r.stdout.trim()} at ${host}` } : { name: 'docker', ok: 'warn', detail: `Docker Engine at ${host} does not answer`, fix: 'start dockerd, or set DOCKER_HOST' });
}

/** `--notify`: a test message to every target the notify rules name. */
async function checkNotify(booted: Booted, add: (c: Check) => void): Promise<void> {
  const { gantry, env } = booted;
  const { notifiers, close } = await buildNotifiers(gantry, env, createLogger({ level: 'silent' }));
  try {
    const targets = [...new Set(gantry.core.config.notify.flatMap((r) => r.to))];
    if (targets.length === 0) add({ name: 'notify', ok: 'warn', detail: 'no notify rules in the config: nobody hears of deployments' });
    for (const target of targets) {
      const sep = target.indexOf(':');
      const notifier = notifiers.find((n) => n.platform === target.slice(0, sep));
      if (!notifier?.test) {
        add({ name: `notify ${target}`, ok: false, detail: `${target.slice(0, sep)} is not configured`, fix: target.startsWith('slack') ? 'set SLACK_BOT_TOKEN' : 'set SMTP_URL' });
        continue;
      }
      try {
        await notifier.test(target.slice(sep + 1));
        add({ name: `notify ${target}`, ok: true, detail: 'test message sent' });
      } catch (e) {
        add({ name: `notify ${target}`, ok: false, detail: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    close();
  }
}
