import type { Approval } from '../../approvals/store.js';
import { secretFromEnv } from '../../config/env-files.js';
import type { Notifier } from '../../notify/delivery.js';
import type { StoredEvent } from '../../notify/events.js';
import { deployCommitOf, type FollowUp } from '../../notify/router.js';
import type { DingtalkSessions } from './sessions.js';
import { commitUrl } from '../../queries/links.js';
import type { FaceDeps } from '../face.js';
import { postDingtalk } from './app.js';
import { approvalCard, eventMessage, testMessage, type DingtalkMessage } from './render.js';
import { signedRobotUrl } from './sign.js';

/**
 * Reports through custom group robots (`dingtalk:<robot>` targets; URL and 加签 secret from the
 * env vars the config names), each in its robot's voice (`i18n.channels["dingtalk:<robot>"]`,
 * else DingTalk's Chinese), and approval updates back to the conversation that asked, while its
 * session webhook is alive, in that conversation's voice. A robot answering an error throws, so
 * the queue retries.
 */
export class DingtalkNotifier implements Notifier {
  readonly platform = 'dingtalk' as const;

  constructor(
    private readonly deps: Pick<FaceDeps, 'config' | 'approval' | 'voice'>,
    private readonly sessions?: DingtalkSessions,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly now: () => number = Date.now,
  ) {}

  private robotUrl(name: string): string {
    const robots = this.deps.config.dingtalk.robots;
    const robot = Object.hasOwn(robots, name) ? robots[name] : undefined;
    if (!robot) throw new Error(`no dingtalk.robots.${name} in the config`);
    const url = secretFromEnv(this.env, robot.urlEnv);
    if (!url) throw new Error(`${robot.urlEnv} (the webhook of dingtalk robot ${name}) is not set`);
    return signedRobotUrl(url, robot.secretEnv ? secretFromEnv(this.env, robot.secretEnv) : undefined, this.now());
  }

  async send(target: string, e: StoredEvent): Promise<void> {
    const m = await this.render(target, e);
    if (m) await postDingtalk(this.robotUrl(target), m);
  }

  private async render(target: string, e: StoredEvent): Promise<DingtalkMessage | undefined> {
    const voice = this.deps.voice({ platform: 'dingtalk', channel: `dingtalk:${target}` });
    if (e.type === 'approval-requested') {
      const view = await this.deps.approval(e.approval.id);
      if (view) return approvalCard(view, voice);
    }
    return eventMessage(e, voice, this.commitUrl(e));
  }

  private commitUrl(e: StoredEvent): string | undefined {
    const commit = deployCommitOf(e);
    return commit ? commitUrl(this.deps.config, commit) : undefined;
  }

  /** How a deploy went, in the conversation that asked for it, while its session webhook lives. */
  async followUp(where: FollowUp, e: StoredEvent): Promise<void> {
    const s = await this.sessions?.get(where);
    if (!s || (s.expires && s.expires < this.now())) return;
    const m = eventMessage(e, this.deps.voice({ platform: 'dingtalk', channel: `dingtalk:${s.conversation}` }), this.commitUrl(e));
    if (m) await postDingtalk(s.sessionWebhook, m);
  }

  async updateApproval(approval: Approval, e: StoredEvent): Promise<void> {
    // messages cannot be edited here: tell the outcome once, not every step on the way
    if (e.type === 'approval-approved' || e.type === 'approval-voted') return;
    const origin = approval.origin;
    const hook = origin?.sessionWebhook;
    const expires = Number(origin?.sessionWebhookExpires ?? 0);
    if (!hook || (expires && expires < this.now())) return;
    const view = await this.deps.approval(approval.id);
    if (!view) return;
    const voice = this.deps.voice({ platform: 'dingtalk', ...(origin.conversation ? { channel: `dingtalk:${origin.conversation}` } : {}) });
    await postDingtalk(hook, approvalCard(view, voice));
  }

  async test(target: string): Promise<void> {
    await postDingtalk(this.robotUrl(target), testMessage(this.deps.voice({ platform: 'dingtalk', channel: `dingtalk:${target}` })));
  }
}
