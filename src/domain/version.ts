import { msg, type Message } from '../i18n/voice.js';
import { GantryError } from './errors.js';

/**
 * Release versions: git tags (`v1.2.3`) or branch builds (`main-1a2b3c4`). A version ends up in
 * image tags, commit trailers, file contents and chat replies, so it is checked before use.
 */

const MAX_LENGTH = 128;
const QUOTE_LENGTH = 40;

/**
 * Quotes user input for an error message: at most 40 characters, with control, format (bidi,
 * zero-width) and line-separator characters escaped, so a reply cannot be garbled or spoofed.
 */
export function quoteInput(input: string): string {
  const chars = Array.from(input); // code points, so a surrogate pair is never cut in half
  const shown = chars
    .slice(0, QUOTE_LENGTH)
    .join('')
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => {
      const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
      return named[c] ?? `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`;
    });
  return `"${shown}${chars.length > QUOTE_LENGTH ? '…' : ''}"`;
}

/** Throws INPUT_INVALID unless `v` is safe to put into an image tag, a path or a commit. */
export function validateVersion(v: string): void {
  const version = quoteInput(v);
  const bad = (why: Message): never => {
    throw new GantryError('INPUT_INVALID', why);
  };
  if (v.length === 0) bad(msg('error.version.empty'));
  if (v.length > MAX_LENGTH) bad(msg('error.version.too-long', { version, length: String(v.length), max: String(MAX_LENGTH) }));
  const odd = /[^A-Za-z0-9._+-]/u.exec(v);
  if (odd) bad(msg('error.version.bad-char', { version, char: quoteInput(odd[0]) }));
  if (!/^[A-Za-z0-9]/.test(v)) bad(msg('error.version.start', { version }));
  if (v.includes('..')) bad(msg('error.version.dots', { version }));
}

/**
 * A version a release may be registered under (`gantry release add`, POST /api/releases): safe
 * (validateVersion) and either full semver (`v1.2.3`, `1.2.3-rc.1+b5`) or a whole match of the
 * config's `releases.versionPattern`. Anything else would never resolve the way people expect:
 * `notaversion` matches no release line and `v1.2` would shadow the line `/promote v1.2` means.
 */
export function validateReleaseVersion(v: string, pattern?: string): void {
  validateVersion(v);
  const s = parseVersion(v);
  if (s && s.minor !== undefined && s.patch !== undefined) return;
  if (pattern !== undefined && new RegExp(`^(?:${pattern})$`, 'u').test(v)) return;
  const why = s ? 'names a release line, not a release: give major.minor.patch' : 'is not semver';
  const accepted = `semver such as v1.2.3 or 1.2.3-rc.1${pattern !== undefined ? `, or a version matching releases.versionPattern ${pattern}` : ' (releases.versionPattern in the config admits another scheme)'}`;
  throw new GantryError('INPUT_INVALID', `version ${quoteInput(v)} ${why}; a release needs ${accepted}`);
}

export interface SemVer {
  prefix: 'v' | '';
  major: number;
  minor?: number;
  patch?: number;
  prerelease?: (string | number)[];
  build?: string;
}

// Numbers without leading zeros (as semver demands); pre-release and build as in semver 2.0.
const SEMVER =
  /^(v?)(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?)?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** `v1`, `v1.2`, `1.2.3`, `v1.2.3-rc.1+build` → parts; anything else (`main-1a2b3c4`) → null. */
export function parseVersion(v: string): SemVer | null {
  const m = SEMVER.exec(v);
  if (!m) return null;
  const [, prefix, major, minor, patch, pre, build] = m;
  // Past 2^53 numbers would compare wrongly; such tags are not treated as semver at all.
  const safe = (s: string): boolean => Number.isSafeInteger(Number(s));
  if (![major!, minor, patch].every((s) => s === undefined || safe(s))) return null;
  const out: SemVer = { prefix: prefix === 'v' ? 'v' : '', major: Number(major) };
  if (minor !== undefined) out.minor = Number(minor);
  if (patch !== undefined) out.patch = Number(patch);
  if (pre !== undefined) {
    const ids: (string | number)[] = [];
    for (const id of pre.split('.')) {
      if (!/^\d+$/.test(id)) ids.push(id);
      else if (/^0\d/.test(id)) return null; // semver: numeric identifiers have no leading zeros
      else if (!safe(id)) return null;
      else ids.push(Number(id));
    }
    out.prerelease = ids;
  }
  if (build !== undefined) out.build = build;
  return out;
}

