import type { GantryEvent } from './events.js';

/**
 * Every app a bundle's event concerns (its approval, its failed job), for the notify rules' app
 * filter: a bundle matches a rule when any of its apps does. Undefined for every other event.
 */
export function bundleAppsOf(e: GantryEvent): string[] | undefined {
  switch (e.type) {
    case 'deploy-failed':
      return e.bundle?.apps;
    case 'approval-requested':
    case 'approval-voted':
    case 'approval-approved':
    case 'approval-denied':
    case 'approval-expired':
      return e.approval.bundle?.apps.map((a) => a.app);
    default:
      return undefined;
  }
}
