import type { Core } from '../../commands/context.js';
import { approvalView, commitUrl } from '../../commands/presentation.js';
import type { Notifier } from '../../notify/delivery.js';
import type { StoredEvent } from '../../notify/events.js';
import type { Approval } from '../../approvals/store.js';
import { postDingtalk } from './app.js';
import { approvalCard, eventMessage } from './messages.js';
import { signedRobotUrl } from './sign.js';

/**
 * Reports through custom group robots (`dingtalk:<robot>` targets; URL and 加签 secret from the
 * env vars the config names), and approval updates back to the conversation that asked, while
 * its session webhook is alive. A robot answering an error throws, so the queue retries.
 */
export class DingtalkNotifier implements Notifier {
  readonly platform = 'dingtalk' as const;

  constructor(
    private readonly core: Core,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly now: () => number = Date.now,
  ) {}

  private robotUrl(name: string): string {
    const robot = this.core.config.dingtalk.robots[name];
    if (!robot) throw new Error(`no dingtalk.robots.${name} in the config`);
    const url = this.env[robot.urlEnv];
    if (!url) throw new Error(`${robot.urlEnv} (the webhook of dingtalk robot ${name}) is not set`);
    return signedRobotUrl(url, robot.secretEnv ? this.env[robot.secretEnv] : undefined, this.now());
  }

  async send(target: string, e: StoredEvent): Promise<void> {
    const url = e.type === 'deployed' || e.type === 'rolled-back' ? commitUrl(this.core.config, e.result.commit) : undefined;
    const m = e.type === 'approval-requested' ? approvalCard(await approvalView(this.core, e.approval)) : eventMessage(e, url);
    if (m) await postDingtalk(this.robotUrl(target), m);
  }

  async updateApproval(approval: Approval, e: StoredEvent): Promise<void> {
    // messages cannot be edited here: tell the outcome once, not every step on the way
    if (e.type === 'approval-approved') return;
    const hook = approval.origin?.sessionWebhook;
    const expires = Number(approval.origin?.sessionWebhookExpires ?? 0);
    if (!hook || (expires && expires < this.now())) return;
    await postDingtalk(hook, approvalCard(await approvalView(this.core, approval)));
  }

  async test(target: string): Promise<void> {
    await postDingtalk(this.robotUrl(target), { msgtype: 'text', text: { content: 'gantry doctor: test message' } });
  }
}
