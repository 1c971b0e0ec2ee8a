import { checkedMessage, msg, type Message } from '../i18n/voice.js';
import type { GantryEvent } from '../notify/events.js';

/**
 * The line of a bundle's event (src/render/event-text.ts): its approval and its failed job name
 * the bundle and every app, where a single deploy's line names its one app. Undefined otherwise.
 */
export function bundleEventMessage(e: GantryEvent): Message | undefined {
  switch (e.type) {
    case 'deploy-failed': {
      if (!e.bundle) return undefined;
      const r = e.request;
      // events sit in a queue anyone with Redis access can write: a detail that is no catalog message is not said
      const message = checkedMessage(e.detail) ?? e.message;
      const apps = e.bundle.apps.length ? { list: e.bundle.apps } : '?';
      return msg('event.bundle.deploy-failed', { action: r.action, name: e.bundle.name, apps, env: r.env, message });
    }
    case 'approval-requested':
    case 'approval-approved':
    case 'approval-denied':
    case 'approval-expired': {
      const b = e.approval.bundle;
      if (!b) return undefined;
      const r = e.approval.request;
      const apps = { list: b.apps.map((a) => `${a.app} ${a.version}`) };
      return msg('event.bundle.approval', { id: e.approval.id, action: r.action, name: b.name, apps, env: r.env, state: e.type.slice('approval-'.length) });
    }
    default:
      return undefined;
  }
}
