import { describe, expect, it } from 'vitest';
import { GantryError } from '../../src/domain/errors.js';
import {
  compareVersions,
  parseVersion,
  quoteInput,
  resolveVersion,
  validateReleaseVersion,
  validateVersion,
  type AvailableVersion,
} from '../../src/domain/version.js';

function errorOf(fn: () => unknown): GantryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GantryError) return e;
    throw e;
  }
  throw new Error('expected a GantryError, nothing was thrown');
}

describe('validateVersion', () => {
  it.each(['v1', 'v1.2.3', '1.2.3-rc.1+build.5', 'main-1a2b3c4', 'feature_x-0f0f0f0', 'a', 'x'.repeat(128)])(
    'accepts %s',
    (v) => expect(() => validateVersion(v)).not.toThrow(),
  );

  it.each([
    ['', 'version must not be empty'],
    ['x'.repeat(129), `version "${'x'.repeat(40)}…" is too long (129 characters, at most 128)`],
    ['v1.2 3', 'version "v1.2 3" contains " ": only letters, digits and . _ + - are allowed'],
    ['v1/../etc', 'version "v1/../etc" contains "/": only letters, digits and . _ + - are allowed'],
    ['v1\nrm -rf', 'version "v1\\nrm -rf" contains "\\n": only letters, digits and . _ + - are allowed'],
    ['v1:latest', 'version "v1:latest" contains ":": only letters, digits and . _ + - are allowed'],
    ['v1"x', 'version "v1\\"x" contains "\\"": only letters, digits and . _ + - are allowed'],
    ['-v1', 'version "-v1" must start with a letter or a digit'],
    ['.hidden', 'version ".hidden" must start with a letter or a digit'],
    ['_x', 'version "_x" must start with a letter or a digit'],
    ['v1..2', 'version "v1..2" must not contain ".."'],
    ['v1\u202Egnp.exe', 'version "v1\\u{202E}gnp.exe" contains "\\u{202E}": only letters, digits and . _ + - are allowed'],
    ['vé', 'version "vé" contains "é": only letters, digits and . _ + - are allowed'],
  ])('rejects %j', (v, message) => {
    const e = errorOf(() => validateVersion(v));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toBe(message);
  });
});

describe('validateReleaseVersion (gantry release add, POST /api/releases)', () => {
  it.each(['v1.2.3', '1.2.3', 'v0.0.1-rc.1', '1.2.3-beta+build.5', 'v10.20.30'])('accepts %s', (v) => expect(() => validateReleaseVersion(v)).not.toThrow());

  it.each([
    ['notaversion', 'version "notaversion" is not semver; a release needs semver such as v1.2.3 or 1.2.3-rc.1 (releases.versionPattern in the config admits another scheme)'],
    ['v1.2', 'version "v1.2" names a release line, not a release: give major.minor.patch; a release needs semver such as v1.2.3 or 1.2.3-rc.1 (releases.versionPattern in the config admits another scheme)'],
    ['main-1a2b3c4', 'version "main-1a2b3c4" is not semver; a release needs semver such as v1.2.3 or 1.2.3-rc.1 (releases.versionPattern in the config admits another scheme)'],
    ['v01.2.3', 'version "v01.2.3" is not semver; a release needs semver such as v1.2.3 or 1.2.3-rc.1 (releases.versionPattern in the config admits another scheme)'],
    ['latest', 'version "latest" is not semver; a release needs semver such as v1.2.3 or 1.2.3-rc.1 (releases.versionPattern in the config admits another scheme)'],
  ])('refuses %j', (v, message) => {
    const e = errorOf(() => validateReleaseVersion(v));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toBe(message);
  });

  it('accepts what the config pattern matches as a whole, and still refuses unsafe versions', () => {
    const pattern = '[a-z0-9-]+-[0-9a-f]{7}';
    expect(() => validateReleaseVersion('main-1a2b3c4', pattern)).not.toThrow();
    expect(errorOf(() => validateReleaseVersion('main-1a2b3c4x', pattern)).message).toBe(
      'version "main-1a2b3c4x" is not semver; a release needs semver such as v1.2.3 or 1.2.3-rc.1, or a version matching releases.versionPattern [a-z0-9-]+-[0-9a-f]{7}',
    );
    // the pattern widens the scheme, never the characters a version may hold
    expect(errorOf(() => validateReleaseVersion('main/1a2b3c4', '.*')).message).toContain('contains "/"');
  });
});

