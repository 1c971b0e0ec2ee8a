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
  /** the bundle this commit promoted or rolled back as a whole (src/gitops/bundle-trailers.ts) */
  bundle?: string;
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

/**
 * Reads the trailers back from a commit message; undefined when it is not a gantry commit. A
 * bundle commit names several apps, each `Gantry-App` followed by its own `Gantry-Version` and
 * `Gantry-Previous-Version`: `app` picks that app's block (default: the first).
 */
export function parseDeployTrailers(message: string, app?: string): DeployTrailers | undefined {
  const values = new Map<string, string[]>();
  const blocks: Map<string, string>[] = [];
  for (const line of message.split('\n')) {
    const m = /^Gantry-([A-Za-z-]+): (.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'app') blocks.push(new Map([['app', m[2]!]]));
    else if (APP_KEYS.has(key) && blocks.length && !blocks.at(-1)!.has(key)) {
      blocks.at(-1)!.set(key, m[2]!);
      continue;
    }
    values.set(key, [...(values.get(key) ?? []), m[2]!]);
  }
  const block = app === undefined ? blocks[0] : blocks.find((b) => b.get('app') === app);
  const one = (k: string) => (APP_KEYS.has(k) ? block?.get(k) : undefined) ?? values.get(k)?.[0];
  const env = one('environment');
  const version = one('version');
  const action = one('action');
  if (!block || !env || !version || (action !== 'promote' && action !== 'rollback' && action !== 'auto' && action !== 'shift')) return undefined;
  const t: DeployTrailers = {
    app: block.get('app')!,
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
  const bundle = one('bundle');
  if (bundle) t.bundle = bundle;
  const color = one('color');
  if (color === 'blue' || color === 'green') t.color = color;
  const weights = /^blue=(\d{1,3}) green=(\d{1,3})$/.exec(one('weights') ?? '');
  if (weights) t.weights = { blue: Number(weights[1]), green: Number(weights[2]) };
  return t;
}

/** Trailers that belong to the `Gantry-App` line before them. */
const APP_KEYS: ReadonlySet<string> = new Set(['app', 'version', 'previous-version']);

function shiftSubject(t: DeployTrailers): string {
  const to = t.color && t.weights ? ` (${t.color} ${t.weights[t.color]}%)` : '';
  return `shift ${t.app} ${t.version} traffic in ${t.env}${to}`;
}
