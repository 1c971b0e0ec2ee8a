import type { Env } from '../config/env.js';
import { slackSettings } from './slack/settings.js';
import type { Route } from '../http/server.js';
import type { Notifier } from '../notify/delivery.js';
import type { Face, FaceDeps, FaceModule } from './face.js';

/** A platform as the registry lists it: whether this process needs it, and its module, loaded only then. */
interface FaceEntry {
  /** false: nothing of this platform is configured here, so its client libraries are never loaded */
  wanted(env: Env): boolean;
  load(): Promise<FaceModule<never>>;
}

/**
 * Every chat platform, listed once. `gantry start`, `web` and `worker` loop over it; adding a
 * platform is a folder src/chat/<platform>/ with a module.ts and one line here.
 */
export const FACES = {
  slack: { wanted: (env) => slackSettings(env) !== undefined, load: async () => (await import('./slack/module.js')).slackModule as FaceModule<never> },
  // group robots need only the config: the notifier is wanted even without app credentials
  dingtalk: { wanted: () => true, load: async () => (await import('./dingtalk/module.js')).dingtalkModule as FaceModule<never> },
} satisfies Record<string, FaceEntry>;

export type Platform = keyof typeof FACES;

async function loaded(env: Env): Promise<{ platform: Platform; module: FaceModule<never>; settings: never | undefined }[]> {
  const out = [];
  for (const [platform, entry] of Object.entries(FACES) as [Platform, FaceEntry][]) {
    if (!entry.wanted(env)) continue;
    const module = await entry.load();
    out.push({ platform, module, settings: module.settings(env) as never | undefined });
  }
  return out;
}

/** Starts the face of every platform configured in `env`; the routes go on gantry's server. */
export async function startFaces(deps: FaceDeps, env: Env): Promise<{ routes: Route[]; platforms: Platform[]; stop(): Promise<void> }> {
  const faces: Face[] = [];
  const platforms: Platform[] = [];
  for (const { platform, module, settings } of await loaded(env)) {
    if (settings === undefined) continue;
    faces.push(await module.create({ ...deps, log: deps.log.child({ face: platform }) }, settings));
    platforms.push(platform);
  }
  for (const face of faces) await face.start();
  return {
    routes: faces.flatMap((f) => f.routes),
    platforms,
    async stop() {
      for (const face of faces) await face.stop().catch(() => undefined);
    },
  };
}

/** The notifier of every platform that can deliver from this process (worker processes run these without the faces). */
export async function faceNotifiers(deps: FaceDeps, env: Env): Promise<Notifier[]> {
  const out: Notifier[] = [];
  for (const { module, settings } of await loaded(env)) {
    const notifier = module.notifier(deps, settings);
    if (notifier) out.push(notifier);
  }
  return out;
}