function comparePrerelease(a: (string | number)[] | undefined, b: (string | number)[] | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0; // a pre-release is lower than the release itself
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1; // shorter is lower
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number' || typeof y === 'number') return typeof x === 'number' ? -1 : 1;
    return x < y ? -1 : 1; // ASCII order, as semver says
  }
  return 0;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A total order for sorting (negative: a is older). Semver versions follow semver precedence,
 * with a missing minor or patch counting as 0. Non-semver versions (`main-1a2b3c4`) carry no
 * order of their own: they sort below every semver version and among themselves by plain string
 * order, which is only a stable tie-break; use build times where recency matters. Versions of
 * equal precedence (`v1.2.3` / `1.2.3`, `+a` / `+b`) are also ordered by string, so the result
 * is 0 only for identical strings and sorting is deterministic.
 */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : byString(a, b);
  const parts = (s: SemVer): number[] => [s.major, s.minor ?? 0, s.patch ?? 0];
  const [px, py] = [parts(x), parts(y)];
  for (let i = 0; i < 3; i++) if (px[i] !== py[i]) return px[i]! < py[i]! ? -1 : 1;
  return comparePrerelease(x.prerelease, y.prerelease) || byString(a, b);
}

export interface AvailableVersion {
  version: string;
  /** ISO 8601 build time. */
  builtAt: string;
}

const HINTS = 5;

const builtAtMs = (r: AvailableVersion): number => {
  const t = Date.parse(r.builtAt);
  return Number.isNaN(t) ? -Infinity : t;
};

/** Newest first: semver versions by precedence, then the others by build time. */
function newestFirst(list: AvailableVersion[]): string[] {
  const semver = list.filter((r) => parseVersion(r.version)).map((r) => r.version);
  const other = list.filter((r) => !parseVersion(r.version));
  semver.sort((a, b) => compareVersions(b, a));
  other.sort((a, b) => builtAtMs(b) - builtAtMs(a) || byString(a.version, b.version));
  return [...new Set([...semver, ...other.map((r) => r.version)])];
}

/** A query that names a release line rather than one release: `v1`, `v1.2`, `1.2`, `v1.2.3`. */
function isLineQuery(q: SemVer | null): q is SemVer {
  return q !== null && q.prerelease === undefined && q.build === undefined;
}

/** Same `v` style, and every component the query names is equal. */
function inLine(q: SemVer, c: SemVer): boolean {
  return c.prefix === q.prefix && c.major === q.major && (q.minor === undefined || c.minor === q.minor) &&
    (q.patch === undefined || c.patch === q.patch);
}

/**
 * What `/promote <query>` means among the built releases. An exact (case-sensitive) match wins.
 * A partial semver query picks the highest *stable* release of that line (`v1.2` → `v1.2.10`,
 * never `v1.20.0` or `v1.2.4-rc.1`): pre-releases must be named exactly, so nobody ships one by
 * accident. `latest` is the highest stable semver release, or the most recently built one if
 * there is none. Throws INPUT_INVALID for an unsafe query and VERSION_UNKNOWN when nothing fits.
 */
export function resolveVersion(query: string, available: AvailableVersion[]): { version: string; exact: boolean } {
  validateVersion(query);
  if (available.some((r) => r.version === query)) return { version: query, exact: true };

  const stable = available
    .map((r) => ({ r, s: parseVersion(r.version) }))
    .filter((x): x is { r: AvailableVersion; s: SemVer } => x.s !== null && x.s.prerelease === undefined);
  const highest = (list: AvailableVersion[]): string | undefined => newestFirst(list)[0];

  if (query === 'latest') {
    const pick =
      highest(stable.map((x) => x.r)) ??
      [...available].sort((a, b) => builtAtMs(b) - builtAtMs(a) || byString(b.version, a.version))[0]?.version;
    if (pick !== undefined) return { version: pick, exact: false };
  }

  const q = parseVersion(query);
  if (isLineQuery(q)) {
    const pick = highest(stable.filter((x) => inLine(q, x.s)).map((x) => x.r));
    if (pick !== undefined) return { version: pick, exact: false };
  }
  throw new GantryError('VERSION_UNKNOWN', unknownMessage(query, q, available));
}

function unknownMessage(query: string, q: SemVer | null, available: AvailableVersion[]): Message {
  const quoted = quoteInput(query);
  if (available.length === 0) return msg('error.version.none-built', { query: quoted });
  // "Nearest": the same major line if the query is semver and that line exists, else everything.
  const sameMajor = q
    ? available.filter((r) => {
        const s = parseVersion(r.version);
        return s !== null && s.prefix === q.prefix && s.major === q.major;
      })
    : [];
  const pool = newestFirst(sameMajor.length > 0 ? sameMajor : available);
  const newest = { list: [...pool.slice(0, HINTS), ...(pool.length > HINTS ? ['…'] : [])] };
  const onlyPre =
    isLineQuery(q) && available.some((r) => {
      const s = parseVersion(r.version);
      return s !== null && s.prerelease !== undefined && inLine(q, s);
    });
  return msg(onlyPre ? 'error.version.only-pre' : 'error.version.no-match', { query: quoted, newest });
}
