/**
 * The address of a build's page (src/web/builds/) under GANTRY_PUBLIC_URL: the check run's
 * "Details" link and the link of chat reports. No public URL, no link: GitHub would show a
 * Details link to nowhere.
 */
export function buildPageUrl(publicUrl: string | undefined, buildId: string | undefined): string | undefined {
  return publicUrl && buildId ? `${publicUrl.replace(/\/+$/, '')}/builds/${buildId}` : undefined;
}
