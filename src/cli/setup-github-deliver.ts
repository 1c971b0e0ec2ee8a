import { rmSync } from 'node:fs';
import path from 'node:path';
import type { RegisteredApp } from '../github/manifest-conversion.js';
import { mergeEnvText, readIfExists, refuseSetKeys, writeSecretFile, type EnvEntry } from './env-file-update.js';

/**
 * Where the new app's credentials go: into the env file (the key as a 0600 file beside it, named by
 * GITHUB_PRIVATE_KEY_FILE, which src/config/env-files.ts resolves like every secret's NAME_FILE),
 * or printed for the user to store elsewhere. The OAuth client id and secret go along: they are
 * what "Sign in with GitHub" on the dashboard uses (src/web/auth/github.ts).
 */

export type Destination = { kind: 'env-file'; file: string; force: boolean } | { kind: 'print' };

/** Every name that sets the same variable (Probot's aliases, NAME_FILE): one of them set is "already set". */
const SAME_AS = {
  GITHUB_APP_ID: ['APP_ID'],
  GITHUB_PRIVATE_KEY_FILE: ['GITHUB_PRIVATE_KEY', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH'],
  GITHUB_WEBHOOK_SECRET: ['GITHUB_WEBHOOK_SECRET_FILE', 'WEBHOOK_SECRET'],
  GITHUB_CLIENT_ID: [],
  GITHUB_CLIENT_SECRET: ['GITHUB_CLIENT_SECRET_FILE'],
} as const;

/** The entries written to an env file; `keyFile` is where the PEM goes. */
function envEntries(app: RegisteredApp, keyFile: string): EnvEntry[] {
  return [
    { key: 'GITHUB_APP_ID', value: String(app.id), sameAs: SAME_AS.GITHUB_APP_ID },
    { key: 'GITHUB_PRIVATE_KEY_FILE', value: keyFile, sameAs: SAME_AS.GITHUB_PRIVATE_KEY_FILE },
    { key: 'GITHUB_WEBHOOK_SECRET', value: app.webhookSecret, sameAs: SAME_AS.GITHUB_WEBHOOK_SECRET },
    { key: 'GITHUB_CLIENT_ID', value: app.clientId, sameAs: SAME_AS.GITHUB_CLIENT_ID },
    { key: 'GITHUB_CLIENT_SECRET', value: app.clientSecret, sameAs: SAME_AS.GITHUB_CLIENT_SECRET },
  ];
}

/** The private key's file, beside the env file; one per app id, so a second registration never replaces a key. */
export function keyFileFor(envFile: string, appId: number): string {
  return path.join(path.dirname(envFile), `github-app-${appId}.private-key.pem`);
}

/**
 * Refuses up front what would be refused after GitHub created the app: an env file that already
 * sets these variables (without --force) or cannot be read. The same check runs again before
 * writing, against the file as it is then.
 */
export function precheckEnvFile(dest: Destination): void {
  if (dest.kind !== 'env-file' || dest.force) return;
  refuseSetKeys(readIfExists(dest.file), Object.entries(SAME_AS).flatMap(([key, others]) => [key, ...others]), dest.file);
}

export interface Delivered {
  /** what the user is told (no secret) */
  lines: string[];
  /** --print: the env lines for standard output */
  printed: string | undefined;
}

export function deliverCredentials(app: RegisteredApp, dest: Destination, now: Date): Delivered {
  if (dest.kind === 'print') {
    const printed = [
      `GITHUB_APP_ID=${app.id}`,
      `GITHUB_WEBHOOK_SECRET=${app.webhookSecret}`,
      // one line: gantry turns `\n` escapes back into newlines (src/github/env.ts)
      `GITHUB_PRIVATE_KEY="${app.pem.replace(/\r?\n/g, '\\n')}"`,
      `GITHUB_CLIENT_ID=${app.clientId}`,
      `GITHUB_CLIENT_SECRET=${app.clientSecret}`,
      '',
    ].join('\n');
    return { lines: ["The app's id, webhook secret, private key and OAuth client are printed on standard output; nothing was written."], printed };
  }
  const keyFile = keyFileFor(dest.file, app.id);
  const header = `GitHub App "${app.name}" (id ${app.id}), registered by gantry setup github on ${now.toISOString()}`;
  // merged (and refused) before anything is written: a refusal leaves no key file behind
  const text = mergeEnvText(readIfExists(dest.file), envEntries(app, keyFile), { force: dest.force, header, file: dest.file });
  writeSecretFile(keyFile, app.pem.endsWith('\n') ? app.pem : `${app.pem}\n`, { exclusive: true });
  try {
    writeSecretFile(dest.file, text);
  } catch (e) {
    rmSync(keyFile, { force: true });
    throw e;
  }
  return {
    printed: undefined,
    lines: [
      `Wrote GITHUB_APP_ID, GITHUB_PRIVATE_KEY_FILE, GITHUB_WEBHOOK_SECRET, GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET to ${dest.file};`,
      `the private key is in ${keyFile} (both mode 0600).`,
    ],
  };
}
