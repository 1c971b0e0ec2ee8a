import { formatActor, type Actor } from '../domain/identity.js';
import type { BundleRequest } from '../domain/bundle.js';
import { parseDeployTrailers, type DeployTrailers } from './trailers.js';

/**
 * A bundle commit's message. The shared trailers come first, then one block per app, each a
 * `Gantry-App` line followed by that app's `Gantry-Version` and `Gantry-Previous-Version`, so
 * parseDeployTrailers(message, app) reads any app of it as if the commit were that app's alone
 * (/history, /status, rollback targets and promotion order keep working per app):
 *
 *   promote bundle 2026.12 to prod (api v3.4.0, web v1.2.3)
 *
 *   Gantry-Bundle: 2026.12
 *   Gantry-Environment: prod
 *   Gantry-Action: promote
 *   Gantry-Requested-By: shell:carol (carol)
 *   Gantry-Approved-By: shell:alice (alice)
 *   Gantry-App: api
 *   Gantry-Version: v3.4.0
 *   Gantry-Previous-Version: v3.3.0
 *   Gantry-App: web
 *   Gantry-Version: v1.2.3
 *   Gantry-Request: approval-17
 */
export function bundleMessage(t: {
  req: BundleRequest;
  approvedBy: Actor[];
  apps: { app: string; version: string; previousVersion?: string }[];
  override?: string;
}): string {
  const { req } = t;
  const list = t.apps.map((a) => `${a.app} ${a.version}`).join(', ');
  const subject = req.action === 'rollback' ? `roll back bundle ${req.bundle} in ${req.env} (${list})` : `promote bundle ${req.bundle} to ${req.env} (${list})`;
  const lines = [
    `Gantry-Bundle: ${req.bundle}`,
    `Gantry-Environment: ${req.env}`,
    `Gantry-Action: ${req.action}`,
    `Gantry-Requested-By: ${oneLine(formatActor(req.requestedBy))}`,
    ...t.approvedBy.map((a) => `Gantry-Approved-By: ${oneLine(formatActor(a))}`),
  ];
  for (const a of t.apps) {
    lines.push(`Gantry-App: ${a.app}`, `Gantry-Version: ${a.version}`);
    if (a.previousVersion) lines.push(`Gantry-Previous-Version: ${a.previousVersion}`);
  }
  if (t.override) lines.push(`Gantry-Override: ${oneLine(t.override)}`);
  lines.push(`Gantry-Request: ${req.id}`);
  return `${subject}\n\n${lines.join('\n')}\n`;
}

/** Every app's trailers of a bundle commit, in the order written. */
export function parseBundleTrailers(message: string): DeployTrailers[] {
  const apps = [...message.matchAll(/^Gantry-App: (.+)$/gm)].map((m) => m[1]!.trimEnd());
  return apps.map((app) => parseDeployTrailers(message, app)).filter((t): t is DeployTrailers => t !== undefined);
}

// eslint-disable-next-line no-control-regex
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/[\u202a-\u202e\u2066-\u2069]/g, '').trim();
