import nodemailer, { type Transporter } from 'nodemailer';
import type { Core } from '../commands/context.js';
import { approvalView, commitUrl } from '../commands/presentation.js';
import type { Notifier } from './delivery.js';
import { approvalMail, eventMail, type Mail } from './email-templates.js';
import type { StoredEvent } from './events.js';

/**
 * E-mail through nodemailer over SMTP (SMTP_URL, e.g. smtps://user:pass@mail.acme.example:465;
 * TLS options in the URL's query). A refusal by the server throws, so the queue retries.
 */
export class EmailNotifier implements Notifier {
  readonly platform = 'email' as const;
  private readonly transport: Transporter;

  constructor(
    private readonly core: Core,
    smtpUrl: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  private get from(): string {
    const from = this.core.config.email?.from;
    if (!from) throw new Error('email.from is not set in the config');
    return from;
  }

  async send(to: string, e: StoredEvent): Promise<void> {
    const mail = await this.render(e);
    if (mail) await this.transport.sendMail({ from: this.from, to, subject: mail.subject, text: mail.text, html: mail.html, headers: { 'X-Gantry-Event': e.type } });
  }

  private async render(e: StoredEvent): Promise<Mail | undefined> {
    if (e.type === 'approval-requested') {
      const v = await approvalView(this.core, e.approval);
      return approvalMail(v, `Approve in chat with /approve ${v.id}, or deny with /deny ${v.id} <reason>.`);
    }
    if (e.type === 'deployed' || e.type === 'rolled-back') {
      const commit = commitUrl(this.core.config, e.result.commit);
      const release = await this.core.releases.get(e.result.app, e.result.version);
      return eventMail(e, { ...(commit ? { commit } : {}), ...(release?.url ? { check: release.url } : {}) });
    }
    if (e.type === 'build-failed' || e.type === 'build-succeeded') return eventMail(e, e.build.url ? { check: e.build.url } : {});
    return eventMail(e, {});
  }

  async test(to: string): Promise<void> {
    await this.transport.sendMail({ from: this.from, to, subject: '[gantry] doctor: test message', text: 'gantry can send you mail.' });
  }

  close(): void {
    this.transport.close();
  }
}