describe('quoteInput', () => {
  it.each([
    ['plain', '"plain"'],
    ['a\tb\r\n', '"a\\tb\\r\\n"'],
    ['\u0000\u001b[31m', '"\\u{0}\\u{1B}[31m"'],
    ['back\\slash', '"back\\\\slash"'],
    ['\u200Bzero-width', '"\\u{200B}zero-width"'],
    ['😀'.repeat(41), `"${'😀'.repeat(40)}…"`],
    ['y'.repeat(40), `"${'y'.repeat(40)}"`],
  ])('%j → %s', (input, quoted) => expect(quoteInput(input)).toBe(quoted));
});

describe('parseVersion', () => {
  it.each([
    ['v1', { prefix: 'v', major: 1 }],
    ['v1.2', { prefix: 'v', major: 1, minor: 2 }],
    ['1.2', { prefix: '', major: 1, minor: 2 }],
    ['v1.2.3', { prefix: 'v', major: 1, minor: 2, patch: 3 }],
    ['1.2.3', { prefix: '', major: 1, minor: 2, patch: 3 }],
    ['v0.0.0', { prefix: 'v', major: 0, minor: 0, patch: 0 }],
    ['v1.2.3-rc.1', { prefix: 'v', major: 1, minor: 2, patch: 3, prerelease: ['rc', 1] }],
    ['v1.2.3-alpha-2.0.x', { prefix: 'v', major: 1, minor: 2, patch: 3, prerelease: ['alpha-2', 0, 'x'] }],
    ['v1.2.3+build', { prefix: 'v', major: 1, minor: 2, patch: 3, build: 'build' }],
    ['v1.2.3-rc.1+build.7', { prefix: 'v', major: 1, minor: 2, patch: 3, prerelease: ['rc', 1], build: 'build.7' }],
    ['v10.20.30', { prefix: 'v', major: 10, minor: 20, patch: 30 }],
  ])('%s', (v, parsed) => expect(parseVersion(v)).toStrictEqual(parsed));

  it.each([
    'main-1a2b3c4',
    'V1.2.3',
    'v',
    'v1.',
    'v1.2.3.4',
    'v01.2.3',
    'v1.02',
    'v1.2.3-rc.01',
    'v1.2.3-',
    'v1.2.3+',
    'v1.2.3_hotfix',
    'release-1.2.3',
    'latest',
    '99999999999999999999.0.0',
  ])('%s is not semver', (v) => expect(parseVersion(v)).toBeNull());
});

describe('compareVersions', () => {
  // Each row: a < b.
  it.each([
    ['v1.2.3', 'v1.2.4'],
    ['v1.2.9', 'v1.2.10'],
    ['v1.9.0', 'v1.10.0'],
    ['v1.99.99', 'v2.0.0'],
    ['v1.2.3-rc.1', 'v1.2.3'],
    ['v1.2.3-alpha', 'v1.2.3-alpha.1'],
    ['v1.2.3-alpha.1', 'v1.2.3-alpha.beta'],
    ['v1.2.3-alpha.beta', 'v1.2.3-beta'],
    ['v1.2.3-beta.2', 'v1.2.3-beta.11'],
    ['v1.2.3-beta.11', 'v1.2.3-rc.1'],
    ['v1.2.3-rc.1', 'v1.2.4-alpha'],
    ['v1.2', 'v1.2.1'],
    ['v1', 'v1.0.1'],
    ['main-1a2b3c4', 'v0.0.1'],
    ['main-1a2b3c4', 'main-2b3c4d5'],
    // equal precedence: the plain string order breaks the tie
    ['1.2.3', 'v1.2.3'],
    ['v1', 'v1.0.0'],
    ['v1.2.3+a', 'v1.2.3+b'],
  ])('%s < %s', (a, b) => {
    expect(compareVersions(a, b)).toBeLessThan(0);
    expect(compareVersions(b, a)).toBeGreaterThan(0);
  });

  it.each(['v1.2.3', 'main-1a2b3c4', 'v1.2.3-rc.1+x'])('%s equals itself', (v) => expect(compareVersions(v, v)).toBe(0));

  it('sorts a mixed list', () => {
    const list = ['v1.10.0', 'v1.2.10', 'dev-0000000', 'v1.2.9', 'v1.2.10-rc.2', 'v2.0.0-rc.1', 'v1.2.10-rc.10', 'v1.2'];
    expect([...list].sort(compareVersions)).toEqual([
      'dev-0000000',
      'v1.2',
      'v1.2.9',
      'v1.2.10-rc.2',
      'v1.2.10-rc.10',
      'v1.2.10',
      'v1.10.0',
      'v2.0.0-rc.1',
    ]);
  });
});

