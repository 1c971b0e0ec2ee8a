/** The form of `gantry setup github`'s page: where it posts, and the manifest it carries (HTML-unescaped). */
export function formOf(html: string): { action: URL; manifest: Record<string, any> } {
  const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  const manifest = /<input type="hidden" name="manifest" value="([^"]+)">/.exec(html)?.[1];
  if (!action || !manifest) throw new Error(`no manifest form in the page:\n${html}`);
  return { action: new URL(unescape(action)), manifest: JSON.parse(unescape(manifest)) as Record<string, any> };
}
