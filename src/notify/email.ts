import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/schema.js';
import { userByEmail, userOf } from '../domain/identity.js';
import { voiceFor, type Reader } from '../config/reader.js';
import type { Voice } from '../i18n/voice.js';
import type { ApprovalView } from '../queries/approvals.js';
import { commitUrl } from '../queries/links.js';
import { deployCommitOf } from './router.js';
import type { ReleaseStore } from '../store/releases.js';
import type { Notifier } from './delivery.js';
import { approvalMail, eventMail, type Mail } from './email-templates.js';
import type { StoredEvent } from './events.js';
import { eventScope, type FollowUp } from './router.js';

/** What the e-mail notifier reads: the config, a release's check run, an approval's current view. */
export interface EmailDeps {
  config: Config;
  releases: Pick<ReleaseStore, 'get'>;
  /** an approval as every face shows it; undefined when there is no such approval */
  approval(id: string): Promise<ApprovalView | undefined>;
  /** every identity of the people who approved a version's deployment (an automatic rollback of it tells them) */
  approversOf?(app: string, env: string, version: string): Promise<string[]>;
}

/**
 * E-mail through nodemailer over SMTP (SMTP_URL, e.g. smtps://user:pass@mail.acme.example:465;
 * TLS options in the URL's query). A refusal by the server throws, so the queue retries.
 */
export class EmailNotifier implements Notifier {
  readonly platform = 'email';
  private readonly transport: Transporter;

  constructor(
    private readonly deps: EmailDeps,
    smtpUrl: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  private get from(): string {
    const from = this.deps.config.email?.from;
    if (!from) throw new Error('email.from is not set in the config');
    return from;
  }

  /**
   * An automatic rollback is news for the people who approved and asked for the release it rolled
   * back from: a mail each, by person (their user's `email`), in their own language.
   */
  async followUp(_where: FollowUp, e: StoredEvent): Promise<void> {
    if (e.type !== 'rolled-back' || !e.request.failure) return;
    const { config } = this.deps;
    const from = e.request.failure.version;
    const approvers = (await this.deps.approversOf?.(e.result.app, e.result.env, from)) ?? [];
    const people = new Set([...approvers, ...(e.request.failure.requestedBy ? [e.request.failure.requestedBy] : [])].map((id) => userOf(config, id)).filter((u): u is string => u !== undefined));
    for (const user of people) {
      const to = config.users[user]?.email;
      if (!to) continue;
      const mail = await this.render(e, mailVoice(config, to, e.result.env));
      if (mail) await this.transport.sendMail({ from: this.from, to, subject: mail.subject, text: mail.text, html: mail.html, headers: { 'X-Gantry-Event': e.type } });
    }
  }

  async send(to: string, e: StoredEvent): Promise<void> {
    const mail = await this.render(e, mailVoice(this.deps.config, to, eventScope(e).env));
    if (mail) await this.transport.sendMail({ from: this.from, to, subject: mail.subject, text: mail.text, html: mail.html, headers: { 'X-Gantry-Event': e.type } });
  }

  private async render(e: StoredEvent, voice: Voice): Promise<Mail | undefined> {
    if (e.type === 'approval-requested') {
      // the approval as it stands now: a mail delayed by retries shows the votes cast meanwhile
      const v = await this.deps.approval(e.approval.id);
      return v ? approvalMail(v, voice) : undefined;
    }
    if (e.type === 'deployed' || e.type === 'rolled-back') {
      const release = await this.deps.releases.get(e.result.app, e.result.version);
      return eventMail(e, voice, { commit: commitUrl(this.deps.config, e.result.commit), check: release?.url });
    }
    if (e.type === 'build-failed' || e.type === 'build-succeeded') return eventMail(e, voice, { check: e.build.url });
    const commit = deployCommitOf(e);
    return eventMail(e, voice, commit ? { commit: commitUrl(this.deps.config, commit) } : {});
  }

  async test(to: string): Promise<void> {
    const voice = mailVoice(this.deps.config, to);
    const subject = voice.t('mail.test.subject');
    await this.transport.sendMail({ from: this.from, to, subject, text: voice.t('mail.test.text') });
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * Who reads mail to `address`: the config user with that e-mail (their language and time zone),
 * else what `i18n.channels['email:<address>']` says, else the e-mail platform's defaults.
 */
export function mailVoice(config: Config, address: string, env?: string): Voice {
  const reader: Reader = { platform: 'email', channel: `email:${address}`, env };
  const user = userByEmail(config, address);
  if (user !== undefined) reader.identity = config.users[user]!.ids[0];
  return voiceFor(config, reader);
}
