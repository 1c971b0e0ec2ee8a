import { createHmac } from 'node:crypto';
import { secretFromEnv } from '../config/env-files.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../domain/duration.js';
import type { Speech } from '../i18n/config.js';
import { voiceFor } from '../config/reader.js';
import { Voice } from '../i18n/voice.js';
import { eventLine } from '../render/event-text.js';
import { PLAIN } from '../render/markup.js';
import type { Notifier } from './delivery.js';
import type { StoredEvent } from './events.js';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body, like GitHub's X-Hub-Signature-256. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Outgoing webhooks: one JSON event per POST, signed (X-Gantry-Signature-256) when a secret is
 * configured, with a timeout; redirects are refused (a redirect could carry the event elsewhere)
 * and any non-2xx answer throws, so the queue retries.
 */
export class WebhookNotifier implements Notifier {
  readonly platform = 'webhook';

  constructor(
    private readonly config: Config,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async send(name: string, e: StoredEvent): Promise<void> {
    const hook = this.config.webhooks[name];
    if (!hook) throw new Error(`no webhooks.${name} in the config`);
    const url = hook.url ?? secretFromEnv(this.env, hook.urlEnv!);
    if (!url) throw new Error(`${hook.urlEnv} (the URL of webhook ${name}) is not set`);
    const body = JSON.stringify(webhookBody(this.config, name, hook, e));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'gantry-webhook',
      'x-gantry-event': e.type,
      'x-gantry-delivery': e.id,
    };
    const secret = hook.secretEnv ? secretFromEnv(this.env, hook.secretEnv) : undefined;
    if (hook.secretEnv && !secret) throw new Error(`${hook.secretEnv} (the secret of webhook ${name}) is not set`);
    if (secret) headers['x-gantry-signature-256'] = webhookSignature(secret, body);
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(parseDuration(hook.timeout)) });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 300 && res.status < 400) throw new Error(`webhook ${name} answered a redirect (${res.status}); redirects are refused`);
    if (!res.ok) throw new Error(`webhook ${name} answered HTTP ${res.status}`);
  }

  async test(name: string): Promise<void> {
    await this.send(name, { type: 'release-added', app: 'gantry-doctor', version: 'test', by: 'doctor', id: 'doctor-test', at: new Date().toISOString() });
  }
}

/**
 * The event as data, as consumers have always read it, plus `text`: its one line as people read
 * it, in the webhook's language (`webhooks.<name>.locale`, else `i18n`'s).
 */
export function webhookBody(config: Config, name: string, hook: Speech, e: StoredEvent): StoredEvent & { text?: string } {
  const base = voiceFor(config, { platform: 'webhook', channel: `webhook:${name}` });
  const voice = new Voice(hook.locale ?? base.locale, hook.timeZone ?? base.timeZone);
  return { ...e, text: eventLine(e, voice, PLAIN) };
}
