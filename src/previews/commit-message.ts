/** What a preview commit says about itself, in git trailers like every gantry commit (src/gitops/trailers.ts). */
export interface PreviewTrailers {
  action: 'preview' | 'preview-remove';
  app: string;
  pr: number;
  /** the release-like name of the build, e.g. pr-42-1a2b3c4 (writes only) */
  version?: string;
  /** the image by digest (writes only) */
  image?: string;
  requestedBy: string;
  reason?: string;
  request: string;
}

// eslint-disable-next-line no-control-regex
const ONE_LINE = /[\u0000-\u001f\u007f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const clean = (s: string) => s.replace(ONE_LINE, ' ').trim();

/** `Gantry-Environment: pr-<n>`: a preview is the pull request's own environment, never one of the config's. */
export function previewMessage(t: PreviewTrailers): string {
  const env = `pr-${t.pr}`;
  const subject = t.action === 'preview' ? `preview ${t.app} ${t.version ?? ''} as ${env}`.replace('  ', ' ') : `remove preview ${t.app} ${env}`;
  const lines = [`Gantry-App: ${t.app}`, `Gantry-Environment: ${env}`];
  if (t.version) lines.push(`Gantry-Version: ${clean(t.version)}`);
  lines.push(`Gantry-Action: ${t.action}`);
  if (t.image) lines.push(`Gantry-Image: ${clean(t.image)}`);
  lines.push(`Gantry-Requested-By: ${clean(t.requestedBy)}`);
  if (t.reason) lines.push(`Gantry-Reason: ${clean(t.reason)}`);
  lines.push(`Gantry-Request: ${clean(t.request)}`);
  return `${subject}${t.reason && t.action === 'preview-remove' ? ` (${clean(t.reason)})` : ''}\n\n${lines.join('\n')}\n`;
}

/** One trailer's value from a commit message. */
export function trailer(message: string, key: string): string | undefined {
  const m = new RegExp(`^Gantry-${key}: (.*)$`, 'm').exec(message);
  return m?.[1]?.trim();
}
