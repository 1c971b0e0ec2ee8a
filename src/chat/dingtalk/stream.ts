import { DWClient, TOPIC_ROBOT, type DWClientDownStream } from 'dingtalk-stream';
import type { Logger } from '../../util/logger.js';
import { RobotMessageSchema, type DingtalkFace } from './app.js';

/**
 * Stream mode, for teams without a public URL: gantry opens the connection to DingTalk (the
 * `dingtalk-stream` client, authenticated with the app key and secret) and robot messages arrive
 * over it; each is acknowledged, then handled like a callback.
 */
export function startDingtalkStream(face: DingtalkFace, appKey: string, appSecret: string, log: Logger): { close(): Promise<void> } {
  const client = new DWClient({ clientId: appKey, clientSecret: appSecret });
  client.registerCallbackListener(TOPIC_ROBOT, (res: DWClientDownStream) => {
    client.socketCallBackResponse(res.headers.messageId, {});
    const parsed = RobotMessageSchema.safeParse(safeJson(res.data));
    if (!parsed.success) {
      log.warn({ messageId: res.headers.messageId }, 'dingtalk stream: not a robot message');
      return;
    }
    void face.handle(parsed.data).catch((err: unknown) => log.error({ err: String(err) }, 'dingtalk stream command failed'));
  });
  void client.connect().catch((err: unknown) => log.error({ err: String(err) }, 'dingtalk stream connection failed'));
  return {
    async close() {
      client.disconnect();
    },
  };
}

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}
