import type { Server } from 'node:http';
import { dingtalkModule } from '../../src/chat/dingtalk/module.js';
import type { FaceDeps } from '../../src/chat/face.js';
import { dingtalkSign } from '../../src/chat/dingtalk/sign.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import type { Notifier } from '../../src/notify/delivery.js';
import { faceDepsOf as productionFaceDeps } from '../../src/runtime/services.js';
import type { Gantry } from '../../src/runtime/gantry.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';

export const APP_SECRET = 'test-dingtalk-app-secret-41c9';

let lastTimestamp = 0;

/**
 * A robot callback as DingTalk sends it: headers `timestamp` and `sign`, a JSON body. Each call
 * gets a timestamp of its own (as separate messages from DingTalk have): gantry takes a signature once.
 */
export async function postCallback(url: string, p: { staffId: string; nick: string; text: string; sessionWebhook: string; oneToOne?: boolean }, opts: { secret?: string; timestamp?: number; sign?: string } = {}): Promise<number> {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  const timestamp = String(opts.timestamp ?? lastTimestamp);
  const body = JSON.stringify({
    conversationId: p.oneToOne ? `cidDirect${p.staffId}==` : 'cidDeployGroup==',
    atUsers: [{ dingtalkId: '$:LWCP_v1:$gantrybot' }],
    chatbotCorpId: 'dingcorp',
    chatbotUserId: '$:LWCP_v1:$gantrybot',
    msgId: `msg${Math.random().toString(36).slice(2)}`,
    senderNick: p.nick,
    isAdmin: false,
    senderStaffId: p.staffId,
    sessionWebhookExpiredTime: Date.now() + 2 * 3600_000,
    createAt: Date.now(),
    senderCorpId: 'dingcorp',
    // DingTalk: 1 a one-to-one chat with the robot, 2 a group
    conversationType: p.oneToOne ? '1' : '2',
    senderId: `$:LWCP_v1:$${p.staffId}`,
    conversationTitle: 'deploys',
    isInAtList: true,
    sessionWebhook: p.sessionWebhook,
    text: { content: p.text },
    robotCode: 'dinggantry',
    msgtype: 'text',
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', timestamp, sign: opts.sign ?? dingtalkSign(timestamp, opts.secret ?? APP_SECRET) },
    body,
  });
  await res.text();
  return res.status;
}

/** What a face gets: the production wiring over a test's gantry (src/runtime/services.ts). */
export function faceDepsOf(g: Gantry): FaceDeps {
  return productionFaceDeps(g.services, g.redis, new Keys(g.prefix), g.core.log);
}

export interface DingtalkGantry {
  h: Harness;
  /** the face's callback URL (HTTP mode) */
  callback: string;
  close(): Promise<void>;
}

/**
 * A gantry with the DingTalk face built from its module (HTTP mode, APP_SECRET) on a server of
 * its own, the deploy and notification workers running with `notifiers`, and web v1.2.3 deployed
 * to qa and staging, so prod is one approval away.
 */
export async function startDingtalkGantry(o: HarnessOptions & { notifiers: (deps: FaceDeps, gantry: Gantry) => Notifier[] }): Promise<DingtalkGantry> {
  const h = await startHarness({ ...o, workers: false });
  const deps = faceDepsOf(h.gantry);
  h.gantry.startWorkers(undefined, { notifiers: o.notifiers(deps, h.gantry) });
  const settings = dingtalkModule.settings({ DINGTALK_APP_SECRET: APP_SECRET });
  if (!settings) throw new Error('dingtalkModule.settings ignored DINGTALK_APP_SECRET');
  const face = await dingtalkModule.create(deps, settings);
  await face.start();
  const server: Server = createHttpServer(face.routes, silentLogger);
  const callback = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/dingtalk/callback`;
  await h.release('v1.2.3');
  for (const env of ['qa', 'staging']) {
    const r = await h.run('carol', `/promote v1.2.3 ${env}`);
    if (!r.ok) throw new Error(`setup: /promote v1.2.3 ${env}: ${r.text}`);
  }
  return {
    h,
    callback,
    async close() {
      await new Promise((r) => server.close(r));
      await face.stop();
      await h.close();
    },
  };
}
