import type { AppManifest } from '../github/manifest.js';

/**
 * The local pages of `gantry setup github`: the form that posts the manifest to GitHub, and the
 * answer after GitHub redirected back. Every value is escaped: the manifest holds text from
 * app.yml and the command line, and nothing here runs a script.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const layout = (title: string, body: string) =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:1rem;overflow:auto}button{font-size:1rem;padding:.5rem 1rem}
</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;

/** The form: GitHub shows the app for review and creates it when the user confirms there. */
export function manifestPage(o: { action: string; manifest: AppManifest; owner: string }): string {
  const json = JSON.stringify(o.manifest);
  return layout(
    `Register the GitHub App "${o.manifest.name}"`,
    `<p>This registers gantry's GitHub App on ${escapeHtml(o.owner)} with the permissions and events of <code>app.yml</code>.
GitHub shows everything below before it creates the app, then sends you back here.</p>
<form method="post" action="${escapeHtml(o.action)}">
<input type="hidden" name="manifest" value="${escapeHtml(json)}">
<button type="submit">Create the GitHub App on GitHub</button>
</form>
<h2>Manifest</h2>
<pre>${escapeHtml(JSON.stringify(o.manifest, null, 2))}</pre>`,
  );
}

/** After the redirect: what happened, in the words the terminal uses too. */
export function resultPage(o: { ok: boolean; lines: string[] }): string {
  return layout(
    o.ok ? 'GitHub App registered' : 'GitHub App not set up',
    `${o.lines.map((l) => `<p>${linkify(l)}</p>`).join('\n')}
<p>${o.ok ? 'You can close this page; the terminal says the same.' : 'The terminal says the same.'}</p>`,
  );
}

/** Escapes `line` and turns its https URLs into links (the install link). */
function linkify(line: string): string {
  return escapeHtml(line).replace(/https?:\/\/[^\s&<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
}
