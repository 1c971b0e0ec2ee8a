import { USAGE } from '../../commands/grammar.js';
import type { Face, FaceModule } from '../face.js';
import { DingtalkFace } from './app.js';
import { DingtalkNotifier } from './notifier.js';
import { SignatureReplayGuard } from './replay.js';
import { DingtalkSessions } from './sessions.js';

/** The enterprise robot's credentials: the secret verifies callbacks; with the app key, Stream mode. */
export interface DingtalkSettings {
  appSecret: string;
  appKey?: string;
}

/**
 * DingTalk behind the face contract. HTTP mode serves the signed callback on gantry's server;
 * Stream mode (DINGTALK_APP_KEY too) connects out and serves no route. Group robots need only
 * their config, so the notifier exists without app credentials.
 */
export const dingtalkModule: FaceModule<DingtalkSettings> = {
  platform: 'dingtalk',
  settings(env) {
    if (!env.DINGTALK_APP_SECRET) return undefined;
    const s: DingtalkSettings = { appSecret: env.DINGTALK_APP_SECRET };
    if (env.DINGTALK_APP_KEY) s.appKey = env.DINGTALK_APP_KEY;
    return s;
  },
  commands: () => Object.keys(USAGE),
  async create(deps, s): Promise<Face> {
    const face = new DingtalkFace(deps, s.appSecret, new SignatureReplayGuard(deps.redis, deps.keys), new DingtalkSessions(deps.redis, deps.keys));
    const appKey = s.appKey;
    if (appKey === undefined) return { routes: face.routes(), start: async () => undefined, stop: async () => undefined };
    let stream: { close(): Promise<void> } | undefined;
    return {
      routes: [],
      async start() {
        // loaded only here: the stream client costs memory every other process would carry
        const { startDingtalkStream } = await import('./stream.js');
        stream = startDingtalkStream(face, appKey, s.appSecret, deps.log);
      },
      async stop() {
        await stream?.close();
      },
    };
  },
  notifier: (deps) => new DingtalkNotifier(deps, new DingtalkSessions(deps.redis, deps.keys)),
};
