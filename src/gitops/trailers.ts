import { formatActor, parseActor, type Actor } from '../domain/identity.js';

export type DeployAction = 'promote' | 'rollback' | 'auto' | 'shift';

/** What a deploy commit says about itself, in git trailers (DESIGN.md "Deploy-repo commits"). */
export interface DeployTrailers {
  app: string;
  env: string;
  version: string;
  action: DeployAction;
  requestedBy: Actor;
  approvedBy: Actor[];
  previousVersion?: string;
  override?: string;
  /** the request id (command or approval) that made this commit: redelivered jobs find it and stop */
  request?: string;
  reason?: string;
  /** blue-green: the colour the commit wrote (promote) or moved traffic to (shift, rollback) */
  color?: 'blue' | 'green';
  /** blue-green: the traffic weights after the commit */
  weights?: { blue: number; green: number };
}

// eslint-disable-next-line no-control-regex
const ONE_LINE = /[\u0000-\u001f\u007f\u2028\u2029]/g;
/** bidi overrides and isolates: they make `git log` show a trailer other than what it says */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;
const clean = (s: string) => s.replace(ONE_LINE, ' ').replace(BIDI, '').trim();

export function deployMessage(t: DeployTrailers): string {
  const verb = t.action === 'rollback' ? 'roll back' : t.action === 'auto' ? 'auto-deploy' : 'promote';
  const subject =
    t.action === 'shift'
      ? shiftSubject(t)
      : t.action === 'rollback'
        ? `${verb} ${t.app} in ${t.env} to ${t.version}`
        : `${verb} ${t.app} ${t.version} to ${t.env}${t.color ? ` (${t.color})` : ''}`;
  const lines = [
    `Gantry-App: ${t.app}`,
    `Gantry-Environment: ${t.env}`,
    `Gantry-Version: ${t.version}`,
    `Gantry-Action: ${t.action}`,
    `Gantry-Requested-By: ${clean(formatActor(t.requestedBy))}`,
    ...t.approvedBy.map((a) => `Gantry-Approved-By: ${clean(formatActor(a))}`),
  ];
  if (t.previousVersion) lines.push(`Gantry-Previous-Version: ${t.previousVersion}`);
  if (t.override) lines.push(`Gantry-Override: ${clean(t.override)}`);
  if (t.reason) lines.push(`Gantry-Reason: ${clean(t.reason)}`);
  if (t.request) lines.push(`Gantry-Request: ${t.request}`);
  if (t.color) lines.push(`Gantry-Color: ${t.color}`);
  if (t.weights) lines.push(`Gantry-Weights: blue=${t.weights.blue} green=${t.weights.green}`);
  return `${subject}\n\n${lines.join('\n')}\n`;
}

/** Reads the trailers back from a commit message; undefined when it is not a gantry commit. */
export function parseDeployTrailers(message: string): DeployTrailers | undefined {
  const values = new Map<string, string[]>();
  for (const line of message.split('\n')) {
    const m = /^Gantry-([A-Za-z-]+): (.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    values.set(key, [...(values.get(key) ?? []), m[2]!]);
  }
  const one = (k: string) => values.get(k)?.[0];
  const app = one('app');
  const env = one('environment');
  const version = one('version');
  const action = one('action');
  if (!app || !env || !version || (action !== 'promote' && action !== 'rollback' && action !== 'auto' && action !== 'shift')) return undefined;
  const t: DeployTrailers = {
    app,
    env,
    version,
    action,
    requestedBy: parseActor(one('requested-by') ?? 'unknown'),
    approvedBy: (values.get('approved-by') ?? []).map(parseActor),
  };
  const prev = one('previous-version');
  if (prev) t.previousVersion = prev;
  const override = one('override');
  if (override) t.override = override;
  const reason = one('reason');
  if (reason) t.reason = reason;
  const request = one('request');
  if (request) t.request = request;
  const color = one('color');
  if (color === 'blue' || color === 'green') t.color = color;
  const weights = /^blue=(\d{1,3}) green=(\d{1,3})$/.exec(one('weights') ?? '');
  if (weights) t.weights = { blue: Number(weights[1]), green: Number(weights[2]) };
  return t;
}

function shiftSubject(t: DeployTrailers): string {
  const to = t.color && t.weights ? ` (${t.color} ${t.weights[t.color]}%)` : '';
  return `shift ${t.app} ${t.version} traffic in ${t.env}${to}`;
}
