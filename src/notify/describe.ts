import type { GantryEvent } from './events.js';

/** One line about an event, the same on every platform (chat reports, e-mail subjects, logs). */
export function eventText(e: GantryEvent): string | undefined {
  switch (e.type) {
    case 'deployed':
    case 'rolled-back': {
      const r = e.result;
      const approved = e.request.approvedBy.length ? `, approved by ${e.request.approvedBy.map((a) => a.name ?? a.id).join(', ')}` : '';
      return `${e.type === 'rolled-back' ? '⏪ rolled back' : '🚀 deployed'} ${r.app} ${r.version} to ${r.env}${r.previousVersion ? ` (was ${r.previousVersion})` : ''} by ${e.request.requestedBy.name ?? e.request.requestedBy.id}${approved}: commit ${r.commit.slice(0, 7)}`;
    }
    case 'deploy-failed':
      return `❌ ${e.request.action} of ${e.request.app} ${e.request.version ?? ''} to ${e.request.env} failed: ${e.message}`;
    case 'approval-requested':
    case 'approval-approved':
    case 'approval-denied':
    case 'approval-expired':
      return `approval ${e.approval.id} (${e.approval.request.action} ${e.approval.request.app} ${e.approval.request.version ?? ''} to ${e.approval.request.env}): ${e.type.slice('approval-'.length)}`;
    case 'locked':
    case 'unlocked':
      return `${e.type === 'locked' ? '🔒' : '🔓'} ${e.env} ${e.type} by ${e.by.name ?? e.by.id}: ${e.reason}`;
    case 'frozen':
      return `❄️ ${e.env} is frozen until ${e.until}: ${e.reason}`;
    case 'unfrozen':
      return `☀️ ${e.env} freeze over (${e.reason})`;
    case 'blocked':
    case 'unblocked':
      return `${e.app} ${e.version} ${e.type} by ${e.by.name ?? e.by.id}${e.reason ? `: ${e.reason}` : ''}`;
    case 'build-failed':
      return `❌ build of ${e.build.app}/${e.build.image} failed (${e.build.trigger}, ${e.build.sha.slice(0, 7)}): ${e.message}`;
    case 'build-succeeded':
      return `📦 built ${e.build.ref} (${e.build.trigger})`;
    case 'release-built':
      return `🏷️ ${e.release.app} ${e.release.version} is built and ready`;
    case 'release-added':
      return `🏷️ ${e.app} ${e.version} is registered and ready`;
    default:
      return undefined;
  }
}