const built = (...versions: string[]): AvailableVersion[] =>
  // builtAt follows list order: the last one listed is the most recently built
  versions.map((version, i) => ({ version, builtAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));

describe('resolveVersion', () => {
  const releases = built(
    'v1.2.4-rc.1',
    'v1.2.9',
    'v1.20.0',
    'v1.2.10',
    'v1.1.5',
    '1.2.11',
    'v2.0.0-rc.1',
    'main-1a2b3c4',
    'v1.2.3+build.5',
    'v1.3',
  );

  it.each([
    // exact matches win, pre-releases and branch builds included
    ['v1.2.9', 'v1.2.9', true],
    ['v1.2.4-rc.1', 'v1.2.4-rc.1', true],
    ['main-1a2b3c4', 'main-1a2b3c4', true],
    ['v1.3', 'v1.3', true],
    // a release line: the highest stable release in it
    ['v1.2', 'v1.2.10', false],
    ['v1', 'v1.20.0', false],
    ['v1.1', 'v1.1.5', false],
    ['1.2', '1.2.11', false],
    ['1', '1.2.11', false],
    ['v1.2.3', 'v1.2.3+build.5', false],
    ['latest', 'v1.20.0', false],
  ])('%s → %s (exact: %s)', (query, version, exact) => {
    expect(resolveVersion(query, releases)).toEqual({ version, exact });
  });

  it('never picks a pre-release for a line, even when it is the only one', () => {
    const e = errorOf(() => resolveVersion('v2', releases));
    expect(e.code).toBe('VERSION_UNKNOWN');
    expect(e.message).toBe('no stable release matches "v2"; pre-releases must be named exactly (newest: v2.0.0-rc.1)');
  });

  it('matching is case-sensitive', () => {
    const e = errorOf(() => resolveVersion('MAIN-1a2b3c4', releases));
    expect(e.code).toBe('VERSION_UNKNOWN');
    expect(e.message).toBe(
      'no built release matches "MAIN-1a2b3c4" (newest: v2.0.0-rc.1, v1.20.0, v1.3, 1.2.11, v1.2.10, …)',
    );
  });

  it('lists the nearest line, newest first, when nothing matches', () => {
    const list = built('v1.2.9', 'v1.2.10', 'v2.0.0', 'v1.2.8', 'v1.2.7', 'v1.2.6', 'v1.2.5', 'main-1a2b3c4');
    expect(errorOf(() => resolveVersion('v1.3', list)).message).toBe(
      'no built release matches "v1.3" (newest: v1.2.10, v1.2.9, v1.2.8, v1.2.7, v1.2.6, …)',
    );
    expect(errorOf(() => resolveVersion('v3', list)).message).toBe(
      'no built release matches "v3" (newest: v2.0.0, v1.2.10, v1.2.9, v1.2.8, v1.2.7, …)',
    );
  });

  it('a prefix must match: 1.2 does not pick v1.2.x and v1.2 does not pick 1.2.x', () => {
    const list = built('v1.2.3', '1.3.0');
    expect(errorOf(() => resolveVersion('1.2', list)).message).toBe('no built release matches "1.2" (newest: 1.3.0)');
    expect(errorOf(() => resolveVersion('v1.3', list)).message).toBe('no built release matches "v1.3" (newest: v1.2.3)');
  });

  it('v1.2 never matches v1.20.x', () => {
    expect(resolveVersion('v1.2', built('v1.20.0', 'v1.2.0'))).toEqual({ version: 'v1.2.0', exact: false });
    expect(() => resolveVersion('v1.2', built('v1.20.0', 'v1.21.3'))).toThrow(/no built release matches "v1\.2"/);
  });

  it('latest without a stable semver release is the most recently built', () => {
    expect(resolveVersion('latest', built('v1.0.0-rc.1', 'dev-2222222', 'main-1111111'))).toEqual({ version: 'main-1111111', exact: false });
    expect(resolveVersion('latest', built('main-1111111', 'v1.0.0-rc.1'))).toEqual({ version: 'v1.0.0-rc.1', exact: false });
  });

  it('latest ignores build order when there are stable releases', () => {
    expect(resolveVersion('latest', built('v1.10.0', 'v1.9.1', 'main-1111111'))).toEqual({ version: 'v1.10.0', exact: false });
  });

  it('nothing built at all', () => {
    for (const q of ['latest', 'v1.2', 'main-1a2b3c4']) {
      const e = errorOf(() => resolveVersion(q, []));
      expect(e.code).toBe('VERSION_UNKNOWN');
      expect(e.message).toBe(`no built release matches "${q}" (no release has been built yet)`);
    }
  });

  it('rejects unsafe queries before looking', () => {
    const e = errorOf(() => resolveVersion('../v1', releases));
    expect(e.code).toBe('INPUT_INVALID');
  });
});
