import { isGantryError } from '../domain/errors.js';
import { english } from '../i18n/voice.js';
import { ArgoCdPoller } from '../rollout/argocd.js';
import { watchFor, type RolloutTarget } from '../rollout/config.js';
import type { Booted } from './bootstrap.js';

interface Check {
  name: string;
  ok: boolean | 'warn';
  detail: string;
  fix?: string;
}

/**
 * Whether what the config follows can be heard: each mapped environment needs its receiver's
 * secret (or, for Argo CD, the poller), else every deploy there times out; with the poller set,
 * each mapped application is asked for once.
 */
export async function checkRollout(booted: Booted, add: (c: Check) => void): Promise<void> {
  const { config } = booted.gantry.core;
  const env = booted.env;
  const targets = new Map<string, RolloutTarget>();
  for (const envName of Object.keys(config.environments)) {
    for (const app of Object.keys(config.apps)) {
      const t = watchFor(config, app, envName);
      if (t) targets.set(`${app}/${envName}`, t);
    }
  }
  // checks run when a followed deploy goes live: without a mapping they run only by /verify
  for (const [envName, envCfg] of Object.entries(config.environments)) {
    if (envCfg.verify.length === 0) continue;
    const unfollowed = Object.keys(config.apps).filter((app) => Object.hasOwn(config.apps[app]!.deploy, envName) && !targets.has(`${app}/${envName}`));
    if (unfollowed.length === 0) continue;
    add({
      name: `verify ${envName}`,
      ok: 'warn',
      detail: `${envName} has verify checks, but nothing shows how ${unfollowed.join(', ')} roll out there: the checks run only when someone types /verify`,
      fix: `map environments.${envName}.rollout (or apps.<app>.rollout.${envName}) to its Argo CD application or Flux object`,
    });
  }
  if (targets.size === 0) return;
  const poller = env.GANTRY_ARGOCD_URL && env.GANTRY_ARGOCD_TOKEN ? new ArgoCdPoller({ server: env.GANTRY_ARGOCD_URL, token: env.GANTRY_ARGOCD_TOKEN, timeoutMs: 5000 }) : undefined;
  const asked = new Set<string>();
  for (const [where, t] of targets) {
    const name = `rollout ${where}`;
    if (t.source === 'flux') {
      const object = `${t.flux.kind} ${t.flux.namespace}/${t.flux.name}`;
      add(
        env.GANTRY_FLUX_WEBHOOK_SECRET
          ? { name, ok: true, detail: `followed through Flux ${object} (POST /rollout/flux)` }
          : { name, ok: 'warn', detail: `mapped to Flux ${object}, but GANTRY_FLUX_WEBHOOK_SECRET is unset: no event can arrive, every deploy here will time out`, fix: 'set GANTRY_FLUX_WEBHOOK_SECRET to the token of the generic-hmac Provider\'s secret (README "Rollout status")' },
      );
      continue;
    }
    const app = t.argocd.application;
    if (!poller) {
      add(
        env.GANTRY_ARGOCD_WEBHOOK_TOKEN
          ? { name, ok: true, detail: `followed through Argo CD application ${app} (POST /rollout/argocd)` }
          : { name, ok: 'warn', detail: `mapped to Argo CD application ${app}, but neither GANTRY_ARGOCD_WEBHOOK_TOKEN nor GANTRY_ARGOCD_URL/TOKEN is set: every deploy here will time out`, fix: 'apply deploy/argocd/notifications-cm.yaml and set GANTRY_ARGOCD_WEBHOOK_TOKEN, or set GANTRY_ARGOCD_URL and GANTRY_ARGOCD_TOKEN' },
      );
      continue;
    }
    if (asked.has(app)) continue;
    asked.add(app);
    try {
      const e = await poller.application(app, t.argocd.namespace);
      add({ name, ok: true, detail: `Argo CD answers for ${app}: ${e.phase}${e.revision ? ` at ${e.revision.slice(0, 7)}` : ''}` });
    } catch (err) {
      add({ name, ok: false, detail: isGantryError(err) ? english(err.detail) : String(err), fix: 'check GANTRY_ARGOCD_URL, GANTRY_ARGOCD_TOKEN (applications, get) and the application name' });
    }
  }
}
