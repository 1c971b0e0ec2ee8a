import { describe, expect, it } from 'vitest';
import { envValue, mergeEnvText, type EnvEntry } from '../../src/cli/env-file-update.js';

/** The env-file merge on its own: what `gantry setup github` does to a file it did not write. */
describe('mergeEnvText', () => {
  const entries: EnvEntry[] = [
    { key: 'GITHUB_APP_ID', value: '42', sameAs: ['APP_ID'] },
    { key: 'GITHUB_PRIVATE_KEY_FILE', value: '/srv/my keys/app.pem', sameAs: ['GITHUB_PRIVATE_KEY', 'PRIVATE_KEY'] },
  ];
  const merge = (text: string | undefined, force = false) => mergeEnvText(text, entries, { force, header: 'added', file: '.env' });

  it('creates a file, quoting a value with spaces', () => {
    expect(merge(undefined)).toBe('# added\nGITHUB_APP_ID=42\nGITHUB_PRIVATE_KEY_FILE="/srv/my keys/app.pem"\n');
  });

  it('keeps CRLF line ends, comments and export lines, and fills empty placeholders in place', () => {
    const before = '# top\r\nexport GITHUB_APP_ID=""\r\nOTHER=1\r\n';
    expect(merge(before)).toBe('# top\r\nGITHUB_APP_ID=42\r\nOTHER=1\r\n\r\n# added\r\nGITHUB_PRIVATE_KEY_FILE="/srv/my keys/app.pem"\r\n');
  });

  it('refuses a key set under another name unless forced; forced, a multi-line quoted PEM goes as a whole', () => {
    const before = "A=1\nPRIVATE_KEY='-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----'\nB=2\n";
    expect(() => merge(before)).toThrow('.env already sets PRIVATE_KEY: nothing was written (--force replaces them)');
    expect(merge(before, true)).toBe('A=1\nGITHUB_PRIVATE_KEY_FILE="/srv/my keys/app.pem"\nB=2\n\n# added\nGITHUB_APP_ID=42\n');
  });

  it('refuses values an env file cannot carry back unchanged', () => {
    for (const bad of ['a"b', 'a\\b', '$HOME', 'a`b`', 'a\nb']) expect(() => envValue('K', bad)).toThrow('K: the value cannot be written');
    expect(envValue('K', 'Iv1.8a61f9b3a7aba766')).toBe('Iv1.8a61f9b3a7aba766');
  });
});
